package dev.mainstay.job;

import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * A validated submission about to become durable.
 *
 * @param requestHash hash of what the client sent (workflow + body); an idempotency key replayed
 *     with another hash is a conflict
 */
public record NewJob(
        String id,
        String accountId,
        String workflow,
        int workflowVersion,
        JsonNode input,
        String inputHash,
        String idempotencyKey,
        String requestHash,
        int priority,
        Instant createdAt,
        Instant deadlineAt) {
}
