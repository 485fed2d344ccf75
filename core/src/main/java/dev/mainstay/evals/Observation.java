package dev.mainstay.evals;

import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

/**
 * What a run saw when it put one case through a workflow version: how the job ended, what it
 * answered, how long it took and what it cost, and, when the run asked for model grading, the
 * judges' verdicts. The input of every scorer, and part of every stored case result.
 *
 * @param jobId the eval job's id; {@code null} when the submission was refused
 * @param status where the job stopped: a job status ({@code completed}, {@code degraded},
 *     {@code waiting_for_review}, ...), or {@link #REJECTED} when the submission was refused
 * @param resultType the kind of result; {@code null} when the job holds none
 * @param errorCode the stable error code of a failed job or a refusal; {@code null} otherwise
 * @param output the job's result; JSON {@code null} when it has none
 * @param latency from submission to the status above
 * @param usage tokens and cost the job spent
 * @param verdicts the judge's verdict for each model-graded scorer, by scorer name; empty when
 *     model grading was off for the run
 */
public record Observation(String jobId, String status, ResultType resultType, String errorCode, JsonNode output, Duration latency, Usage usage,
                          Map<String, JsonNode> verdicts) {
    /** The status of a case whose submission was refused (bad input, not eligible, over budget). */
    public static final String REJECTED = "rejected";

    /** Where an eval case may stop: a job's end, a wait for a person, or a refusal at the door. */
    public static final Set<String> END_STATES = Set.of(JobStatus.COMPLETED.wire(), JobStatus.PARTIALLY_COMPLETED.wire(), JobStatus.DEGRADED.wire(),
            JobStatus.FAILED.wire(), JobStatus.CANCELLED.wire(), JobStatus.WAITING_FOR_REVIEW.wire(), JobStatus.WAITING_FOR_TOOL.wire(), REJECTED);

    /** The states in which a job holds no result: refused, failed, cancelled, or waiting for a person or an approval. */
    public static final Set<String> WITHOUT_RESULT = Set.of(REJECTED, JobStatus.FAILED.wire(), JobStatus.CANCELLED.wire(), JobStatus.WAITING_FOR_REVIEW.wire(),
            JobStatus.WAITING_FOR_TOOL.wire());

    public Observation {
        if (status == null || !END_STATES.contains(status)) {
            throw new IllegalArgumentException("an observation ends in one of " + new java.util.TreeSet<>(END_STATES) + ", not " + status + ". Indicates a bug.");
        }
        if (latency == null || latency.isNegative()) {
            throw new IllegalArgumentException("latency must be zero or more, got " + latency);
        }
        output = output == null || output.isMissingNode() ? NullNode.getInstance() : output;
        usage = usage == null ? Usage.ZERO : usage;
        verdicts = Map.copyOf(verdicts == null ? Map.of() : verdicts);
    }

    /** A job that completed with a full result, no verdicts. */
    public static Observation completed(String jobId, JsonNode output, Duration latency, Usage usage) {
        return new Observation(jobId, JobStatus.COMPLETED.wire(), ResultType.FULL, null, output, latency, usage, Map.of());
    }

    /** A submission refused with {@code errorCode}. */
    public static Observation rejected(String errorCode, Duration latency) {
        return new Observation(null, REJECTED, null, errorCode, null, latency, Usage.ZERO, Map.of());
    }

    /** This observation with the judges' verdicts, by model-graded scorer name. */
    public Observation withVerdicts(Map<String, JsonNode> judged) {
        return new Observation(jobId, status, resultType, errorCode, output, latency, usage, judged);
    }

    /** Whether the job left a result to score. */
    public boolean hasOutput() {
        return !output.isNull();
    }
}
