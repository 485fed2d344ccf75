package dev.mainstay.store;

import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * What the drift report reads of one finished live job: how it ended, its result, and what its
 * stages say of its output contract.
 *
 * @param firstPass every model stage's output satisfied its contract on the first answer
 *     (validation {@code passed}, none {@code repaired} or {@code failed})
 * @param gateFailure a stage ended on its output rules or confidence gate
 *     ({@code low_confidence}, {@code invalid_model_output} or {@code validation_failed})
 * @param modelStages the model stages it has a record of (a job with none has no first pass to judge)
 * @param reviewed a review was opened for it
 */
public record DriftSample(String jobId, int version, String status, String resultType, JsonNode result, List<String> fallbackPath, boolean firstPass,
                          boolean gateFailure, int modelStages, boolean reviewed, Instant createdAt) {
    public DriftSample {
        fallbackPath = List.copyOf(fallbackPath);
    }
}
