package dev.mainstay.metrics;

import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.StageRun;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The per-stage timeline of one job, read from its events and its committed stages: how long each
 * stage waited (queued, backing off before a retry, waiting for a person or a budget) and ran, its
 * attempts with the class of their outcome, and whether its first answer passed its contract.
 * The job's own record stays the truth; this is a reading of it, the same on every node.
 */
public record StageTimeline(int index, String stageId, Duration waited, Duration ran, List<Attempt> attempts, Optional<Boolean> firstPass) {
    /** Events after which the job no longer runs until a node claims it again. */
    private static final Set<String> RELEASES = Set.of("retry_scheduled", "target_busy", "budget_wait", "review_requested", "requeued");
    private static final Set<String> TERMINAL = JobStatus.terminal().stream().map(JobStatus::wire).collect(java.util.stream.Collectors.toSet());
    /** Events that end the current stage and open the next. */
    private static final Set<String> ENDS_STAGE = Set.of("stage_completed", "stage_skipped");

    public StageTimeline {
        attempts = List.copyOf(attempts);
    }

    /**
     * One attempt that ended.
     *
     * @param outcome the class of its outcome ({@link CallClass#wire()}), or the error code when no
     *     class fits (a tool's failure, a budget refusal)
     * @param code the error code of a failed attempt, else {@code null}
     */
    public record Attempt(int number, String outcome, String code, Instant at) {
    }

    /**
     * The timeline of every stage the job reached.
     *
     * @param events the job's events in order
     * @param stages its committed stages (for the first-pass verdict)
     */
    public static List<StageTimeline> of(List<JobEvent> events, List<StageRun> stages) {
        List<Builder> out = new ArrayList<>();
        Builder current = null;
        Instant mark = null;
        boolean running = false;
        for (JobEvent e : events) {
            String stage = e.data() == null ? null : e.data().path("stage").asString(null);
            switch (e.type()) {
                case "submitted", "replayed" -> {
                    mark = e.at();
                    running = false;
                }
                case "processing" -> {
                    current = current == null ? open(out, 0, stage) : current;
                    if (mark != null && !running) {
                        current.waited = current.waited.plus(between(mark, e.at()));
                    }
                    mark = e.at();
                    running = true;
                }
                default -> {
                    if (current == null) {
                        current = open(out, 0, stage);
                    }
                    if (current.stageId == null && stage != null) {
                        current.stageId = stage;
                    }
                    if (running && mark != null && (RELEASES.contains(e.type()) || ENDS_STAGE.contains(e.type()) || terminal(e.type()))) {
                        current.ran = current.ran.plus(between(mark, e.at()));
                        mark = e.at();
                        running = !RELEASES.contains(e.type()) && !terminal(e.type());
                    } else if (!running && mark != null && terminal(e.type())) {
                        // Cancelled (or expired in review) while waiting: the wait counts.
                        current.waited = current.waited.plus(between(mark, e.at()));
                        mark = e.at();
                    }
                    String code = e.data() == null ? null : e.data().path("code").asString(null);
                    switch (e.type()) {
                        case "retry_scheduled", "target_switched" -> current.failed(code, e.at());
                        case "stage_completed", "completed", "partially_completed" -> current.attempts.add(
                                new Attempt(current.attempts.size() + 1, CallClass.OK.wire(), null, e.at()));
                        case "failed", "degraded", "stage_skipped" -> {
                            if (code != null) {
                                current.failed(code, e.at());
                            }
                        }
                        case "review_requested" -> {
                            if (code != null && !"approval_required".equals(code)) {
                                current.failed(code, e.at());
                            }
                        }
                        default -> {
                        }
                    }
                    if (ENDS_STAGE.contains(e.type())) {
                        current = open(out, current.index + 1, null);
                    }
                }
            }
        }
        List<StageTimeline> timelines = new ArrayList<>();
        for (Builder b : out) {
            Optional<Boolean> firstPass = Optional.empty();
            for (StageRun run : stages) {
                if (run.index() == b.index && run.provenance() != null && run.provenance().validation() != null) {
                    firstPass = Optional.of("passed".equals(run.provenance().validation()));
                }
                if (run.index() == b.index && b.stageId == null) {
                    b.stageId = run.stageId();
                }
            }
            if (b.stageId != null || !b.attempts.isEmpty() || !b.ran.isZero()) {
                timelines.add(new StageTimeline(b.index, b.stageId, b.waited, b.ran, b.attempts, firstPass));
            }
        }
        return timelines;
    }

    private static boolean terminal(String type) {
        return TERMINAL.contains(type);
    }

    private static Builder open(List<Builder> out, int index, String stageId) {
        Builder b = new Builder(index, stageId);
        out.add(b);
        return b;
    }

    private static Duration between(Instant from, Instant to) {
        Duration d = Duration.between(from, to);
        return d.isNegative() ? Duration.ZERO : d;
    }

    private static final class Builder {
        final int index;
        String stageId;
        Duration waited = Duration.ZERO;
        Duration ran = Duration.ZERO;
        final List<Attempt> attempts = new ArrayList<>();

        Builder(int index, String stageId) {
            this.index = index;
            this.stageId = stageId;
        }

        void failed(String code, Instant at) {
            String outcome = code == null ? "failed" : CallClass.ofCode(code).map(CallClass::wire).orElse(code);
            attempts.add(new Attempt(attempts.size() + 1, outcome, code, at));
        }
    }
}
