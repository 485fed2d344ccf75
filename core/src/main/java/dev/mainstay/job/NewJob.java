package dev.mainstay.job;

import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * A validated submission about to become durable.
 *
 * @param requestHash hash of what the client sent (workflow + body); an idempotency key replayed
 *     with another hash is a conflict
 * @param audit events that commit with the job, and only if it is created
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
        Instant deadlineAt,
        java.util.List<dev.mainstay.audit.AuditEvent> audit) {

    public NewJob {
        audit = java.util.List.copyOf(audit);
    }

    public NewJob(String id, String accountId, String workflow, int workflowVersion, JsonNode input, String inputHash, String idempotencyKey,
                  String requestHash, int priority, Instant createdAt, Instant deadlineAt) {
        this(id, accountId, workflow, workflowVersion, input, inputHash, idempotencyKey, requestHash, priority, createdAt, deadlineAt, java.util.List.of());
    }
}
