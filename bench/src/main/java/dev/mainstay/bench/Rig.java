package dev.mainstay.bench;

import dev.mainstay.access.Account;
import dev.mainstay.access.Principal;
import dev.mainstay.engine.Engine;
import dev.mainstay.metrics.EngineMetrics;
import dev.mainstay.server.metrics.NodeGauges;
import dev.mainstay.server.metrics.PrometheusMetrics;
import dev.mainstay.engine.EngineConfig;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.provider.ModelRequest;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.provider.Routes;
import dev.mainstay.provider.Target;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.store.Store;
import dev.mainstay.tracing.JobTracer;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowLoader;
import dev.mainstay.workflow.WorkflowRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One engine in this process over a store, with a one-stage workflow whose route points at an
 * in-process model that answers after {@code latency} (zero: at once). No HTTP is involved, so
 * what is measured is the engine and its store.
 */
final class Rig implements AutoCloseable {
    static final String ACCOUNT = "acct_bench";
    static final Principal PRINCIPAL = new Principal(ACCOUNT, "key_bench", Set.of(), false);

    final Store store;
    final Engine engine;
    final WorkflowDefinition workflow;
    /** Calls the model has started, and when the latest one started (System.nanoTime). */
    final AtomicLong calls = new AtomicLong();
    final AtomicLong answered = new AtomicLong();
    volatile LongConsumer onCall = t -> { };

    Rig(Store store, Path dir, Duration latency, int maxInFlight, int claimBatch) {
        this(store, dir, latency, maxInFlight, claimBatch, null);
    }

    /** @param metrics what the engine and the store report to, as a node with metrics on does; {@code null} for metrics off */
    Rig(Store store, Path dir, Duration latency, int maxInFlight, int claimBatch, PrometheusMetrics metrics) {
        this(store, dir, latency, maxInFlight, claimBatch, metrics, JobTracer.NONE);
    }

    /** @param tracer where the jobs' spans go, as a node with tracing on sends them ({@link JobTracer#NONE} for tracing off) */
    Rig(Store store, Path dir, Duration latency, int maxInFlight, int claimBatch, PrometheusMetrics metrics, JobTracer tracer) {
        this.store = store;
        this.workflow = writeWorkflow(dir);
        store.createAccount(new Account(ACCOUNT, "bench", "free", Clock.systemUTC().instant()));
        WorkflowRegistry registry = WorkflowRegistry.register(store, List.of(workflow), Clock.systemUTC().instant());
        Provider model = new Provider() {
            @Override
            public String name() {
                return "bench";
            }

            @Override
            public ProviderOutcome call(ModelRequest request) throws InterruptedException {
                calls.incrementAndGet();
                onCall.accept(System.nanoTime());
                if (!latency.isZero()) {
                    Thread.sleep(latency);
                }
                answered.incrementAndGet();
                return new ProviderOutcome.Success("{\"summary\":\"ok\"}", "instant", 12, 4, latency);
            }
        };
        EngineConfig config = new EngineConfig("bench-node", EngineConfig.DEFAULT_LEASE, claimBatch, maxInFlight, EngineConfig.DEFAULT_IDLE_POLL,
                10_000_000, 10_000_000, Duration.ofSeconds(5), Map.of("*", maxInFlight), "mainstay/bench",
                TargetHealth.DEFAULT_FAILURE_THRESHOLD, TargetHealth.DEFAULT_COOLDOWN, Map.of(), AccountLimits.NONE, 0, Duration.ofSeconds(1));
        this.engine = new Engine(store, registry, Map.of("bench", model), new Routes(Map.of("bench", List.of(new Target("bench", "instant")))),
                new PriceTable(Map.of("bench/*", PriceTable.Price.usd("0.15", "0.60"))), Map.of(), Clock.systemUTC(), config, new SplittableRandom(7),
                metrics == null ? EngineMetrics.NONE : metrics, tracer);
        if (metrics != null) {
            store.reportCommitsTo(metrics);
            NodeGauges.register(metrics, () -> store.queueSnapshot(Clock.systemUTC().instant()), engine::runningCount, List::of, Clock.systemUTC(),
                    NodeGauges.DEFAULT_MAX_AGE);
        }
    }

    private static WorkflowDefinition writeWorkflow(Path dir) {
        return WorkflowLoader.load(files(dir).writeWorkflows(), Set.of("bench")).getFirst();
    }

    /**
     * The benchmarks' node files in {@code dir}: the one-stage workflow {@code bench/echo} (route
     * {@code bench}) and nothing else, written by the server tests' node fixture.
     */
    static TestNode.Setup files(Path dir) {
        return TestNode.in(dir).withoutExamples().withoutTestWorkflows()
                .file("prompts/echo.mustache", "Summarise.\n<document>\n{{input.text}}\n</document>\n")
                .workflow("bench/echo", """
                        workflow: bench/echo
                        version: 1
                        latency: async
                        deadline: 10m
                        concurrency: 100000
                        input:
                          type: object
                          required: [text]
                          properties:
                            text: { type: string, minLength: 1 }
                        stages:
                          - id: echo
                            model:
                              prompt: prompts/echo.mustache
                              route: [bench]
                              max_output_tokens: 50
                              timeout: 30s
                            output:
                              schema:
                                type: object
                                required: [summary]
                                properties:
                                  summary: { type: string }
                            retry: { attempts: 1, backoff: 10ms, max_backoff: 10ms }
                        """);
    }

    JsonNode body(long i) {
        ObjectNode o = dev.mainstay.Json.object();
        o.put("text", "job " + i);
        return o;
    }

    Engine.Submission submit(long i) {
        return engine.submit(PRINCIPAL, workflow, body(i), null);
    }

    /** Waits until no job is unfinished; false if {@code timeout} passed first. */
    boolean awaitDrained(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (store.countUnfinished(null) == 0) {
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }

    @Override
    public void close() {
        engine.close();
        store.close();
    }
}
