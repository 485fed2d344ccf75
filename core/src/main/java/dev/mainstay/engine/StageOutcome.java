package dev.mainstay.engine;

import dev.mainstay.ErrorCode;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.review.Review;
import dev.mainstay.usage.Charge;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import tools.jackson.databind.node.ObjectNode;

/**
 * How one step of a job's stage loop ended: the decision, not yet written. {@link JobRunner}
 * commits each outcome as exactly one job transition, in one method; nothing else in the loop
 * writes the job. A new way for a stage to end is a new record here and its case there.
 *
 * <p>Every outcome carries the model calls its step made ({@code charges}), which the transition
 * records whatever else happens, and the instant it was decided ({@code at}).
 */
sealed interface StageOutcome {
    Instant at();

    List<Charge> charges();

    /**
     * The statuses a step's commit applies from, and audit records that commit with it: a tool
     * stage's call leaves the job {@code waiting_for_tool} and records its effect.
     */
    record Via(Set<JobStatus> from, List<AuditEvent> audit) {
        static final Via MODEL = new Via(EnumSet.of(JobStatus.PROCESSING), List.of());

        public Via {
            from = Set.copyOf(from);
            audit = List.copyOf(audit);
        }

        /** @param audit the tool call's record, or {@code null} when no call was made */
        static Via tool(AuditEvent audit) {
            return new Via(EnumSet.of(JobStatus.PROCESSING, JobStatus.WAITING_FOR_TOOL), audit == null ? List.of() : List.of(audit));
        }
    }

    /**
     * The stage's output passed: the job goes on with the next stage, or, after the last one,
     * finishes with it ({@code completed}; {@code degraded} when the route was switched;
     * {@code partially_completed} when an optional stage was skipped).
     *
     * @param jobProvenance the job's provenance if this was the last stage, else {@code null}
     */
    record Completed(StageRun run, ResultType resultType, Provenance jobProvenance, List<Charge> charges, Via via, Instant at) implements StageOutcome {
        public Completed {
            charges = List.copyOf(charges);
        }
    }

    /** A retryable failure with attempts left: the job waits in {@code retrying} until {@code runAt}, the attempt spent. */
    record Retry(int stageAttempts, JobError error, Instant runAt, List<Charge> charges, ObjectNode data, Instant at) implements StageOutcome {
        public Retry {
            charges = List.copyOf(charges);
        }
    }

    /**
     * Something outside the stage stands in the way until {@code until} (a target's pause or
     * minute budget, other calls' budget reservations): the job waits in {@code retrying}
     * without spending an attempt.
     *
     * @param event {@code target_busy} or {@code budget_wait}
     */
    record Wait(String event, Instant until, int stageAttempts, List<Charge> charges, ObjectNode data, Instant at) implements StageOutcome {
        public Wait {
            charges = List.copyOf(charges);
        }
    }

    /** The route's target gave up; the stage runs again at once on the next one, with {@code stageAttempts} slots spent. */
    record SwitchTarget(int stageAttempts, JobError error, List<Charge> charges, ObjectNode data, Instant at) implements StageOutcome {
        public SwitchTarget {
            charges = List.copyOf(charges);
        }
    }

    /**
     * An optional stage failed for good: it is skipped and the job goes on, or, when it was the
     * last stage, the job ends {@code partially_completed} with the last output it has.
     */
    record Partial(StageRun run, List<Charge> charges, Via via, Instant at) implements StageOutcome {
        public Partial {
            charges = List.copyOf(charges);
        }
    }

    /** The fallback ladder produced a result: the job ends {@code degraded} with it. */
    record Rescued(FallbackLadder.Rescue rescue, StageRun run, List<Charge> charges, Instant at) implements StageOutcome {
        public Rescued {
            charges = List.copyOf(charges);
        }
    }

    /**
     * A person decides: the job waits in {@code waiting_for_review} with {@code review} open.
     *
     * @param run the failed stage's record, or {@code null} for a tool call asking for approval
     *     before it is made (no stage record, no error, attempts unchanged)
     */
    record ToReview(Review review, StageRun run, List<Charge> charges, Instant at) implements StageOutcome {
        public ToReview {
            Objects.requireNonNull(review, "review");
            charges = List.copyOf(charges);
        }
    }

    /**
     * A callback stage's request was taken: the job waits in {@code waiting_for_tool}, leased by no
     * node, for the callback until {@code until}.
     */
    record AwaitCallback(String stageId, Instant until, Instant at) implements StageOutcome {
        @Override
        public List<Charge> charges() {
            return List.of();
        }
    }

    /**
     * The job fails, and is dead-lettered when {@link #deadLetter()} says so.
     *
     * @param run the failed stage's record, or {@code null} when the job failed before a stage ran
     * @param provenance the job's provenance, or {@code null} to leave it as it is
     */
    record Fail(JobError error, StageRun run, List<Charge> charges, Provenance provenance, Via via, Instant at) implements StageOutcome {
        public Fail {
            charges = List.copyOf(charges);
        }

        /**
         * A failure that was retryable but ran out of attempts or time, or an {@code internal}
         * one: running it again as it is will not help, but a replay once the fault is fixed may.
         */
        boolean deadLetter() {
            return error.retryable() || error.code() == ErrorCode.INTERNAL;
        }
    }
}
