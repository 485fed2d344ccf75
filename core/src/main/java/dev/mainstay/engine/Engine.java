package dev.mainstay.engine;

import dev.mainstay.ContentHash;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.contract.ConfidenceGate;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.OutputContract;
import dev.mainstay.contract.Violation;
import dev.mainstay.fallback.FallbackRung;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.NewJob;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.store.SubmitOutcome;
import dev.mainstay.job.Usage;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.UsageQuery;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.Routes;
import dev.mainstay.provider.Target;
import dev.mainstay.review.Review;
import dev.mainstay.store.Store;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.ToolStage;
import dev.mainstay.workflow.StageDefinition;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The durable job engine. {@link #submit} makes a job durable and returns; a dispatcher claims
 * runnable jobs in batches under a lease and runs each on its own virtual thread, committing every
 * stage's output before the next stage starts. A node that dies loses nothing: its leases expire
 * and any node claims the jobs again, resuming at the first uncommitted stage.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final Set<JobStatus> ACTIVE = EnumSet.complementOf(EnumSet.copyOf(JobStatus.terminal()));
    private static final Duration AWAIT_POLL = Duration.ofMillis(200);
    private static final Duration REVIEW_SWEEP = Duration.ofSeconds(1);

    private final Store store;
    private final WorkflowRegistry registry;
    private final ModelStageExecutor executor;
    private final FallbackLadder ladder;
    private final TargetHealth health;
    private final TargetLimits limits;
    private final Quotas quotas;
    private final Clock clock;
    private final EngineConfig config;
    private final RetrySchedule retries;
    private final JobIds ids;
    private final Map<String, Thread> running = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> workflowBulkheads = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> watchers = new ConcurrentHashMap<>();
    private final Semaphore wake = new Semaphore(0);
    private final Backlog backlog = new Backlog();
    private volatile boolean stopping;
    private volatile boolean started;
    private Thread dispatcher;
    private Thread heartbeat;

    /** What a submit produced: the job and whether this call created it. */
    public record Submission(Job job, boolean created) {
    }

    public Engine(Store store, WorkflowRegistry registry, Map<String, Provider> providers, Routes routes, PriceTable prices,
                  Clock clock, EngineConfig config, RandomGenerator random) {
        this(store, registry, providers, routes, prices, Map.of(), clock, config, random);
    }

    /** @param tools the integrations tool stages may call, by name */
    public Engine(Store store, WorkflowRegistry registry, Map<String, Provider> providers, Routes routes, PriceTable prices,
                  Map<String, dev.mainstay.tool.ToolSpec> tools, Clock clock, EngineConfig config, RandomGenerator random) {
        this.store = store;
        this.registry = registry;
        this.clock = clock;
        this.config = config;
        this.health = new TargetHealth(clock, config.breakerFailures(), config.breakerCooldown());
        this.limits = new TargetLimits(clock, config.targetLimits());
        this.ids = new JobIds(clock);
        this.tools = new ToolStageExecutor(store, tools, clock, config, ids);
        this.quotas = new Quotas(store, prices, routes, clock, config, ids);
        this.executor = new ModelStageExecutor(providers, routes, quotas, clock, config, health, limits,
                (job, stage, request, n) -> this.tools.callForModel(job, stage, request, n));
        this.retries = new RetrySchedule(random);
        this.ladder = new FallbackLadder(store, config.toolchainVersion());
    }

    private final ToolStageExecutor tools;

    public EngineConfig config() {
        return config;
    }

    // ---- submission ----------------------------------------------------------------------------

    /**
     * Validates {@code body} against the workflow's input schema, applies admission limits and
     * makes the job durable. With an idempotency key, a repeat of the same request returns the
     * first job; a different request under the same key is refused.
     *
     * @throws InvalidInputException listing every schema violation with its JSON pointer
     * @throws OverloadedException when the account's or the node's backlog is full
     * @throws IdempotencyConflictException when the key was used for another request
     */
    public Submission submit(Principal principal, WorkflowDefinition workflow, JsonNode body, String idempotencyKey) {
        if (body == null || !body.isObject()) {
            throw new InvalidInputException("the request body must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        List<Violation> violations = workflow.input().validate(body);
        if (!violations.isEmpty()) {
            throw new InvalidInputException("the request body does not match the input schema of " + workflow.name() + " v" + workflow.version(), violations);
        }
        JsonNode input = workflow.input().withDefaults(body);
        // Hashed after defaults: spelling out a default value is the same request.
        String requestHash = ContentHash.sha256(workflow.name() + "\n" + Json.canonical(input));
        quotas.checkEligible(principal, workflow);
        admit(principal.accountId());
        Instant now = clock.instant();
        String jobId = ids.next("job");
        AuditEvent submitted = new AuditEvent(now, "key:" + principal.keyId(), AuditAction.JOB_SUBMITTED, principal.accountId(), jobId,
                Json.object().put("workflow", workflow.name()).put("version", workflow.version()).put("input_hash", ContentHash.shortForm(requestHash))
                        .put("idempotency_key", idempotencyKey != null));
        NewJob job = new NewJob(jobId, principal.accountId(), workflow.name(), workflow.version(), input,
                ContentHash.sha256(Json.canonical(input)), idempotencyKey, requestHash, workflow.priority(), now, now.plus(workflow.deadline()), List.of(submitted));
        SubmitOutcome outcome = store.submit(job, quotas.admission(principal.accountId(), workflow, now));
        return switch (outcome) {
            case SubmitOutcome.Created c -> {
                backlog.admitted(principal.accountId());
                wake.release();
                yield new Submission(c.job(), true);
            }
            case SubmitOutcome.Existing e -> new Submission(e.job(), false);
            case SubmitOutcome.Conflict c -> throw new IdempotencyConflictException(idempotencyKey, c.existingJobId());
            case SubmitOutcome.Refused r -> throw new LimitExceededException(r.hit());
        };
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

    // ---- reading and control -------------------------------------------------------------------

    /** The job if it belongs to {@code accountId}; another account's job is reported as missing. */
    public Job job(String accountId, String jobId) {
        return store.job(jobId).filter(j -> j.accountId().equals(accountId)).orElseThrow(() -> new JobNotFoundException(jobId));
    }

    /**
     * Waits until the job is terminal or {@code timeout} passes, whichever is first, and returns
     * the job as it is then.
     */
    public Job awaitTerminal(String accountId, String jobId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            CompletableFuture<Void> signal = watchers.computeIfAbsent(jobId, k -> new CompletableFuture<>());
            Job job = job(accountId, jobId);
            long left = deadline - System.nanoTime();
            if (job.status().isTerminal() || left <= 0) {
                // A job that finished on another node never signals here; drop the entry ourselves.
                watchers.remove(jobId, signal);
                return job;
            }
            try {
                // Bounded waits: the job may finish on another node, which cannot signal us.
                signal.get(Math.min(left, AWAIT_POLL.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException ignored) {
                // look again
            }
        }
    }

    /** Cancels an unfinished job; cancelling a cancelled job again is a no-op. */
    public Job cancel(String accountId, String jobId) {
        return cancel(accountId, jobId, "account:" + accountId);
    }

    /** {@link #cancel(String, String)}, recording {@code actor} ({@code key:<id>}) in the audit log. */
    public Job cancel(String accountId, String jobId, String actor) {
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
        Thread worker = running.get(jobId);
        if (worker != null) {
            worker.interrupt();
        }
        if (applied && job.status() == JobStatus.WAITING_FOR_REVIEW) {
            store.closeReviews(jobId, "system:cancel", clock.instant());
        }
        signal(jobId);
        Job now = job(accountId, jobId);
        if (!applied && now.status() != JobStatus.CANCELLED) {
            throw new InvalidStateException("job " + jobId + " finished as " + now.status().wire() + " before it could be cancelled");
        }
        return now;
    }

    /** Puts a failed job back in the queue at its failed stage; its committed stages are kept. */
    public Job replay(String accountId, String jobId) {
        return replay(accountId, jobId, "account:" + accountId);
    }

    /** {@link #replay(String, String)}, recording {@code actor} ({@code key:<id>}) in the audit log. */
    public Job replay(String accountId, String jobId, String actor) {
        Job job = job(accountId, jobId);
        if (job.status() != JobStatus.FAILED) {
            throw new InvalidStateException("only failed jobs can be replayed; job " + jobId + " is " + job.status().wire());
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
        wake.release();
        return job(accountId, jobId);
    }

    /**
     * Decides a pending review: {@code approve} takes the proposed output, {@code edit} the given
     * one (checked against the stage's output contract), {@code reject} fails the job with
     * {@code review_rejected}. An approved or edited output is committed as the stage's output and
     * the job goes on with the next stage, or finishes.
     *
     * @param reviewer who decided (an API key id, or {@code system:expiry})
     */
    public Review decide(String accountId, String reviewId, Review.Decision decision, JsonNode output, String note, String reviewer) {
        return decide(accountId, reviewId, decision, output, note, reviewer, false);
    }

    /**
     * {@link #decide(String, String, Review.Decision, JsonNode, String, String)}, where an edit
     * may {@code override} the stage's rules and confidence field: the edited output must still
     * satisfy the output schema, and the override needs a {@code note} saying why. What was
     * overridden is recorded in the audit log and in the stage's provenance
     * ({@code validation: overridden}).
     *
     * @throws InvalidInputException when the edit breaks the schema, or breaks a rule without
     *     {@code override}, naming each failing rule or field under {@code /output}
     */
    public Review decide(String accountId, String reviewId, Review.Decision decision, JsonNode output, String note, String reviewer, boolean override) {
        Review r = store.review(reviewId).filter(x -> x.accountId().equals(accountId))
                .orElseThrow(() -> new ReviewNotFoundException(reviewId));
        if (r.status() != Review.Status.PENDING) {
            throw new InvalidStateException("review " + reviewId + " was already decided: " + r.status().wire() + " by " + r.reviewer());
        }
        Job job = job(accountId, r.jobId());
        WorkflowDefinition wf = registry.version(job.workflow(), job.workflowVersion())
                .orElseThrow(() -> new InvalidStateException("workflow " + job.workflow() + " v" + job.workflowVersion() + " is no longer known"));
        ModelStage stage = switch (wf.stages().get(r.stageIndex())) {
            case ModelStage m -> m;
            case ToolStage t -> null;
        };
        if (stage == null) {
            return decideToolCall(r, job, wf, decision, note, reviewer);
        }
        List<String> overridden = List.of();
        JsonNode decided = switch (decision) {
            case APPROVE -> {
                if (r.proposed() == null) {
                    throw new InvalidStateException("review " + reviewId + " has no proposed output to approve; send decision 'edit' with an output, or 'reject'");
                }
                List<Violation> violations = stage.output().schema().validate(r.proposed());
                if (!violations.isEmpty()) {
                    throw new InvalidStateException("review " + reviewId + ": the proposed output does not satisfy the output schema of stage '" + stage.id()
                            + "' (" + violations.getFirst().pointer() + ": " + violations.getFirst().message() + "); send decision 'edit' with a corrected output, or 'reject'");
                }
                yield r.proposed();
            }
            case EDIT -> {
                if (output == null || !output.isObject()) {
                    throw new InvalidInputException("an edit needs the corrected output", List.of(new Violation("/output", "required: a JSON object for stage '" + stage.id() + "'")));
                }
                List<Violation> violations = stage.output().schema().validate(output);
                if (!violations.isEmpty()) {
                    throw new InvalidInputException("the edited output does not satisfy the output schema of stage '" + stage.id() + "'",
                            violations.stream().map(v -> new Violation("/output" + v.pointer(), v.message())).toList());
                }
                // The rest of the contract, as a model's answer gets it. A confidence below the gate's
                // minimum is not held against an edit: the gate's purpose is a person's decision.
                if (stage.output().check(Json.write(output), job.input()) instanceof OutputContract.Check.Invalid invalid) {
                    List<Violation> broken = invalid.violations().stream().map(v -> new Violation("/output" + v.pointer(), v.message())).toList();
                    if (!override) {
                        throw new InvalidInputException("the edited output breaks the output contract of stage '" + stage.id() + "': "
                                + broken.stream().map(Violation::toString).collect(java.util.stream.Collectors.joining("; "))
                                + "; correct it, or send \"override\": true with a note saying why", broken);
                    }
                    if (note == null || note.isBlank()) {
                        throw new InvalidInputException("overriding the output contract of stage '" + stage.id() + "' needs a note saying why",
                                List.of(new Violation("/note", "required with \"override\": true")));
                    }
                    overridden = broken.stream().map(Violation::toString).toList();
                }
                yield output;
            }
            case REJECT -> null;
        };
        Instant now = clock.instant();
        List<String> path = new ArrayList<>(r.provenance() == null ? List.of() : r.provenance().fallbackPath());
        path.add("review: " + decision.outcome().wire() + " by " + reviewer + (note == null || note.isBlank() ? "" : " (" + note.strip() + ")")
                + (overridden.isEmpty() ? "" : ", output contract overridden: " + String.join("; ", overridden)));
        Provenance p = r.provenance();
        Provenance reviewed = new Provenance(p == null ? "mainstay" : p.provider(), p == null ? "review" : p.model(), p == null ? null : p.promptVersion(),
                p == null ? null : p.schemaVersion(), config.toolchainVersion(), path, overridden.isEmpty() ? "reviewed" : "overridden");
        ObjectNode data = Json.object().put("review", r.id()).put("decision", decision.wire()).put("reviewer", reviewer);
        ObjectNode audited = Json.object().put("review", r.id()).put("stage", r.stageId()).put("decision", decision.wire()).put("note", note != null && !note.isBlank());
        if (!overridden.isEmpty()) {
            var list = audited.putArray("overridden");
            overridden.forEach(list::add);
            data.set("overridden", list.deepCopy());
        }
        JobTransition.Builder t;
        if (decided == null) {
            t = JobTransition.to(job.id(), JobStatus.FAILED, now)
                    .error(JobError.of(ErrorCode.REVIEW_REJECTED, "rejected in review " + r.id() + " by " + reviewer + (note == null || note.isBlank() ? "" : ": " + note.strip())))
                    .deadLetter(false).provenance(reviewed);
        } else {
            StageRun run = new StageRun(job.id(), r.stageIndex(), r.stageId(), StageRun.COMPLETED, decided, job.stageAttempts(), reviewed, Usage.ZERO, null, r.createdAt(), now);
            boolean last = r.stageIndex() == wf.stages().size() - 1;
            t = last
                    ? JobTransition.to(job.id(), JobStatus.DEGRADED, now).result(decided, ResultType.FULL).provenance(reviewed).clearError()
                    // The time a person took is not the next stages' to lose: they get the whole deadline again.
                    : JobTransition.to(job.id(), JobStatus.QUEUED, now).nextRunAt(now).clearError()
                            .deadlineAt(later(job.deadlineAt(), now.plus(wf.deadline())));
            t.currentStage(r.stageIndex() + 1).stageAttempts(0).stageRun(run);
        }
        try {
            if (!store.decideReview(r.id(), decision.outcome(), decided, reviewer, note, now, t.from(JobStatus.WAITING_FOR_REVIEW).event("review_decided", data)
                    .audit(new AuditEvent(now, reviewer.startsWith("system:") ? reviewer : "key:" + reviewer, AuditAction.REVIEW_DECIDED, job.accountId(), job.id(),
                            audited))
                    .build())) {
                throw new InvalidStateException("review " + reviewId + " was decided by someone else a moment ago");
            }
        } catch (dev.mainstay.store.StoreException e) {
            throw new InvalidStateException("job " + job.id() + " is no longer waiting for review " + reviewId + " (it may have been cancelled)");
        }
        wake.release();
        signal(job.id());
        return store.review(reviewId).orElseThrow();
    }

    /**
     * Decides an {@code execute}-scoped tool call: approval records the approver on the call and
     * puts the job back in the queue at the same stage, which then makes the call once; rejection
     * fails the job with {@code review_rejected}. A tool call is approved or rejected as proposed.
     */
    private Review decideToolCall(Review r, Job job, WorkflowDefinition wf, Review.Decision decision, String note, String reviewer) {
        if (decision == Review.Decision.EDIT) {
            throw new InvalidStateException("review " + r.id() + " asks to approve a tool call; it is approved or rejected as proposed, not edited");
        }
        Instant now = clock.instant();
        ObjectNode data = Json.object().put("review", r.id()).put("decision", decision.wire()).put("reviewer", reviewer);
        JobTransition.Builder t;
        if (decision == Review.Decision.APPROVE) {
            dev.mainstay.tool.ToolCall call = store.toolCall(job.id(), r.stageId()).orElseThrow(() ->
                    new InvalidStateException("review " + r.id() + " has no tool call on record to approve"));
            store.recordToolCall(new dev.mainstay.tool.ToolCall(call.jobId(), call.stageId(), call.tool(), call.scope(), call.idempotencyKey(),
                    dev.mainstay.tool.ToolCall.Status.APPROVED, call.request(), null, null, reviewer, null, now));
            t = JobTransition.to(job.id(), JobStatus.QUEUED, now).nextRunAt(now).clearError()
                    .deadlineAt(later(job.deadlineAt(), now.plus(wf.deadline())));
        } else {
            t = JobTransition.to(job.id(), JobStatus.FAILED, now)
                    .error(JobError.of(ErrorCode.REVIEW_REJECTED, "the call of tool stage '" + r.stageId() + "' was rejected in review " + r.id() + " by " + reviewer
                            + (note == null || note.isBlank() ? "" : ": " + note.strip())))
                    .deadLetter(false);
        }
        try {
            if (!store.decideReview(r.id(), decision.outcome(), decision == Review.Decision.APPROVE ? r.proposed() : null, reviewer, note, now,
                    t.from(JobStatus.WAITING_FOR_REVIEW).event("review_decided", data)
                            .audit(new AuditEvent(now, reviewer.startsWith("system:") ? reviewer : "key:" + reviewer, AuditAction.REVIEW_DECIDED, job.accountId(), job.id(),
                                    Json.object().put("review", r.id()).put("stage", r.stageId()).put("decision", decision.wire()).put("tool_approval", true)
                                            .put("note", note != null && !note.isBlank())))
                            .build())) {
                throw new InvalidStateException("review " + r.id() + " was decided by someone else a moment ago");
            }
        } catch (dev.mainstay.store.StoreException e) {
            throw new InvalidStateException("job " + job.id() + " is no longer waiting for review " + r.id() + " (it may have been cancelled)");
        }
        wake.release();
        signal(job.id());
        return store.review(r.id()).orElseThrow();
    }

    /** Applies the declared outcome to reviews nobody decided in time. */
    private void expireReviews() {
        for (Review r : store.expiredReviews(clock.instant(), 100)) {
            Review.Decision outcome = r.onExpiry() == Review.Decision.APPROVE && approvable(r) ? Review.Decision.APPROVE : Review.Decision.REJECT;
            try {
                decide(r.accountId(), r.id(), outcome, null, "expired at " + r.expiresAt(), "system:expiry");
            } catch (RuntimeException e) {
                LOG.debug("review {} changed while expiring it", r.id(), e);
            }
        }
    }

    private static Instant later(Instant a, Instant b) {
        return a == null || b.isAfter(a) ? b : a;
    }

    /** Whether the review's proposal could be approved as it is: present and within its stage's schema. */
    private boolean approvable(Review r) {
        if (r.proposed() == null) {
            return false;
        }
        return store.job(r.jobId()).flatMap(j -> registry.version(j.workflow(), j.workflowVersion()))
                .map(wf -> wf.stages().get(r.stageIndex()))
                .map(s -> switch (s) {
                    case ModelStage m -> m.output().schema().validate(r.proposed()).isEmpty();
                    case ToolStage t -> false; // a tool call is never approved by default
                })
                .orElse(false);
    }

    // ---- limits and usage ----------------------------------------------------------------------

    /** The limits set on an account (unset ones {@code null}) and the limits enforced (defaults filled in). */
    public record AccountLimitsView(AccountLimits set, AccountLimits effective) {
    }

    public AccountLimitsView limits(String accountId) {
        AccountLimits set = store.limits(accountId);
        return new AccountLimitsView(set, set.orElse(config.defaultLimits()));
    }

    /** Replaces an account's limits at runtime; {@code actor} is recorded with the change. */
    public AccountLimitsView setLimits(String accountId, AccountLimits limits, String actor) {
        Instant now = clock.instant();
        store.setLimits(accountId, limits, actor, now);
        store.audit(List.of(new AuditEvent(now, "key:" + actor, AuditAction.LIMITS_CHANGED, accountId, accountId, limits.toJson())));
        quotas.forget(accountId);
        wake.release(); // a raised concurrency limit may let waiting jobs start
        return limits(accountId);
    }

    public List<UsageQuery.Row> usage(UsageQuery query) {
        return store.usage(query);
    }

    /** The account's budgets as they stand, and what the first call of each of {@code workflows} needs of them. */
    public BudgetStanding standing(String accountId, List<WorkflowDefinition> workflows) {
        return quotas.standing(accountId, workflows, clock.instant());
    }

    /** Nudges the dispatcher, e.g. after a test stepped the clock. */
    public void wake() {
        wake.release();
    }

    public int runningCount() {
        return running.size();
    }

    /** What this node has learned about each route target: breaker state, recent latency. */
    public List<TargetHealth.Snapshot> targetHealth() {
        return health.snapshots();
    }

    // ---- lifecycle -----------------------------------------------------------------------------

    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        // Work made due by any node (a submit, a retry, a handed-back lease) wakes the dispatcher at
        // once instead of at its next poll; the poll stays as the backstop for lost wake-ups.
        store.onWork(wake::release);
        recoverLeases();
        dispatcher = Thread.ofPlatform().name("mainstay-dispatcher").daemon(true).start(this::dispatchLoop);
        heartbeat = Thread.ofVirtual().name("mainstay-heartbeat").start(this::heartbeatLoop);
        LOG.info("engine started as node {}", config.nodeId());
    }

    /**
     * Takes back at once the jobs and calls in flight an earlier run of this node left when it died,
     * rather than letting instant jobs miss their deadlines while its leases run out.
     */
    private void recoverLeases() {
        try {
            Store.Recovered r = store.recoverLeases(config.nodeId(), clock.instant());
            if (r.jobs() > 0 || r.unknownOutcomes() > 0) {
                LOG.info("node {} took back {} jobs left running by its previous run and charged {} calls that were in flight at their estimates",
                        config.nodeId(), r.jobs(), r.unknownOutcomes());
            }
        } catch (dev.mainstay.store.StoreException e) {
            // The database is away: those leases and reservations expire instead, as for a node that never returns.
            LOG.warn("node {} could not take back the leases of its previous run ({}); they will expire instead", config.nodeId(), e.getMessage());
        }
    }

    /**
     * Stops claiming, lets running jobs finish for the configured grace period, then interrupts the
     * rest and hands their leases back so the next start (of any node) resumes them at once.
     */
    public synchronized void stop() {
        if (!started || stopping) {
            return;
        }
        stopping = true;
        wake.release();
        joinQuietly(dispatcher, Duration.ofSeconds(5));
        long graceEnd = System.nanoTime() + config.shutdownGrace().toNanos();
        while (!running.isEmpty() && System.nanoTime() < graceEnd) {
            sleepQuietly(Duration.ofMillis(20));
        }
        int interrupted = running.size();
        running.values().forEach(Thread::interrupt);
        long exitEnd = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!running.isEmpty() && System.nanoTime() < exitEnd) {
            sleepQuietly(Duration.ofMillis(10));
        }
        heartbeat.interrupt();
        try {
            int released = store.releaseLeases(config.nodeId(), clock.instant());
            LOG.info("engine stopped: {} running jobs interrupted, {} leases handed back to the queue", interrupted, released);
        } catch (dev.mainstay.store.StoreException e) {
            // The database is away: the leases run out on their own and another node takes the jobs then.
            LOG.warn("engine stopped: {} running jobs interrupted; their leases could not be handed back ({}) and will expire instead",
                    interrupted, e.getMessage());
        }
    }

    @Override
    public void close() {
        stop();
    }

    private void dispatchLoop() {
        long nextExpirySweep = 0;
        while (!stopping) {
            try {
                if (System.nanoTime() - nextExpirySweep >= 0) {
                    expireReviews();
                    store.expireReservations(clock.instant());
                    nextExpirySweep = System.nanoTime() + REVIEW_SWEEP.toNanos();
                }
                int free = config.maxInFlight() - running.size();
                if (free > 0) {
                    int want = Math.min(free, config.claimBatch());
                    Instant now = clock.instant();
                    List<Job> claimed = store.claim(config.nodeId(), want, now, now.plus(config.lease()), config.defaultLimits());
                    for (Job job : claimed) {
                        if (running.containsKey(job.id())) {
                            // Our own lease lapsed (a heartbeat failed) and we re-claimed the job:
                            // the worker that has it is still running and now holds the new lease.
                            continue;
                        }
                        Thread worker = Thread.ofVirtual().name("job-" + job.id()).unstarted(() -> runJob(job));
                        running.put(job.id(), worker);
                        worker.start();
                    }
                    if (claimed.size() == want) {
                        continue;
                    }
                }
                long sleep = config.idlePoll().toMillis();
                if (free > 0) {
                    Optional<Instant> due = store.nextDueAt();
                    if (due.isPresent()) {
                        sleep = Math.max(0, Math.min(sleep, Duration.between(clock.instant(), due.get()).toMillis() + 1));
                    }
                }
                if (sleep > 0 && wake.tryAcquire(sleep, TimeUnit.MILLISECONDS)) {
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("dispatcher: claim failed, retrying in {}", config.idlePoll(), e);
                sleepQuietly(config.idlePoll());
            }
        }
    }

    private void heartbeatLoop() {
        Duration every = config.lease().dividedBy(3);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(every);
                if (!running.isEmpty()) {
                    store.extendLeases(config.nodeId(), List.copyOf(running.keySet()), clock.instant().plus(config.lease()));
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("heartbeat: extending leases failed; will try again in {}", every, e);
            }
        }
    }

    // ---- running a job -------------------------------------------------------------------------

    private void runJob(Job job) {
        Semaphore bulkhead = null;
        try {
            Optional<WorkflowDefinition> workflow = registry.version(job.workflow(), job.workflowVersion());
            if (workflow.isEmpty()) {
                fail(job, new JobError(ErrorCode.INTERNAL, "workflow " + job.workflow() + " v" + job.workflowVersion()
                        + " is not known to node " + config.nodeId(), true), null, List.of(), null);
                return;
            }
            WorkflowDefinition wf = workflow.get();
            bulkhead = workflowBulkheads.computeIfAbsent(wf.name(), n -> new Semaphore(wf.concurrency(), true));
            bulkhead.acquire();
            execute(job, wf);
        } catch (InterruptedException e) {
            // Cancelled or shutting down: whatever was committed stands; the rest resumes elsewhere.
        } catch (dev.mainstay.store.StoreException e) {
            // The database failed under the job (a restart, a failover), not the job: nothing is
            // decided about it. Its lease is no longer renewed, so it runs again, here or on another
            // node, once the lease expires; a call it had reserved is charged at its estimate.
            LOG.warn("job {}: the store failed under it ({}); it runs again once its lease expires", job.id(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("job {}: unexpected failure", job.id(), e);
            try {
                fail(job, new JobError(ErrorCode.INTERNAL, "internal error while running the job: " + e.getClass().getSimpleName(), true), null, List.of(), null);
            } catch (RuntimeException again) {
                LOG.error("job {}: could not record the failure; its lease will expire and it will run again", job.id(), again);
            }
        } finally {
            if (bulkhead != null) {
                bulkhead.release();
            }
            running.remove(job.id());
            wake.release();
            signal(job.id());
        }
    }

    private void execute(Job job, WorkflowDefinition wf) throws InterruptedException {
        Map<String, JsonNode> outputs = new LinkedHashMap<>();
        JsonNode lastOutput = null;
        Provenance lastProvenance = null;
        boolean partial = false;
        boolean repaired = false;
        if (job.currentStage() > 0) {
            for (StageRun run : store.stages(job.id())) {
                if (run.index() < job.currentStage() && StageRun.COMPLETED.equals(run.status())) {
                    outputs.put(run.stageId(), run.output());
                    lastOutput = run.output();
                    lastProvenance = run.provenance();
                    repaired |= run.provenance() != null && "repaired".equals(run.provenance().validation());
                } else if (run.index() < job.currentStage()) {
                    partial = true;
                }
            }
        }
        List<StageDefinition> stages = wf.stages();
        int attemptsDone = job.stageAttempts();
        for (int i = job.currentStage(); i < stages.size(); i++) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            StageDefinition stage = stages.get(i);
            if (stage instanceof ToolStage tool) {
                switch (tools.run(job, wf, i, tool, outputs, i == stages.size() - 1, partial)) {
                    case ToolStageExecutor.Outcome.Next next -> {
                        outputs.put(stage.id(), next.output());
                        lastOutput = next.output();
                        lastProvenance = next.provenance();
                        attemptsDone = 0;
                        continue;
                    }
                    case ToolStageExecutor.Outcome.Skipped skipped -> {
                        partial = true;
                        attemptsDone = 0;
                        continue;
                    }
                    case ToolStageExecutor.Outcome.Stop stop -> {
                        return;
                    }
                }
            }
            ModelStage model = switch (stage) {
                case ModelStage m -> m;
                case ToolStage t -> throw new IllegalStateException("tool stages are run above");
            };
            List<Target> targets = executor.targets(model);
            int perTarget = stage.retry().attempts();
            int attempt = attemptsDone + 1;
            int targetIndex = (attempt - 1) / perTarget;
            Instant started = clock.instant();
            Duration left = Duration.between(started, job.deadlineAt());
            StageResult result;
            if (targetIndex >= targets.size()) {
                result = new StageResult.Failed(new JobError(ErrorCode.PROVIDER_UNAVAILABLE, "no route of " + model.route()
                        + " has a target; check the 'routes' configuration", false), Optional.empty(), null, List.of());
            } else if (left.toMillis() < 1) {
                // Claimed after its deadline (after a restart, say): no target is too slow or too busy, there is no time at all.
                result = new StageResult.Failed(new JobError(ErrorCode.DEADLINE_EXCEEDED, "the workflow deadline of " + wf.deadline() + " passed at "
                        + job.deadlineAt() + ", before stage '" + stage.id() + "' could run on " + targets.get(targetIndex), false), Optional.empty(), null, List.of());
            } else {
                Target target = targets.get(targetIndex);
                boolean alternative = targetIndex + 1 < targets.size() || !wf.fallback().isEmpty();
                Optional<TargetHealth.Block> block = health.refusal(target);
                Optional<Duration> p95 = health.p95(target);
                if (block.isEmpty()) {
                    // Configured minute budgets: a call that does not fit yet waits in the queue.
                    Optional<Instant> fits = limits.admit(target, () -> executor.estimateTokens(job, wf, model, outputs, target));
                    if (fits.isPresent()) {
                        block = Optional.of(new TargetHealth.Block(target + " is at its configured requests- or tokens-per-minute limit", fits.get(), false));
                    }
                }
                if (block.isPresent() && !block.get().circuitOpen() && block.get().until().isBefore(job.deadlineAt())) {
                    // The provider asked for a pause: wait in the queue rather than add to a 429 storm.
                    store.apply(JobTransition.to(job.id(), JobStatus.RETRYING, started).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                            .stageAttempts(attemptsDone).nextRunAt(block.get().until()).retryAt(block.get().until()).releaseLease()
                            .event("target_busy", Json.object().put("stage", stage.id()).put("target", target.toString()).put("reason", block.get().reason())).build());
                    return;
                } else if (block.isPresent()) {
                    result = new StageResult.Failed(new JobError(ErrorCode.PROVIDER_UNAVAILABLE, block.get().reason(), false), Optional.empty(), null, List.of());
                } else if (alternative && p95.isPresent() && p95.get().compareTo(left) > 0) {
                    result = new StageResult.Failed(new JobError(ErrorCode.PROVIDER_TIMEOUT, "skipped " + target + ": its p95 latency of " + p95.get().toMillis()
                            + " ms is more than the " + left.toMillis() + " ms left before the deadline", false), Optional.empty(), null, List.of());
                } else {
                    String cacheKey = wf.cacheTtl().isPresent() ? cacheKey(job, wf, stage, target, outputs) : null;
                    Optional<Store.CachedOutput> hit = cacheKey == null ? Optional.empty() : store.cachedOutput(cacheKey, started);
                    if (hit.isPresent()) {
                        // A hit costs no tokens and says where it came from.
                        Provenance p = hit.get().provenance();
                        result = new StageResult.Completed(hit.get().output(), (p == null
                                ? new Provenance(target.provider(), target.model(), null, null, config.toolchainVersion(), List.of(), "passed")
                                : p).cachedFrom(hit.get().sourceJob()), List.of());
                    } else {
                        result = executor.attempt(job, wf, model, outputs, target);
                        if (cacheKey != null && result instanceof StageResult.Completed c) {
                            store.cacheOutput(cacheKey, wf.name(), new Store.CachedOutput(c.output(), c.provenance(), job.id()), clock.instant(),
                                    clock.instant().plus(wf.cacheTtl().get()));
                        }
                    }
                }
            }
            Instant now = clock.instant();
            boolean last = i == stages.size() - 1;
            // Attempts as made, for records and events; `attempt` counts slots, which drive the route.
            int made = attemptsMade(job.id(), stage.id(), attempt, perTarget, targetIndex);
            switch (result) {
                case StageResult.Completed c -> {
                    attemptsDone = 0;
                    outputs.put(stage.id(), c.output());
                    lastOutput = c.output();
                    // Only a switch of targets leaves a history, and a switch moves the attempt past the first target.
                    Provenance withPath = withPath(c.provenance(), targetIndex == 0 ? List.of() : targetHistory(job.id(), stage.id()));
                    lastProvenance = withPath;
                    repaired |= "repaired".equals(c.provenance().validation());
                    StageRun run = new StageRun(job.id(), i, stage.id(), StageRun.COMPLETED, c.output(), made, withPath, c.usage(), null, started, now);
                    ObjectNode data = Json.object().put("stage", stage.id()).put("index", i).put("attempt", made);
                    JobTransition.Builder t;
                    if (last) {
                        boolean rerouted = !withPath.fallbackPath().isEmpty();
                        t = JobTransition.to(job.id(), partial ? JobStatus.PARTIALLY_COMPLETED : rerouted ? JobStatus.DEGRADED : JobStatus.COMPLETED, now)
                                .result(lastOutput, ResultType.FULL)
                                .provenance(jobProvenance(lastProvenance, repaired))
                                .clearError()
                                .event(partial ? "partially_completed" : rerouted ? "degraded" : "completed", data);
                    } else {
                        t = JobTransition.to(job.id(), JobStatus.PROCESSING, now).clearError().event("stage_completed", data);
                    }
                    if (!store.apply(t.from(JobStatus.PROCESSING).leasedBy(config.nodeId()).currentStage(i + 1).stageAttempts(0)
                            .charges(c.charges()).stageRun(run).build())) {
                        return; // cancelled, or the lease was lost to another node
                    }
                }
                case StageResult.Failed f when f.waitForBudget().isPresent() && now.plus(f.waitForBudget().get()).isBefore(job.deadlineAt()) -> {
                    // Only other calls' reservations stand in the way; they may settle for less. Wait
                    // in the queue without spending an attempt.
                    Instant when = now.plus(f.waitForBudget().get());
                    store.apply(JobTransition.to(job.id(), JobStatus.RETRYING, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                            .stageAttempts(attemptsDone).nextRunAt(when).retryAt(when).charges(f.charges()).releaseLease()
                            .event("budget_wait", Json.object().put("stage", stage.id()).put("code", f.error().code().code()).put("reason", f.error().message())).build());
                    return;
                }
                case StageResult.Failed f -> {
                    JobError error = f.error();
                    boolean deadline = error.code() == ErrorCode.DEADLINE_EXCEEDED;
                    boolean retry = error.retryable() && (attempt - 1) % perTarget + 1 < perTarget;
                    Duration delay = Duration.ZERO;
                    if (retry) {
                        delay = retries.delay(stage.retry(), (attempt - 1) % perTarget + 1, f.retryAfter());
                        if (now.plus(delay).isAfter(job.deadlineAt())) {
                            retry = false;
                            error = new JobError(error.code(), error.message() + " (the next attempt would start after the workflow deadline)", error.retryable());
                        }
                    }
                    if (retry) {
                        ObjectNode data = Json.object().put("stage", stage.id()).put("attempt", made).put("target", targets.get(targetIndex).toString())
                                .put("code", error.code().code()).put("delay_ms", delay.toMillis());
                        store.apply(JobTransition.to(job.id(), JobStatus.RETRYING, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                                .stageAttempts(attempt).error(error).nextRunAt(now.plus(delay)).retryAt(now.plus(delay))
                                .charges(f.charges()).releaseLease().event("retry_scheduled", data).build());
                        return;
                    }
                    boolean lowToReview = error.code() == ErrorCode.LOW_CONFIDENCE && model.output().confidence()
                            .map(g -> g.below() == ConfidenceGate.Action.REVIEW).orElse(false);
                    if (lowToReview) {
                        // The gate says a person decides: no other target, no other rung.
                        FallbackRung.Review rung = wf.fallback().stream().filter(FallbackRung.Review.class::isInstance).map(FallbackRung.Review.class::cast)
                                .findFirst().orElse(new FallbackRung.Review(FallbackRung.Review.DEFAULT_EXPIRY, Review.Decision.REJECT));
                        List<String> path = new ArrayList<>(targetHistory(job.id(), stage.id()));
                        path.add(targets.get(targetIndex) + ": low_confidence, sent to review as the confidence gate declares");
                        Provenance p = f.provenance();
                        openReview(job, wf, i, stage, run(job, i, stage, made, f, error, started, now), f, error, rung,
                                p == null ? null : withPath(p, path), made, now);
                        return;
                    }
                    if (!deadline && targetIndex + 1 < targets.size()) {
                        // This target gave up: the next one of the route gets a fresh set of attempts, now.
                        attemptsDone = (targetIndex + 1) * perTarget;
                        ObjectNode data = Json.object().put("stage", stage.id()).put("from", targets.get(targetIndex).toString())
                                .put("to", targets.get(targetIndex + 1).toString()).put("code", error.code().code()).put("reason", error.message())
                                .put("attempts", (attempt - 1) % perTarget + 1);
                        if (!store.apply(JobTransition.to(job.id(), JobStatus.PROCESSING, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                                .stageAttempts(attemptsDone).error(error).charges(f.charges()).event("target_switched", data).build())) {
                            return;
                        }
                        i--; // same stage, next target
                        continue;
                    }
                    attemptsDone = 0;
                    StageRun run = new StageRun(job.id(), i, stage.id(), StageRun.FAILED, null, made, f.provenance(), f.usage(), error, started, now);
                    if (stage.optional() && !last) {
                        partial = true;
                        if (!store.apply(JobTransition.to(job.id(), JobStatus.PROCESSING, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                                .currentStage(i + 1).stageAttempts(0).charges(f.charges()).stageRun(run)
                                .event("stage_skipped", Json.object().put("stage", stage.id()).put("code", error.code().code())).build())) {
                            return;
                        }
                        continue;
                    }
                    if (stage.optional() && lastOutput != null) {
                        store.apply(JobTransition.to(job.id(), JobStatus.PARTIALLY_COMPLETED, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                                .currentStage(i + 1).stageAttempts(0).charges(f.charges()).stageRun(run)
                                .result(lastOutput, ResultType.FULL).provenance(jobProvenance(lastProvenance, repaired))
                                .event("partially_completed", Json.object().put("stage", stage.id())).build());
                        return;
                    }
                    List<String> path = new ArrayList<>(targetHistory(job.id(), stage.id()));
                    if (targetIndex < targets.size()) {
                        path.add(targets.get(targetIndex) + ": " + error.code().code());
                    }
                    Optional<FallbackLadder.Outcome> rescue = wf.fallback().isEmpty() ? Optional.empty() : ladder.climb(job, wf, i, f, path);
                    if (rescue.isPresent()) {
                        switch (rescue.get()) {
                            case FallbackLadder.Rescue r -> {
                                ObjectNode data = Json.object().put("stage", stage.id()).put("code", error.code().code()).put("result_type", r.type().wire());
                                store.apply(JobTransition.to(job.id(), JobStatus.DEGRADED, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                                        .stageAttempts(made).charges(f.charges()).stageRun(run).clearError()
                                        .result(r.result(), r.type()).provenance(r.provenance()).event("degraded", data).build());
                            }
                            case FallbackLadder.ToReview r -> openReview(job, wf, i, stage, run, f, error, r.rung(), r.provenance(), made, now);
                        }
                        return;
                    }
                    Provenance failedWith = f.provenance() == null ? null : withPath(f.provenance(), path);
                    fail(job, error, new StageRun(job.id(), i, stage.id(), StageRun.FAILED, null, made, failedWith, f.usage(), error, started, now), f.charges(),
                            wf.fallback().isEmpty() ? null : new Provenance("mainstay", null, null, null, config.toolchainVersion(), path, "failed"));
                    return;
                }
            }
        }
    }

    private static StageRun run(Job job, int index, StageDefinition stage, int attempt, StageResult.Failed f, JobError error, Instant started, Instant now) {
        return new StageRun(job.id(), index, stage.id(), StageRun.FAILED, null, attempt, f.provenance(), f.usage(), error, started, now);
    }

    /** Parks the job in waiting_for_review with a pending review of the stage's output. */
    private void openReview(Job job, WorkflowDefinition wf, int index, StageDefinition stage, StageRun run, StageResult.Failed f, JobError error,
                            FallbackRung.Review rung, Provenance provenance, int attempt, Instant now) {
        Review review = new Review(ids.next("rev"), job.id(), job.accountId(), wf.name(), index, stage.id(),
                error.code().code() + ": " + error.message(), f.rejectedOutput(), provenance, Review.Status.PENDING,
                rung.onExpiry(), null, null, null, now, now.plus(rung.expires()), null);
        ObjectNode data = Json.object().put("stage", stage.id()).put("review", review.id()).put("code", error.code().code());
        JobTransition.Builder t = JobTransition.to(job.id(), JobStatus.WAITING_FOR_REVIEW, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                .stageAttempts(attempt).charges(f.charges()).stageRun(run).error(error).releaseLease()
                .openReview(review).event("review_requested", data);
        if (provenance != null) {
            t.provenance(provenance);
        }
        store.apply(t.build());
    }

    /** Workflow version, stage, target, the input (defaults filled in) and what earlier stages produced. */
    private static String cacheKey(Job job, WorkflowDefinition wf, StageDefinition stage, Target target, Map<String, JsonNode> earlier) {
        return ContentHash.sha256(wf.name() + "\n" + wf.version() + "\n" + wf.contentHash() + "\n" + stage.id() + "\n" + target + "\n"
                + job.inputHash() + "\n" + Json.canonical(Json.MAPPER.valueToTree(earlier)));
    }

    /**
     * The attempts really made at a stage so far, this one included. Attempt numbers count slots,
     * {@code retry.attempts} of them per target, and a target that gives up early (a refusal, an
     * invalid answer) leaves the rest of its slots unused; each switch of targets records how many
     * its target used. A replay starts the stage over.
     */
    private int attemptsMade(String jobId, String stageId, int attempt, int perTarget, int targetIndex) {
        int onThisTarget = (attempt - 1) % perTarget + 1;
        if (targetIndex == 0) {
            return onThisTarget;
        }
        int before = 0;
        for (var e : store.events(jobId, 0, 10_000)) {
            if ("replayed".equals(e.type())) {
                before = 0;
            } else if ("target_switched".equals(e.type()) && e.data() != null && stageId.equals(e.data().path("stage").asString(""))) {
                before += e.data().path("attempts").asInt(perTarget); // switches recorded before the count was kept used every slot
            }
        }
        return before + onThisTarget;
    }

    /** The route targets a stage gave up on so far, from the job's durable events. */
    private List<String> targetHistory(String jobId, String stageId) {
        List<String> out = new ArrayList<>();
        for (var e : store.events(jobId, 0, 10_000)) {
            if ("target_switched".equals(e.type()) && e.data() != null && stageId.equals(e.data().path("stage").asString(""))) {
                out.add(e.data().path("from").asString() + ": " + e.data().path("code").asString() + ", switched to " + e.data().path("to").asString());
            }
        }
        return out;
    }

    private static Provenance withPath(Provenance p, List<String> path) {
        return p.withFallbackPath(path);
    }

    private Provenance jobProvenance(Provenance stage, boolean repaired) {
        if (stage == null) {
            return null;
        }
        return new Provenance(stage.provider(), stage.model(), stage.promptVersion(), stage.schemaVersion(), stage.toolchainVersion(),
                stage.fallbackPath(), repaired ? "repaired" : stage.validation(), stage.cachedFrom());
    }

    /** Ends the job as failed; a failure that was retryable but ran out of attempts is dead-lettered. */
    private void fail(Job job, JobError error, StageRun run, List<Charge> charges, Provenance provenance) {
        Instant now = clock.instant();
        JobTransition.Builder t = JobTransition.to(job.id(), JobStatus.FAILED, now)
                .from(JobStatus.PROCESSING)
                .leasedBy(config.nodeId())
                .error(error)
                .deadLetter(error.retryable())
                .event("failed", Json.object().put("code", error.code().code()).put("dead_letter", error.retryable()));
        if (run != null) {
            t.stageRun(run).stageAttempts(run.attempts());
        }
        t.charges(charges);
        if (provenance != null) {
            t.provenance(provenance);
        }
        store.apply(t.build());
    }

    private void signal(String jobId) {
        CompletableFuture<Void> f = watchers.remove(jobId);
        if (f != null) {
            f.complete(null);
        }
    }

    private static void joinQuietly(Thread t, Duration max) {
        try {
            t.join(max);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
