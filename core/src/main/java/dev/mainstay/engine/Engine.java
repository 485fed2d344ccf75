package dev.mainstay.engine;

import dev.mainstay.access.Principal;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.job.IdempotencyConflictException;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.limits.LimitExceededException;
import dev.mainstay.limits.NotEligibleException;
import dev.mainstay.metrics.EngineMetrics;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.Routes;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.routing.TargetLimits;
import dev.mainstay.store.Store;
import dev.mainstay.tool.ToolSpec;
import dev.mainstay.tracing.JobTracer;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import tools.jackson.databind.JsonNode;

/**
 * The durable job engine. {@link #submit} makes a job durable and returns; a dispatcher claims
 * runnable jobs in batches under a lease and runs each on its own virtual thread, committing every
 * stage's output before the next stage starts. A node that dies loses nothing: its leases expire
 * and any node claims the jobs again, resuming at the first uncommitted stage.
 *
 * <p>A façade over its parts, each with one job: submission ({@code Submissions}), reading and
 * controlling a job ({@code JobControl}), the dispatcher with its claims, leases, heartbeat and
 * wake-ups ({@code Dispatcher}), and the job runner, whose stage loop ends every step in one
 * {@code StageOutcome} and commits it as one transition ({@code JobRunner}). Reviews and limits
 * administration are services beside it ({@link Reviews}, {@link LimitsAdmin}).
 */
public final class Engine implements AutoCloseable {
    private final EngineConfig config;
    private final TargetHealth health;
    private final Submissions submissions;
    private final JobControl control;
    private final Completions completions = new Completions();
    private final Dispatcher dispatcher;
    private final JobTracer tracer;
    private final RefusalTally refusals;

    /** What a submit produced: the job and whether this call created it. */
    public record Submission(Job job, boolean created) {
    }

    public Engine(Store store, WorkflowRegistry registry, Map<String, Provider> providers, Routes routes, PriceTable prices,
                  Clock clock, EngineConfig config, RandomGenerator random) {
        this(store, registry, providers, routes, prices, Map.of(), clock, config, random);
    }

    /** @param tools the integrations tool stages may call, by name */
    private final ToolStageExecutor toolStages;
    private final TargetLimits limits;

    public Engine(Store store, WorkflowRegistry registry, Map<String, Provider> providers, Routes routes, PriceTable prices,
                  Map<String, ToolSpec> tools, Clock clock, EngineConfig config, RandomGenerator random) {
        this(store, registry, providers, routes, prices, tools, clock, config, random, EngineMetrics.NONE);
    }

    /**
     * @param tools the integrations tool stages may call, by name
     * @param metrics what the engine reports submits, claims, stage ends, model calls, output
     *     checks, retries and fallback rungs to ({@link EngineMetrics#NONE} for nothing)
     */
    public Engine(Store store, WorkflowRegistry registry, Map<String, Provider> providers, Routes routes, PriceTable prices,
                  Map<String, ToolSpec> tools, Clock clock, EngineConfig config, RandomGenerator random, EngineMetrics metrics) {
        this(store, registry, providers, routes, prices, tools, clock, config, random, metrics, JobTracer.NONE);
    }

    /**
     * @param tracer where each job's spans go: its submit, stages, model and tool calls, fallback
     *     rungs ({@link JobTracer#NONE} for none, at no cost)
     */
    public Engine(Store store, WorkflowRegistry registry, Map<String, Provider> providers, Routes routes, PriceTable prices,
                  Map<String, ToolSpec> tools, Clock clock, EngineConfig config, RandomGenerator random, EngineMetrics metrics, JobTracer tracer) {
        JobSpans spans = new JobSpans(tracer);
        this.tracer = tracer;
        this.config = config;
        this.health = new TargetHealth(clock, config.breakerFailures(), config.breakerCooldown());
        TargetLimits limits = new TargetLimits(clock, config.targetLimits());
        this.limits = limits;
        JobIds ids = new JobIds(clock);
        ToolStageExecutor toolStages = new ToolStageExecutor(store, tools, clock, config, ids, spans);
        this.toolStages = toolStages;
        Quotas quotas = new Quotas(store, prices, routes, clock, config, ids);
        ModelStageExecutor executor = new ModelStageExecutor(providers, routes, quotas, clock, config, health, limits, toolStages::callForModel, metrics, spans);
        ModelStep models = new ModelStep(store, executor, new FallbackLadder(store, config.toolchainVersion(), spans), health, limits, new RetrySchedule(random),
                ids, clock, config, spans);
        this.dispatcher = new Dispatcher(store, clock, config, metrics, new JobRunner(store, registry, models, toolStages, clock, config, metrics, spans),
                completions);
        this.refusals = new RefusalTally(store, clock);
        this.submissions = new Submissions(store, quotas, clock, config, ids, dispatcher::wake, metrics, spans, refusals);
        this.control = new JobControl(store, registry, clock, dispatcher, completions);
    }

    /** Where this engine's spans go; {@link Reviews} records review waits there too. */
    public JobTracer tracer() {
        return tracer;
    }

    public EngineConfig config() {
        return config;
    }

    /**
     * Lets tool stages wait for callbacks ({@code mode: callback}): their single-use tokens, and
     * the base of the URLs the integrations post to. Without it a callback stage fails.
     */
    public void callbacks(dev.mainstay.webhook.CallbackTokens tokens, java.util.function.Supplier<java.net.URI> base) {
        toolStages.callbacks(tokens, base);
    }

    /**
     * Validates {@code body} against the workflow's input schema, applies admission limits and
     * makes the job durable. With an idempotency key, a repeat of the same request returns the
     * first job; a different request under the same key is refused.
     *
     * @throws InvalidInputException listing every schema violation with its JSON pointer
     * @throws NotEligibleException when the account's plan is not one the workflow allows
     * @throws OverloadedException when the account's or the node's backlog is full
     * @throws LimitExceededException when a rate, quota or budget refuses the job
     * @throws IdempotencyConflictException when the key was used for another request
     */
    public Submission submit(Principal principal, WorkflowDefinition workflow, JsonNode body, String idempotencyKey) {
        return submissions.submit(principal, workflow, body, idempotencyKey, TraceContext.NONE);
    }

    /**
     * {@link #submit(Principal, WorkflowDefinition, JsonNode, String)} under the trace the caller
     * is in (the request's W3C {@code traceparent} and {@code tracestate}): the job's submit span
     * becomes its child, and every later span of the job joins that trace.
     */
    public Submission submit(Principal principal, WorkflowDefinition workflow, JsonNode body, String idempotencyKey, TraceContext trace) {
        return submissions.submit(principal, workflow, body, idempotencyKey, trace);
    }

    /** The job if it belongs to {@code accountId}; another account's job is reported as missing. */
    public Job job(String accountId, String jobId) {
        return control.job(accountId, jobId);
    }

    /**
     * Waits until the job is terminal or {@code timeout} passes, whichever is first, and returns
     * the job as it is then.
     */
    public Job awaitTerminal(String accountId, String jobId, Duration timeout) throws InterruptedException {
        return completions.await(jobId, timeout, () -> control.job(accountId, jobId));
    }

    /** Cancels an unfinished job; cancelling a cancelled job again is a no-op. */
    public Job cancel(String accountId, String jobId) {
        return cancel(accountId, jobId, "account:" + accountId);
    }

    /**
     * {@link #cancel(String, String)}, recording {@code actor} ({@code key:<id>}) in the audit log.
     * The job's worker, if it runs on this node, is interrupted; whatever it tries to commit
     * afterwards is refused.
     */
    public Job cancel(String accountId, String jobId, String actor) {
        return control.cancel(accountId, jobId, actor);
    }

    /** Puts a failed job back in the queue at its failed stage; its committed stages are kept. */
    public Job replay(String accountId, String jobId) {
        return replay(accountId, jobId, "account:" + accountId);
    }

    /** {@link #replay(String, String)}, recording {@code actor} ({@code key:<id>}) in the audit log. */
    public Job replay(String accountId, String jobId, String actor) {
        return control.replay(accountId, jobId, actor);
    }

    /** Nudges the dispatcher, e.g. after a test stepped the clock or an operator raised a limit. */
    public void wake() {
        dispatcher.wake();
    }

    /**
     * Tells the engine that a service beside it changed {@code jobId} (a review was decided): the
     * dispatcher looks for due work now, and callers awaiting the job read it again.
     */
    public void jobChanged(String jobId) {
        dispatcher.wake();
        completions.signal(jobId);
    }

    public int runningCount() {
        return dispatcher.runningCount();
    }

    /** Each route target's rate limits on this node: configured ones and what the providers' headers said. */
    public List<TargetLimits.Snapshot> targetLimits() {
        return limits.snapshots();
    }

    /** The last failed calls of every route target on this node, newest first. */
    public List<TargetHealth.Failure> recentFailures() {
        return health.recentFailures();
    }

    /** What this node has learned about each route target: breaker state, recent latency. */
    public List<TargetHealth.Snapshot> targetHealth() {
        return health.snapshots();
    }

    /**
     * Takes back at once what an earlier run of this node left when it died (its leases, and its
     * calls in flight, charged as unknown outcomes), then starts claiming.
     */
    public void start() {
        dispatcher.start();
        refusals.start();
    }

    /**
     * Stops claiming, lets running jobs finish for the configured grace period, then interrupts the
     * rest and hands their leases back so the next start (of any node) resumes them at once.
     */
    public void stop() {
        dispatcher.stop();
        refusals.stop();
    }

    @Override
    public void close() {
        stop();
    }
}
