package dev.mainstay.engine;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.job.InvalidStateException;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobNotFoundException;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import tools.jackson.databind.node.ObjectNode;

/** Reading a caller's job, and the two controls a caller has over it: cancel and replay. */
final class JobControl {
    private static final Set<JobStatus> ACTIVE = EnumSet.complementOf(EnumSet.copyOf(JobStatus.terminal()));

    private final Store store;
    private final WorkflowRegistry registry;
    private final Clock clock;
    private final Dispatcher dispatcher;
    private final Completions completions;

    JobControl(Store store, WorkflowRegistry registry, Clock clock, Dispatcher dispatcher, Completions completions) {
        this.store = store;
        this.registry = registry;
        this.clock = clock;
        this.dispatcher = dispatcher;
        this.completions = completions;
    }

    /** The job if it belongs to {@code accountId}; another account's job is reported as missing. */
    Job job(String accountId, String jobId) {
        return store.job(jobId).filter(j -> j.accountId().equals(accountId)).orElseThrow(() -> new JobNotFoundException(jobId));
    }

    /** See {@link Engine#cancel(String, String, String)}. */
    Job cancel(String accountId, String jobId, String actor) {
        Job job = job(accountId, jobId);
        if (job.status() == JobStatus.CANCELLED) {
            return job;
        }
        if (job.status().isTerminal()) {
            throw new InvalidStateException("job " + jobId + " is already " + job.status().wire() + " and cannot be cancelled");
        }
        boolean applied = store.apply(JobTransition.to(jobId, JobStatus.CANCELLED, clock.instant())
                .from(ACTIVE)
                .error(JobError.of(ErrorCode.CANCELLED, "cancelled at the client's request"))
                .event("cancelled", null)
                .audit(new AuditEvent(clock.instant(), actor, AuditAction.JOB_CANCELLED, accountId, jobId, Json.object().put("from", job.status().wire())))
                .build());
        dispatcher.interrupt(jobId);
        if (applied && job.status() == JobStatus.WAITING_FOR_REVIEW) {
            store.closeReviews(jobId, "system:cancel", clock.instant());
        }
        completions.signal(jobId);
        Job now = job(accountId, jobId);
        if (!applied && now.status() != JobStatus.CANCELLED) {
            throw new InvalidStateException("job " + jobId + " finished as " + now.status().wire() + " before it could be cancelled");
        }
        return now;
    }

    /** See {@link Engine#replay(String, String, String)}. */
    Job replay(String accountId, String jobId, String actor) {
        Job job = job(accountId, jobId);
        if (job.status() != JobStatus.FAILED) {
            throw new InvalidStateException("only failed jobs can be replayed; job " + jobId + " is " + job.status().wire());
        }
        if (job.payloadsExpired()) {
            throw new InvalidStateException("job " + jobId + " cannot be replayed: its input expired at " + job.payloadsExpiredAt() + " under the retention policy");
        }
        WorkflowDefinition workflow = registry.version(job.workflow(), job.workflowVersion())
                .orElseThrow(() -> new InvalidStateException("workflow " + job.workflow() + " v" + job.workflowVersion() + " is no longer known"));
        Instant now = clock.instant();
        ObjectNode data = Json.object().put("from_stage", job.currentStage());
        boolean applied = store.apply(JobTransition.to(jobId, JobStatus.QUEUED, now)
                .from(JobStatus.FAILED)
                .clearError()
                .deadLetter(false)
                .stageAttempts(0)
                .nextRunAt(now)
                .deadlineAt(now.plus(workflow.deadline()))
                .event("replayed", data)
                .audit(new AuditEvent(now, actor, AuditAction.JOB_REPLAYED, accountId, jobId, data))
                .build());
        if (!applied) {
            throw new InvalidStateException("job " + jobId + " changed while it was being replayed; read it and try again");
        }
        dispatcher.wake();
        return job(accountId, jobId);
    }
}
