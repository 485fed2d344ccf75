package dev.mainstay.engine;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.OutputContract;
import dev.mainstay.contract.Violation;
import dev.mainstay.job.InvalidStateException;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobNotFoundException;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.JobTransition;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewNotFoundException;
import dev.mainstay.store.Store;
import dev.mainstay.tracing.JobTracer;
import dev.mainstay.tracing.TraceSpan;
import dev.mainstay.store.StoreException;
import dev.mainstay.tool.ToolCall;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.ToolStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Human review beside the engine: a person's decision on a pending review (approve, edit,
 * reject), the approval of an {@code execute}-scoped tool call, and the sweep that applies a
 * review's declared outcome once it expires. A decision moves the job on in one transaction
 * (back to the queue, or to its end) and tells the engine, which runs whatever became due.
 *
 * <p>Every node runs the sweep ({@link #start}); two nodes expiring the same review decide it
 * once, since a decision applies only while the review is pending.
 */
public final class Reviews implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reviews.class);
    private static final Duration SWEEP = Duration.ofSeconds(1);

    private final Store store;
    private final WorkflowRegistry registry;
    private final Clock clock;
    private final String toolchainVersion;
    private final Consumer<String> jobChanged;
    private final JobSpans spans;
    private Thread sweeper;

    /**
     * @param toolchainVersion recorded in the provenance of reviewed outputs, as the engine records it
     * @param jobChanged told the id of every job a decision moved on, e.g. {@link Engine#jobChanged}
     */
    public Reviews(Store store, WorkflowRegistry registry, Clock clock, String toolchainVersion, Consumer<String> jobChanged) {
        this(store, registry, clock, toolchainVersion, jobChanged, JobTracer.NONE);
    }

    /** @param tracer where each review's wait is recorded as a span of its job's trace once it is decided */
    public Reviews(Store store, WorkflowRegistry registry, Clock clock, String toolchainVersion, Consumer<String> jobChanged, JobTracer tracer) {
        this.spans = new JobSpans(tracer);
        this.store = store;
        this.registry = registry;
        this.clock = clock;
        this.toolchainVersion = toolchainVersion;
        this.jobChanged = jobChanged;
    }

    /** Starts the expiry sweep: at once, then every second. */
    public synchronized void start() {
        if (sweeper != null) {
            return;
        }
        sweeper = Thread.ofVirtual().name("mainstay-review-expiry").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    expire();
                    Thread.sleep(SWEEP);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("review expiry: the sweep failed; will try again in {}", SWEEP, e);
                    try {
                        Thread.sleep(SWEEP);
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
        });
    }

    /** Stops the expiry sweep; decisions can still be made. */
    @Override
    public synchronized void close() {
        if (sweeper != null) {
            sweeper.interrupt();
            try {
                sweeper.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sweeper = null;
        }
    }

    /**
     * Decides a pending review: {@code approve} takes the proposed output, {@code edit} the given
     * one (checked against the stage's output contract), {@code reject} fails the job with
     * {@code review_rejected}. An approved or edited output is committed as the stage's output and
     * the job goes on with the next stage, or finishes.
     *
     * @param reviewer who decided (an API key id, or {@code system:expiry})
     */
    public Review decide(String accountId, String reviewId, Review.Decision decision, JsonNode output, String note, String reviewer) {
        return decide(accountId, reviewId, decision, output, note, reviewer, false);
    }

    /**
     * {@link #decide(String, String, Review.Decision, JsonNode, String, String)}, where an edit
     * may {@code override} the stage's rules and confidence field: the edited output must still
     * satisfy the output schema, and the override needs a {@code note} saying why. What was
     * overridden is recorded in the audit log and in the stage's provenance
     * ({@code validation: overridden}).
     *
     * @throws InvalidInputException when the edit breaks the schema, or breaks a rule without
     *     {@code override}, naming each failing rule or field under {@code /output}
     */
    public Review decide(String accountId, String reviewId, Review.Decision decision, JsonNode output, String note, String reviewer, boolean override) {
        Review r = store.review(reviewId).filter(x -> x.accountId().equals(accountId))
                .orElseThrow(() -> new ReviewNotFoundException(reviewId));
        if (r.status() != Review.Status.PENDING) {
            throw new InvalidStateException("review " + reviewId + " was already decided: " + r.status().wire() + " by " + r.reviewer());
        }
        Job job = store.job(r.jobId()).filter(j -> j.accountId().equals(accountId)).orElseThrow(() -> new JobNotFoundException(r.jobId()));
        WorkflowDefinition wf = registry.version(job.workflow(), job.workflowVersion())
                .orElseThrow(() -> new InvalidStateException("workflow " + job.workflow() + " v" + job.workflowVersion() + " is no longer known"));
        ModelStage stage = switch (wf.stages().get(r.stageIndex())) {
            case ModelStage m -> m;
            case ToolStage t -> null;
        };
        if (stage == null) {
            return decideToolCall(r, job, wf, decision, note, reviewer);
        }
        List<String> overridden = List.of();
        JsonNode decided = switch (decision) {
            case APPROVE -> {
                if (r.proposed() == null) {
                    throw new InvalidStateException("review " + reviewId + " has no proposed output to approve; send decision 'edit' with an output, or 'reject'");
                }
                List<Violation> violations = stage.output().schema().validate(r.proposed());
                if (!violations.isEmpty()) {
                    throw new InvalidStateException("review " + reviewId + ": the proposed output does not satisfy the output schema of stage '" + stage.id()
                            + "' (" + violations.getFirst().pointer() + ": " + violations.getFirst().message() + "); send decision 'edit' with a corrected output, or 'reject'");
                }
                yield r.proposed();
            }
            case EDIT -> {
                if (output == null || !output.isObject()) {
                    throw new InvalidInputException("an edit needs the corrected output", List.of(new Violation("/output", "required: a JSON object for stage '" + stage.id() + "'")));
                }
                List<Violation> violations = stage.output().schema().validate(output);
                if (!violations.isEmpty()) {
                    throw new InvalidInputException("the edited output does not satisfy the output schema of stage '" + stage.id() + "'",
                            violations.stream().map(v -> new Violation("/output" + v.pointer(), v.message())).toList());
                }
                // The rest of the contract, as a model's answer gets it. A confidence below the gate's
                // minimum is not held against an edit: the gate's purpose is a person's decision.
                if (stage.output().check(Json.write(output), job.input()) instanceof OutputContract.Check.Invalid invalid) {
                    List<Violation> broken = invalid.violations().stream().map(v -> new Violation("/output" + v.pointer(), v.message())).toList();
                    if (!override) {
                        throw new InvalidInputException("the edited output breaks the output contract of stage '" + stage.id() + "': "
                                + broken.stream().map(Violation::toString).collect(Collectors.joining("; "))
                                + "; correct it, or send \"override\": true with a note saying why", broken);
                    }
                    if (note == null || note.isBlank()) {
                        throw new InvalidInputException("overriding the output contract of stage '" + stage.id() + "' needs a note saying why",
                                List.of(new Violation("/note", "required with \"override\": true")));
                    }
                    overridden = broken.stream().map(Violation::toString).toList();
                }
                yield output;
            }
            case REJECT -> null;
        };
        Instant now = clock.instant();
        List<String> path = new ArrayList<>(r.provenance() == null ? List.of() : r.provenance().fallbackPath());
        path.add("review: " + decision.outcome().wire() + " by " + reviewer + (note == null || note.isBlank() ? "" : " (" + note.strip() + ")")
                + (overridden.isEmpty() ? "" : ", output contract overridden: " + String.join("; ", overridden)));
        Provenance p = r.provenance();
        Provenance reviewed = new Provenance(p == null ? "mainstay" : p.provider(), p == null ? "review" : p.model(), p == null ? null : p.promptVersion(),
                p == null ? null : p.schemaVersion(), toolchainVersion, path, overridden.isEmpty() ? "reviewed" : "overridden");
        ObjectNode data = Json.object().put("review", r.id()).put("decision", decision.wire()).put("reviewer", reviewer);
        ObjectNode audited = Json.object().put("review", r.id()).put("stage", r.stageId()).put("decision", decision.wire()).put("note", note != null && !note.isBlank());
        if (!overridden.isEmpty()) {
            var list = audited.putArray("overridden");
            overridden.forEach(list::add);
            data.set("overridden", list.deepCopy());
        }
        JobTransition.Builder t;
        if (decided == null) {
            t = JobTransition.to(job.id(), JobStatus.FAILED, now)
                    .error(JobError.of(ErrorCode.REVIEW_REJECTED, "rejected in review " + r.id() + " by " + reviewer + (note == null || note.isBlank() ? "" : ": " + note.strip())))
                    .deadLetter(false).provenance(reviewed);
        } else {
            StageRun run = new StageRun(job.id(), r.stageIndex(), r.stageId(), StageRun.COMPLETED, decided, job.stageAttempts(), reviewed, Usage.ZERO, null, r.createdAt(), now);
            boolean last = r.stageIndex() == wf.stages().size() - 1;
            t = last
                    ? JobTransition.to(job.id(), JobStatus.DEGRADED, now).result(decided, ResultType.FULL).provenance(reviewed).clearError()
                    // The time a person took is not the next stages' to lose: they get the whole deadline again.
                    : JobTransition.to(job.id(), JobStatus.QUEUED, now).nextRunAt(now).clearError()
                            .deadlineAt(later(job.deadlineAt(), now.plus(wf.deadline())));
            t.currentStage(r.stageIndex() + 1).stageAttempts(0).stageRun(run);
        }
        try {
            if (!store.decideReview(r.id(), decision.outcome(), decided, reviewer, note, now, t.from(JobStatus.WAITING_FOR_REVIEW).event("review_decided", data)
                    .audit(new AuditEvent(now, reviewer.startsWith("system:") ? reviewer : "key:" + reviewer, AuditAction.REVIEW_DECIDED, job.accountId(), job.id(),
                            audited))
                    .build())) {
                throw new InvalidStateException("review " + reviewId + " was decided by someone else a moment ago");
            }
        } catch (StoreException e) {
            throw new InvalidStateException("job " + job.id() + " is no longer waiting for review " + reviewId + " (it may have been cancelled)");
        }
        waited(job, r, decision, reviewer, now);
        jobChanged.accept(job.id());
        return store.review(reviewId).orElseThrow();
    }

    /**
     * Decides an {@code execute}-scoped tool call: approval records the approver on the call and
     * puts the job back in the queue at the same stage, which then makes the call once; rejection
     * fails the job with {@code review_rejected}. A tool call is approved or rejected as proposed.
     */
    private Review decideToolCall(Review r, Job job, WorkflowDefinition wf, Review.Decision decision, String note, String reviewer) {
        if (decision == Review.Decision.EDIT) {
            throw new InvalidStateException("review " + r.id() + " asks to approve a tool call; it is approved or rejected as proposed, not edited");
        }
        Instant now = clock.instant();
        ObjectNode data = Json.object().put("review", r.id()).put("decision", decision.wire()).put("reviewer", reviewer);
        JobTransition.Builder t;
        if (decision == Review.Decision.APPROVE) {
            ToolCall call = store.toolCall(job.id(), r.stageId()).orElseThrow(() ->
                    new InvalidStateException("review " + r.id() + " has no tool call on record to approve"));
            store.recordToolCall(new ToolCall(call.jobId(), call.stageId(), call.tool(), call.scope(), call.idempotencyKey(),
                    ToolCall.Status.APPROVED, call.request(), null, null, reviewer, null, now));
            t = JobTransition.to(job.id(), JobStatus.QUEUED, now).nextRunAt(now).clearError()
                    .deadlineAt(later(job.deadlineAt(), now.plus(wf.deadline())));
        } else {
            t = JobTransition.to(job.id(), JobStatus.FAILED, now)
                    .error(JobError.of(ErrorCode.REVIEW_REJECTED, "the call of tool stage '" + r.stageId() + "' was rejected in review " + r.id() + " by " + reviewer
                            + (note == null || note.isBlank() ? "" : ": " + note.strip())))
                    .deadLetter(false);
        }
        try {
            if (!store.decideReview(r.id(), decision.outcome(), decision == Review.Decision.APPROVE ? r.proposed() : null, reviewer, note, now,
                    t.from(JobStatus.WAITING_FOR_REVIEW).event("review_decided", data)
                            .audit(new AuditEvent(now, reviewer.startsWith("system:") ? reviewer : "key:" + reviewer, AuditAction.REVIEW_DECIDED, job.accountId(), job.id(),
                                    Json.object().put("review", r.id()).put("stage", r.stageId()).put("decision", decision.wire()).put("tool_approval", true)
                                            .put("note", note != null && !note.isBlank())))
                            .build())) {
                throw new InvalidStateException("review " + r.id() + " was decided by someone else a moment ago");
            }
        } catch (StoreException e) {
            throw new InvalidStateException("job " + job.id() + " is no longer waiting for review " + r.id() + " (it may have been cancelled)");
        }
        waited(job, r, decision, reviewer, now);
        jobChanged.accept(job.id());
        return store.review(r.id()).orElseThrow();
    }

    /** Records the review's wait, from its request to this decision, in the job's trace. */
    private void waited(Job job, Review r, Review.Decision decision, String reviewer, Instant now) {
        if (spans.on()) {
            TraceSpan span = spans.review(job, r.stageId(), r.id(), r.createdAt());
            span.set("mainstay.review.decision", decision.wire()).set("mainstay.review.expired", reviewer.startsWith("system:expiry"));
            span.end(now);
        }
    }

    /** Applies the declared outcome to reviews nobody decided in time; the sweep does this every second. */
    void expire() {
        for (Review r : store.expiredReviews(clock.instant(), 100)) {
            Review.Decision outcome = r.onExpiry() == Review.Decision.APPROVE && approvable(r) ? Review.Decision.APPROVE : Review.Decision.REJECT;
            try {
                decide(r.accountId(), r.id(), outcome, null, "expired at " + r.expiresAt(), "system:expiry");
            } catch (RuntimeException e) {
                LOG.debug("review {} changed while expiring it", r.id(), e);
            }
        }
    }

    private static Instant later(Instant a, Instant b) {
        return a == null || b.isAfter(a) ? b : a;
    }

    /** Whether the review's proposal could be approved as it is: present and within its stage's schema. */
    private boolean approvable(Review r) {
        if (r.proposed() == null) {
            return false;
        }
        return store.job(r.jobId()).flatMap(j -> registry.version(j.workflow(), j.workflowVersion()))
                .map(wf -> wf.stages().get(r.stageIndex()))
                .map(s -> switch (s) {
                    case ModelStage m -> m.output().schema().validate(r.proposed()).isEmpty();
                    case ToolStage t -> false; // a tool call is never approved by default
                })
                .orElse(false);
    }
}
