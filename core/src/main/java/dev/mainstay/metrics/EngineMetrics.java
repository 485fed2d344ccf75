package dev.mainstay.metrics;

import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import java.time.Duration;

/**
 * What the engine tells the outside about the jobs it runs, as they run: submits, claims, stage
 * ends, model calls, output checks, retries and fallback rungs. A node's server turns these into
 * Prometheus metrics; an embedding application may count them its own way, or take {@link #NONE}.
 *
 * <p>Every label a caller passes is bounded: workflow names, versions, stage ids, provider and
 * model names come from configuration, and the rest are the enums of this package. Never a job,
 * account or key id: per-account figures live in the usage ledger, where they are paged.
 *
 * <p>Implementations must be cheap and must not throw: they are called on the job's own thread,
 * between a decision and its commit.
 */
public interface EngineMetrics {
    /** Counts nothing. */
    EngineMetrics NONE = new EngineMetrics() {
    };

    /** A job was made durable (a repeat of an idempotent submit is not a new job and is not counted). */
    default void submitted(String workflow, int version) {
    }

    /** A submit was refused before anything was stored, for {@code reason} (an error code, e.g. {@code rate_limited}). */
    default void refused(String workflow, int version, String reason) {
    }

    /**
     * A node claimed a job: {@code queueWait} is how long it was due before the claim (since its
     * submit, or since its retry came due).
     */
    default void claimed(String workflow, int version, Duration queueWait) {
    }

    /**
     * A job reached a terminal status on this node.
     *
     * @param resultType {@code null} for a job that ended without a result
     * @param run from its first claim to its end
     * @param total from its submit to its end
     */
    default void finished(String workflow, int version, JobStatus status, ResultType resultType, Duration run, Duration total) {
    }

    /** One step of a stage ended as {@code end}, after running for {@code duration}. */
    default void stageEnded(String workflow, int version, String stage, StageEnd end, Duration duration) {
    }

    /** One call to a model went out and came back (or did not, in time). */
    default void modelCall(ModelCall call) {
    }

    /**
     * A model's answer was checked against the stage's output contract.
     *
     * @param repair whether this was the answer to the repair call, not the first answer
     */
    default void outputChecked(String workflow, String stage, boolean repair, CheckResult result) {
    }

    /** A retryable failure was scheduled to run again. */
    default void retryScheduled(String workflow, String stage, String code) {
    }

    /** The fallback ladder (or the route's next target) was tried at {@code rung}, with {@code result}. */
    default void fallbackRung(String workflow, String stage, String rung, boolean rescued) {
    }
}
