package dev.mainstay.store;

import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * One eval run as stored: a suite put through one workflow version, case by case, as durable jobs
 * of the eval account.
 *
 * @param id {@code evr_} and a sortable suffix
 * @param suiteHash the content hash of the suite file the run measured
 * @param concurrency how many of its cases may be submitted and unscored at once
 * @param summary the run's arithmetic once every case is scored; {@code null} while it runs
 * @param finishedAt {@code null} while it runs
 * @param modelGrading whether model-graded scorers are judged (a judge model called per case) rather than skipped
 */
public record EvalRun(String id, String workflow, int version, String suite, String suiteHash, String requestedBy, int concurrency, Status status,
                      Instant createdAt, Instant finishedAt, JsonNode summary, boolean modelGrading) {
    /** A run without model grading. */
    public EvalRun(String id, String workflow, int version, String suite, String suiteHash, String requestedBy, int concurrency, Status status,
                   Instant createdAt, Instant finishedAt, JsonNode summary) {
        this(id, workflow, version, suite, suiteHash, requestedBy, concurrency, status, createdAt, finishedAt, summary, false);
    }

    public enum Status {
        RUNNING, COMPLETED;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Status fromWire(String wire) {
            return valueOf(wire.toUpperCase(java.util.Locale.ROOT));
        }
    }

    public EvalRun {
        if (id == null || workflow == null || suite == null || status == null || createdAt == null) {
            throw new IllegalArgumentException("an eval run needs its id, workflow, suite, status and creation time");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("run " + id + ": concurrency must be at least 1, got " + concurrency);
        }
    }
}
