package dev.mainstay.job;

import dev.mainstay.tracing.TraceContext;
import java.time.Instant;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * A job as stored: the durable unit of work behind every accepted request. Immutable snapshot;
 * every change goes through the store as a {@link dev.mainstay.store.JobTransition}.
 *
 * @param payloadsExpiredAt when retention or an erasure removed the job's payloads (then
 *     {@code input} and {@code result} are {@code null} because they are gone, not because they were
 *     never there); {@code null} while they are kept
 * @param trace the context of the job's submit span, stored with it so that every later span
 *     (on any node, after any restart) joins the same trace; {@link TraceContext#NONE} when the
 *     job was submitted untraced
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
        Instant deadlineAt,
        Instant payloadsExpiredAt,
        TraceContext trace) {

    public Job {
        trace = trace == null ? TraceContext.NONE : trace;
    }

    /** A job submitted untraced. */
    public Job(String id, String accountId, String workflow, int workflowVersion, JobStatus status, ResultType resultType, JsonNode input,
               String inputHash, JsonNode result, JobError error, Instant retryAt, Provenance provenance, Usage usage, int currentStage,
               int stageAttempts, boolean deadLetter, String idempotencyKey, Instant createdAt, Instant updatedAt, Instant startedAt,
               Instant completedAt, Instant deadlineAt, Instant payloadsExpiredAt) {
        this(id, accountId, workflow, workflowVersion, status, resultType, input, inputHash, result, error, retryAt, provenance, usage, currentStage,
                stageAttempts, deadLetter, idempotencyKey, createdAt, updatedAt, startedAt, completedAt, deadlineAt, payloadsExpiredAt, TraceContext.NONE);
    }

    /** A job whose payloads are kept. */
    public Job(String id, String accountId, String workflow, int workflowVersion, JobStatus status, ResultType resultType, JsonNode input,
               String inputHash, JsonNode result, JobError error, Instant retryAt, Provenance provenance, Usage usage, int currentStage,
               int stageAttempts, boolean deadLetter, String idempotencyKey, Instant createdAt, Instant updatedAt, Instant startedAt,
               Instant completedAt, Instant deadlineAt) {
        this(id, accountId, workflow, workflowVersion, status, resultType, input, inputHash, result, error, retryAt, provenance, usage, currentStage,
                stageAttempts, deadLetter, idempotencyKey, createdAt, updatedAt, startedAt, completedAt, deadlineAt, null);
    }

    /** True when the job's payloads were removed by retention or an erasure. */
    public boolean payloadsExpired() {
        return payloadsExpiredAt != null;
    }

    public Optional<JobError> errorOpt() {
        return Optional.ofNullable(error);
    }
}
