package dev.mainstay.store;

import dev.mainstay.audit.AuditEvent;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Usage;
import dev.mainstay.tracing.TraceContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * A validated submission about to become durable.
 *
 * @param requestHash hash of what the client sent (workflow + body); an idempotency key replayed
 *     with another hash is a conflict
 * @param audit events that commit with the job, and only if it is created
 * @param keysFreeBefore an idempotency key recorded before this instant is past its window and
 *     creates a new job; {@code null} when keys never expire
 * @param trace the submit span's context, stored with the job ({@link TraceContext#NONE} untraced)
 * @param subjectDigest the keyed digest of the workflow's declared subject in the input, indexed
 *     so that an erasure by subject finds the job without reading payloads; {@code null} when none
 * @param canonicalInput the input as {@link dev.mainstay.Json#canonical} writes it, the text
 *     {@code inputHash} was taken of, so that the store writes it without serialising it again;
 *     {@code null}: the store serialises {@code input}
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
        List<AuditEvent> audit,
        Instant keysFreeBefore,
        TraceContext trace,
        String subjectDigest,
        String canonicalInput) {

    public NewJob {
        audit = List.copyOf(audit);
        trace = trace == null ? TraceContext.NONE : trace;
    }

    public NewJob(String id, String accountId, String workflow, int workflowVersion, JsonNode input, String inputHash, String idempotencyKey,
                  String requestHash, int priority, Instant createdAt, Instant deadlineAt, List<AuditEvent> audit, Instant keysFreeBefore,
                  TraceContext trace, String subjectDigest) {
        this(id, accountId, workflow, workflowVersion, input, inputHash, idempotencyKey, requestHash, priority, createdAt, deadlineAt, audit, keysFreeBefore,
                trace, subjectDigest, null);
    }

    public NewJob(String id, String accountId, String workflow, int workflowVersion, JsonNode input, String inputHash, String idempotencyKey,
                  String requestHash, int priority, Instant createdAt, Instant deadlineAt, List<AuditEvent> audit, Instant keysFreeBefore,
                  TraceContext trace) {
        this(id, accountId, workflow, workflowVersion, input, inputHash, idempotencyKey, requestHash, priority, createdAt, deadlineAt, audit, keysFreeBefore,
                trace, null, null);
    }

    public NewJob(String id, String accountId, String workflow, int workflowVersion, JsonNode input, String inputHash, String idempotencyKey,
                  String requestHash, int priority, Instant createdAt, Instant deadlineAt, List<AuditEvent> audit, Instant keysFreeBefore) {
        this(id, accountId, workflow, workflowVersion, input, inputHash, idempotencyKey, requestHash, priority, createdAt, deadlineAt, audit, keysFreeBefore,
                TraceContext.NONE, null, null);
    }

    public NewJob(String id, String accountId, String workflow, int workflowVersion, JsonNode input, String inputHash, String idempotencyKey,
                  String requestHash, int priority, Instant createdAt, Instant deadlineAt, List<AuditEvent> audit) {
        this(id, accountId, workflow, workflowVersion, input, inputHash, idempotencyKey, requestHash, priority, createdAt, deadlineAt, audit, null, TraceContext.NONE, null, null);
    }

    public NewJob(String id, String accountId, String workflow, int workflowVersion, JsonNode input, String inputHash, String idempotencyKey,
                  String requestHash, int priority, Instant createdAt, Instant deadlineAt) {
        this(id, accountId, workflow, workflowVersion, input, inputHash, idempotencyKey, requestHash, priority, createdAt, deadlineAt, List.of(), null, TraceContext.NONE, null, null);
    }

    /**
     * The job as a store holds it right after the insert, so a store need not read back what it
     * just wrote. Stores keep instants to the millisecond, so the job equals a later read of it.
     */
    public Job queued() {
        Instant created = createdAt.truncatedTo(ChronoUnit.MILLIS);
        return new Job(id, accountId, workflow, workflowVersion, JobStatus.QUEUED, null, input, inputHash, null, null, null, null, Usage.ZERO,
                0, 0, false, idempotencyKey, created, created, null, null, deadlineAt.truncatedTo(ChronoUnit.MILLIS), null, trace);
    }
}
