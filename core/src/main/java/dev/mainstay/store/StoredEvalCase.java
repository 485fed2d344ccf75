package dev.mainstay.store;

import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * An eval case captured from a real job and kept in the store, so that every node of a cluster
 * runs it with its suite, after the suite file's own cases.
 *
 * @param id {@code evc_} and a sortable suffix: lists page on it
 * @param name the case's id within its suite (what runs and comparisons name it by); unique among
 *     the suite's stored cases and its file's
 * @param workflowVersion the version the job ran under
 * @param jobId the job the input was taken from
 * @param reviewId the review whose edit became the expectation; {@code null} for a case taken
 *     from a job directly
 * @param expect where the expectation came from: {@link #OUTPUT} (the job's own result) or
 *     {@link #CORRECTION} (an answer a person wrote)
 * @param input the job's input as stored (the workflow's defaults filled in)
 * @param expected the reference answer
 */
public record StoredEvalCase(String id, String suite, String name, String workflow, int workflowVersion, String jobId, String reviewId, String expect,
                             JsonNode input, JsonNode expected, List<String> tags, String createdBy, Instant createdAt) {
    public static final String OUTPUT = "output";
    public static final String CORRECTION = "correction";

    public StoredEvalCase {
        if (id == null || suite == null || name == null || workflow == null || jobId == null || input == null || expected == null || createdAt == null) {
            throw new IllegalArgumentException("a stored eval case needs its id, suite, name, workflow, job, input, expectation and creation time");
        }
        if (!OUTPUT.equals(expect) && !CORRECTION.equals(expect)) {
            throw new IllegalArgumentException("case " + id + ": expect must be output or correction, not " + expect);
        }
        tags = List.copyOf(tags == null ? List.of() : tags);
    }
}
