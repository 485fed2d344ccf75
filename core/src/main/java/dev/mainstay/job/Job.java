package dev.mainstay.job;

import java.time.Instant;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * A job as stored: the durable unit of work behind every accepted request. Immutable snapshot;
 * every change goes through the store as a {@link dev.mainstay.store.JobTransition}.
 */
public record Job(
        String id,
        String accountId,
        String workflow,
        int workflowVersion,
        JobStatus status,
        ResultType resultType,
        JsonNode input,
        String inputHash,
        JsonNode result,
        JobError error,
        Instant retryAt,
        Provenance provenance,
        Usage usage,
        int currentStage,
        int stageAttempts,
        boolean deadLetter,
        String idempotencyKey,
        Instant createdAt,
        Instant updatedAt,
        Instant startedAt,
        Instant completedAt,
        Instant deadlineAt) {

    public Optional<JobError> errorOpt() {
        return Optional.ofNullable(error);
    }
}
