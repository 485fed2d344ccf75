package dev.mainstay.store;

import tools.jackson.databind.JsonNode;

/**
 * One case of a stored eval run.
 *
 * @param ordinal its position in the suite, which the run submits and lists it by
 * @param jobId the eval job it was submitted as; {@code null} until it is submitted, and for a
 *     submission that was refused
 * @param result the scored case result ({@code CaseResults.toJson}); {@code null} until scored
 */
public record EvalRunCase(String runId, String caseId, int ordinal, String jobId, JsonNode result) {
    public boolean scored() {
        return result != null;
    }
}
