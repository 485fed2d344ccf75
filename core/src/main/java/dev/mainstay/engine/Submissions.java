package dev.mainstay.engine;

import dev.mainstay.ContentHash;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.limits.NotEligibleException;
import dev.mainstay.limits.RefusalCount;
import dev.mainstay.metrics.EngineMetrics;
import dev.mainstay.job.IdempotencyConflictException;
import dev.mainstay.job.JobIds;
import dev.mainstay.store.NewJob;
import dev.mainstay.store.SubmitOutcome;
import dev.mainstay.limits.LimitExceededException;
import dev.mainstay.store.Store;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.tracing.TraceSpan;
import dev.mainstay.workflow.WorkflowDefinition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Submission: checks a request against the workflow's input schema, its eligibility rules and
 * the backlogs, then makes the job durable in one store call (idempotency key, input, job, event,
 * audit record) and wakes the dispatcher.
 */
final class Submissions {
    private final Store store;
    private final Quotas quotas;
    private final Clock clock;
    private final EngineConfig config;
    private final JobIds ids;
    private final Runnable wake;
    private final Backlog backlog = new Backlog();
    private volatile dev.mainstay.retention.SubjectDigest subjects;

    private final EngineMetrics metrics;
    private final JobSpans spans;
    private final RefusalTally refusals;

    Submissions(Store store, Quotas quotas, Clock clock, EngineConfig config, JobIds ids, Runnable wake, EngineMetrics metrics) {
        this(store, quotas, clock, config, ids, wake, metrics, JobSpans.NONE, new RefusalTally(store, clock));
    }

    Submissions(Store store, Quotas quotas, Clock clock, EngineConfig config, JobIds ids, Runnable wake, EngineMetrics metrics, JobSpans spans,
            RefusalTally refusals) {
        this.refusals = refusals;
        this.metrics = metrics;
        this.spans = spans;
        this.store = store;
        this.quotas = quotas;
        this.clock = clock;
        this.config = config;
        this.ids = ids;
        this.wake = wake;
    }

    /** See {@link Engine#submit}. */
    Engine.Submission submit(Principal principal, WorkflowDefinition workflow, JsonNode body, String idempotencyKey, TraceContext incoming) {
        EngineMetrics metrics = EvalTraffic.metrics(this.metrics, principal.accountId());
        if (body == null || !body.isObject()) {
            throw new InvalidInputException("the request body must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        List<Violation> violations = workflow.input().validate(body);
        if (!violations.isEmpty()) {
            throw new InvalidInputException("the request body does not match the input schema of " + workflow.name() + " v" + workflow.version(), violations);
        }
        JsonNode input = workflow.input().withDefaults(body);
        // Hashed after defaults: spelling out a default value is the same request. Serialised once:
        // the request's hash, the payload's hash and the stored payload are all this text.
        String canonical = Json.canonical(input);
        String requestHash = ContentHash.sha256(workflow.name() + "\n" + canonical);
        try {
            quotas.checkEligible(principal, workflow);
            admit(principal.accountId());
        } catch (NotEligibleException | OverloadedException e) {
            metrics.refused(workflow.name(), workflow.version(), e.code().code());
            if (e.code() == ErrorCode.RATE_LIMITED) {
                refusals.refused(principal.accountId(), RefusalCount.BACKLOG);
            }
            throw e;
        }
        Instant now = clock.instant();
        String jobId = ids.next("job");
        AuditEvent submitted = new AuditEvent(now, "key:" + principal.keyId(), AuditAction.JOB_SUBMITTED, principal.accountId(), jobId,
                Json.object().put("workflow", workflow.name()).put("version", workflow.version()).put("input_hash", ContentHash.shortForm(requestHash))
                        .put("idempotency_key", idempotencyKey != null));
        // The submit span's context is stored with the job: every later span of the job, on any
        // node, after any restart, is its descendant.
        TraceSpan span = spans.submit(incoming, workflow.name(), workflow.version(), jobId);
        NewJob job = new NewJob(jobId, principal.accountId(), workflow.name(), workflow.version(), input,
                ContentHash.sha256(canonical), idempotencyKey, requestHash, workflow.priority(), now, now.plus(workflow.deadline()), List.of(submitted),
                now.minus(config.idempotencyWindow()), span.context(),
                workflow.subject().map(pointer -> subjects().of(input, pointer)).orElse(null), canonical);
        try {
            return durable(principal, workflow, job, idempotencyKey, span, now, metrics);
        } catch (RuntimeException e) {
            span.error(e instanceof dev.mainstay.MainstayException m ? m.code().code() : e.getClass().getName(), e.getMessage());
            throw e;
        } finally {
            span.end();
        }
    }

    private Engine.Submission durable(Principal principal, WorkflowDefinition workflow, NewJob job, String idempotencyKey, TraceSpan span, Instant now,
            EngineMetrics metrics) {
        SubmitOutcome outcome = store.submit(job, quotas.admission(principal.accountId(), workflow, now));
        if (outcome instanceof SubmitOutcome.Existing e) {
            // A repeat of an idempotent request: the job (and its trace) is the first submit's.
            span.set("mainstay.submit.existing_job.id", e.job().id());
        }
        return switch (outcome) {
            case SubmitOutcome.Created c -> {
                backlog.admitted(principal.accountId());
                metrics.submitted(workflow.name(), workflow.version());
                wake.run();
                yield new Engine.Submission(c.job(), true);
            }
            case SubmitOutcome.Existing e -> new Engine.Submission(e.job(), false);
            case SubmitOutcome.Conflict c -> throw new IdempotencyConflictException(idempotencyKey, c.existingJobId());
            case SubmitOutcome.Refused r -> {
                metrics.refused(workflow.name(), workflow.version(), r.hit().code().code());
                refusals.refused(principal.accountId(), r.hit().limit());
                throw new LimitExceededException(r.hit());
            }
        };
    }

    /** Read once: the key is made with the database and never changes. */
    private dev.mainstay.retention.SubjectDigest subjects() {
        dev.mainstay.retention.SubjectDigest s = subjects;
        if (s == null) {
            s = new dev.mainstay.retention.SubjectDigest(store.subjectKey());
            subjects = s;
        }
        return s;
    }

    private void admit(String accountId) {
        long account = backlog.count(accountId, config.maxAccountBacklog(), () -> store.countUnfinished(accountId));
        if (account >= config.maxAccountBacklog()) {
            throw new OverloadedException(ErrorCode.RATE_LIMITED, "this account has " + account + " unfinished jobs, the limit is "
                    + config.maxAccountBacklog() + "; retry when some have finished", Duration.ofSeconds(5));
        }
        long all = backlog.count(Backlog.ALL, config.maxBacklog(), () -> store.countUnfinished(null));
        if (all >= config.maxBacklog()) {
            throw new OverloadedException(ErrorCode.OVERLOADED, "the node has " + all + " unfinished jobs, the limit is "
                    + config.maxBacklog() + "; retry shortly", Duration.ofSeconds(5));
        }
    }
}
