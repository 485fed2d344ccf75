package dev.mainstay.server.metrics;

import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.metrics.CheckResult;
import dev.mainstay.metrics.EngineMetrics;
import dev.mainstay.metrics.ModelCall;
import dev.mainstay.metrics.StageEnd;
import dev.mainstay.metrics.StoreMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Every metric a node exposes, defined in one place and written in the Prometheus text format.
 * The engine and the store report through {@link EngineMetrics} and {@link StoreMetrics}; the
 * HTTP layer through {@link #httpRequest}; what is read rather than counted (queue depth, open
 * reviews, breakers) is registered as gauges over suppliers by {@link #gauge}.
 *
 * <p>Names follow Prometheus conventions: the {@code mainstay_} prefix, base units (seconds, and
 * {@code _usd} for money), {@code _total} on counters. Labels are bounded: workflow, version,
 * stage, provider, model, status, result type, error code, rung, outcome class. The latency
 * histograms share one set of buckets, {@link #LATENCY_BUCKETS}, from 10 ms to 10 min.
 */
public final class PrometheusMetrics implements EngineMetrics, StoreMetrics {
    /** Bucket bounds of every latency histogram: 10 ms to 10 min, about three per decade. */
    static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1),
        Duration.ofMinutes(2), Duration.ofMinutes(5), Duration.ofMinutes(10)};
    private static final double[] GROUP_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    /** The label value of a finished job without a result type. */
    static final String NONE = "none";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private final Meter.MeterProvider<Counter> submitted;
    private final Meter.MeterProvider<Counter> refused;
    private final Meter.MeterProvider<Counter> finished;
    private final Meter.MeterProvider<Timer> queueWait;
    private final Meter.MeterProvider<Timer> jobRun;
    private final Meter.MeterProvider<Timer> jobTotal;
    private final Meter.MeterProvider<Timer> stage;
    private final Meter.MeterProvider<Counter> calls;
    private final Meter.MeterProvider<Timer> callLatency;
    private final Meter.MeterProvider<Counter> tokens;
    private final Meter.MeterProvider<Counter> cost;
    private final Meter.MeterProvider<Counter> checks;
    private final Meter.MeterProvider<Counter> retries;
    private final Meter.MeterProvider<Counter> rungs;
    private final Timer commits;
    private final DistributionSummary commitGroups;
    private final Meter.MeterProvider<Timer> http;

    public PrometheusMetrics() {
        // promtool's lint refuses two of the runtime's names: a unit abbreviated (ns), and a
        // "_count" suffix on a gauge. process_cpu_usage says the former; the latter is renamed.
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
            }
        });
        submitted = Counter.builder("mainstay.jobs.submitted").description("Jobs made durable, by workflow and version").withRegistry(registry);
        refused = Counter.builder("mainstay.jobs.refused").description("Submits refused at admission before anything was stored, by reason")
                .withRegistry(registry);
        finished = Counter.builder("mainstay.jobs.finished").description("Jobs that reached a terminal status on this node, by status and result type")
                .withRegistry(registry);
        queueWait = latency("mainstay.job.queue.wait", "How long a job was due before a node claimed it");
        jobRun = latency("mainstay.job.run", "From a job's first claim to its terminal status");
        jobTotal = latency("mainstay.job.total", "From a job's submit to its terminal status");
        stage = latency("mainstay.stage.duration", "One step of a stage, by how it ended (outcome)");
        calls = Counter.builder("mainstay.model.calls").description("Model calls by provider, model and outcome class").withRegistry(registry);
        callLatency = latency("mainstay.model.call.duration", "Model call latency by provider, model and outcome class");
        tokens = Counter.builder("mainstay.model.tokens").description("Tokens charged for model calls, by kind: input (cached included), cached_input, output")
                .withRegistry(registry);
        cost = Counter.builder("mainstay.model.cost.usd").description("What model calls were charged, in US dollars").withRegistry(registry);
        checks = Counter.builder("mainstay.output.checks")
                .description("Answers checked against a stage's output contract, by pass (first or repair) and result").withRegistry(registry);
        retries = Counter.builder("mainstay.retries").description("Retries scheduled after a retryable failure, by error code").withRegistry(registry);
        rungs = Counter.builder("mainstay.fallback.rungs").description("Fallback rungs tried after the ideal path failed, by rung and whether it rescued the job")
                .withRegistry(registry);
        commits = Timer.builder("mainstay.store.commit.duration").description("Store commits (one per group of changes)")
                .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
                        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1))
                .register(registry);
        commitGroups = DistributionSummary.builder("mainstay.store.commit.changes").description("Changes carried by one store commit (group commit)")
                .serviceLevelObjectives(GROUP_BUCKETS).register(registry);
        http = Timer.builder("mainstay.http.requests").description("HTTP requests by method, route template and status")
                .serviceLevelObjectives(LATENCY_BUCKETS).withRegistry(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    private Meter.MeterProvider<Timer> latency(String name, String description) {
        return Timer.builder(name).description(description).serviceLevelObjectives(LATENCY_BUCKETS).withRegistry(registry);
    }

    /** Every metric in the Prometheus text format (version 0.0.4), as {@code GET /metrics} answers. */
    public String scrape() {
        refreshBreakers();
        beforeScrape.forEach(Runnable::run);
        return registry.scrape();
    }

    private final java.util.List<Runnable> beforeScrape = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Runs {@code refresh} before every scrape: for meters whose set of labels is read, not counted ({@link EvalGauges}). */
    void beforeScrape(Runnable refresh) {
        beforeScrape.add(refresh);
    }

    MultiGauge multiGauge(String name, String description) {
        return MultiGauge.builder(name).description(description).register(registry);
    }

    <T> void functionCounter(String name, String description, Tags tags, T source, ToDoubleFunction<T> value) {
        io.micrometer.core.instrument.FunctionCounter.builder(name, source, value).description(description).tags(tags).register(registry);
    }

    private volatile Supplier<java.util.List<NodeGauges.Breaker>> breakerSource;
    private MultiGauge breakers;

    /** One gauge per route target this node knows, 1 while its breaker is open; read at each scrape. */
    void registerBreakers(Supplier<java.util.List<NodeGauges.Breaker>> source) {
        this.breakers = MultiGauge.builder("mainstay.breaker.open").description("1 while the circuit breaker of a route target is open on this node")
                .register(registry);
        this.breakerSource = source;
    }

    private void refreshBreakers() {
        Supplier<java.util.List<NodeGauges.Breaker>> source = breakerSource;
        if (source == null) {
            return;
        }
        java.util.List<MultiGauge.Row<?>> rows = new java.util.ArrayList<>();
        for (NodeGauges.Breaker b : source.get()) {
            rows.add(MultiGauge.Row.of(Tags.of("provider", b.provider(), "model", b.model()), b.open() ? 1 : 0));
        }
        breakers.register(rows, true);
    }

    /** The content type of {@link #scrape()}. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    /**
     * Registers a gauge read at every scrape. The supplier runs on the scraping thread, so a
     * store-backed one should answer from a short-lived snapshot rather than query each time.
     */
    public <T> void gauge(String name, String description, Tags tags, T source, ToDoubleFunction<T> value) {
        Gauge.builder(name, source, value).description(description).tags(tags).strongReference(true).register(registry);
    }

    /** {@link #gauge(String, String, Tags, Object, ToDoubleFunction)} over a supplier of the number. */
    public void gauge(String name, String description, Tags tags, Supplier<? extends Number> value) {
        Gauge.builder(name, value).description(description).tags(tags).strongReference(true).register(registry);
    }

    /** One HTTP request, by its route's template ({@code /v1/jobs/{id}}), never its concrete path. */
    public void httpRequest(String method, String route, int status, Duration duration) {
        http.withTags("method", method, "route", route, "status", Integer.toString(status)).record(duration);
    }

    @Override
    public void submitted(String workflow, int version) {
        submitted.withTags("workflow", workflow, "version", Integer.toString(version)).increment();
    }

    @Override
    public void refused(String workflow, int version, String reason) {
        refused.withTags("workflow", workflow, "version", Integer.toString(version), "reason", reason).increment();
    }

    @Override
    public void claimed(String workflow, int version, Duration wait) {
        queueWait.withTags("workflow", workflow, "version", Integer.toString(version)).record(nonNegative(wait));
    }

    @Override
    public void finished(String workflow, int version, JobStatus status, ResultType resultType, Duration run, Duration total) {
        String v = Integer.toString(version);
        finished.withTags("workflow", workflow, "version", v, "status", status.wire(), "result_type", resultType == null ? NONE : resultType.wire())
                .increment();
        jobRun.withTags("workflow", workflow, "version", v, "status", status.wire()).record(nonNegative(run));
        jobTotal.withTags("workflow", workflow, "version", v, "status", status.wire()).record(nonNegative(total));
    }

    @Override
    public void stageEnded(String workflow, int version, String stageId, StageEnd end, Duration duration) {
        stage.withTags("workflow", workflow, "version", Integer.toString(version), "stage", stageId, "outcome", end.wire()).record(nonNegative(duration));
    }

    @Override
    public void modelCall(ModelCall c) {
        Tags target = Tags.of("workflow", c.workflow(), "provider", c.provider(), "model", c.model());
        calls.withTags(target.and("stage", c.stage(), "outcome", c.outcome().wire())).increment();
        callLatency.withTags(Tags.of("provider", c.provider(), "model", c.model(), "outcome", c.outcome().wire())).record(nonNegative(c.latency()));
        if (c.inputTokens() > 0) {
            tokens.withTags(target.and("kind", "input")).increment(c.inputTokens());
        }
        if (c.cachedInputTokens() > 0) {
            tokens.withTags(target.and("kind", "cached_input")).increment(c.cachedInputTokens());
        }
        if (c.outputTokens() > 0) {
            tokens.withTags(target.and("kind", "output")).increment(c.outputTokens());
        }
        if (c.costMicros() > 0) {
            cost.withTags(target).increment(c.costMicros() / 1_000_000.0);
        }
    }

    @Override
    public void outputChecked(String workflow, String stageId, boolean repair, CheckResult result) {
        checks.withTags("workflow", workflow, "stage", stageId, "pass", repair ? "repair" : "first", "result", result.wire()).increment();
    }

    @Override
    public void retryScheduled(String workflow, String stageId, String code) {
        retries.withTags("workflow", workflow, "stage", stageId, "code", code).increment();
    }

    @Override
    public void fallbackRung(String workflow, String stageId, String rung, boolean rescued) {
        rungs.withTags("workflow", workflow, "stage", stageId, "rung", rung, "result", rescued ? "rescued" : "passed").increment();
    }

    @Override
    public void committed(Duration latency, int changes) {
        commits.record(nonNegative(latency));
        commitGroups.record(changes);
    }

    private static Duration nonNegative(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }
}
