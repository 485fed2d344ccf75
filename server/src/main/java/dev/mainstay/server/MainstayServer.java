package dev.mainstay.server;

import dev.mainstay.server.tracing.OtelTracer;
import dev.mainstay.tracing.JobTracer;
import dev.mainstay.engine.CallEstimate;
import dev.mainstay.engine.Engine;
import dev.mainstay.engine.Activations;
import dev.mainstay.engine.EvalRuns;
import dev.mainstay.engine.ShadowRuns;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.engine.Reviews;
import dev.mainstay.evals.EvalSuites;
import dev.mainstay.server.http.HttpApi;
import dev.mainstay.server.webhooks.Deliveries;
import dev.mainstay.server.http.HttpTransport;
import dev.mainstay.server.http.RouteTable;
import dev.mainstay.server.stream.EventStreams;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.Routes;
import dev.mainstay.providers.anthropic.AnthropicMessagesProvider;
import dev.mainstay.providers.demo.DemoProvider;
import dev.mainstay.providers.openai.OpenAiChatProvider;
import dev.mainstay.metrics.EngineMetrics;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.server.metrics.ManagementServer;
import dev.mainstay.server.metrics.EvalGauges;
import dev.mainstay.server.metrics.NodeGauges;
import dev.mainstay.server.metrics.RateLimitGauges;
import dev.mainstay.server.metrics.PrometheusMetrics;
import dev.mainstay.store.Store;
import dev.mainstay.store.postgres.PostgresStore;
import dev.mainstay.store.sqlite.SqliteStore;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.Json;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowLoader;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.security.SecureRandom;
import dev.mainstay.retention.Erasures;
import dev.mainstay.retention.Sweeper;
import dev.mainstay.stats.StatsFolder;
import dev.mainstay.job.JobStatus;
import dev.mainstay.MainstayException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Mainstay node: store, workflows, providers, engine and HTTP API, wired explicitly.
 * {@link #start} returns once the node is ready; {@link #stop} drains it gracefully.
 */
public final class MainstayServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MainstayServer.class);
    public static final String VERSION = version();

    private final ServerConfig config;
    private final Store store;
    private final Engine engine;
    private final Reviews reviews;
    private final EvalRuns evalRuns;
    private volatile ShadowRuns shadowRuns;
    private final WebServer web;
    private final HttpTransport transport;
    private final Credentials credentials;
    private final WorkflowRegistry registry;
    private final HttpApi api;
    private final List<String> workflowWarnings;
    private final Clock clock;
    private volatile ManagementServer management;
    private volatile WorkflowWatcher watcher;
    private volatile Activations activations;
    private volatile StatsFolder statsFolder;
    /** Set once at start, right after construction. */
    private EventStreams streams;
    private final NodeIdentity identity;
    private volatile Deliveries deliveries;
    /** Set once at start, right after construction. */
    private JobTracer tracer = JobTracer.NONE;

    private final Sweeper sweeper;

    private MainstayServer(ServerConfig config, Store store, Engine engine, Reviews reviews, EvalRuns evalRuns, Sweeper sweeper, WebServer web, HttpTransport transport, Credentials credentials,
            WorkflowRegistry registry, HttpApi api, List<String> workflowWarnings, Clock clock, NodeIdentity identity) {
        this.identity = identity;
        this.config = config;
        this.store = store;
        this.engine = engine;
        this.reviews = reviews;
        this.evalRuns = evalRuns;
        this.sweeper = sweeper;
        this.web = web;
        this.transport = transport;
        this.credentials = credentials;
        this.registry = registry;
        this.api = api;
        this.workflowWarnings = List.copyOf(workflowWarnings);
        this.clock = clock;
    }

    public static MainstayServer start(ServerConfig config, Clock clock) {
        return start(config, clock, false);
    }

    /**
     * Starts a node.
     *
     * @param dev dev mode ({@code ./mainstay up --dev}): a workflow file edited under a version on
     *     record is served as a draft of that version instead of refused, and the workflow
     *     directories are watched so that edits to workflows and prompts reload as they are saved
     */
    public static MainstayServer start(ServerConfig config, Clock clock, boolean dev) {
        return start(config, clock, dev, OtelTracer.fromEnvironment(System.getenv()));
    }

    /**
     * {@link #start(ServerConfig, Clock, boolean)} with the tracer to send the jobs' spans to
     * (what the standard {@code OTEL_*} variables configure, see {@link OtelTracer#fromEnvironment});
     * the node closes it when it stops, flushing what is buffered.
     */
    public static MainstayServer start(ServerConfig config, Clock clock, boolean dev, JobTracer tracer) {
        List<String> secrets = new java.util.ArrayList<>(config.providers().values().stream().map(spec -> switch (spec) {
            case ProviderSpec.OpenAi o -> o.config().apiKey();
            case ProviderSpec.Anthropic a -> a.config().apiKey();
            case ProviderSpec.Demo d -> "";
        }).toList());
        if (config.database() instanceof Database.Postgres pg && pg.config().password() != null) {
            secrets.add(pg.config().password()); // a driver message that echoes it never reaches a log
        }
        LogScrubber.install(secrets, config.logFormat());
        Routes routes = new Routes(config.routes());
        WorkflowLoader.Loaded loaded = WorkflowLoader.scan(config.workflowDirs(), routes.names());
        loaded.warnings().forEach(LOG::warn);
        List<WorkflowDefinition> definitions = loaded.definitions();
        // Checked before the database is opened: a broken suite stops the start, naming file, line and field.
        EvalSuites suites = EvalSuites.load(definitions, routes.names());
        if (!suites.all().isEmpty()) {
            LOG.info("{} eval suite(s), {} case(s)", suites.all().size(), suites.caseCount());
        }
        Store store = openStore(config);
        NodeIdentity identity = null;
        HttpTransport transport = null;
        EventStreams streams = null;
        Deliveries deliveries = null;
        try {
            WorkflowRegistry registry = WorkflowRegistry.register(store, definitions, clock.instant(), dev);
            Credentials credentials = Credentials.bootstrap(config, store, clock.instant());
            RandomGenerator random = new SecureRandom();
            Map<String, Provider> providers = new LinkedHashMap<>();
            config.providers().forEach((name, spec) -> providers.put(name, switch (spec) {
                case ProviderSpec.OpenAi o -> new OpenAiChatProvider(o.config(), clock);
                case ProviderSpec.Anthropic a -> new AnthropicMessagesProvider(a.config(), clock);
                case ProviderSpec.Demo d -> new DemoProvider(d.config(), random);
            }));
            // The data policy travels with the provider: the engine narrows every call's redaction by it.
            config.providers().forEach((name, spec) -> providers.computeIfPresent(name, (n, p) -> Provider.withDataPolicy(p, spec.dataPolicy())));
            // The same name as this data directory's node had before, so that it takes back at once
            // what its earlier run left if that run died.
            identity = NodeIdentity.claim(config.dataDir(), random);
            String nodeId = identity.name();
            checkTools(definitions, config);
            for (WorkflowDefinition d : definitions) {
                for (String warning : CallEstimate.perJobBudgetWarnings(d, routes, new PriceTable(config.prices()))) {
                    LOG.warn("{}: {}", d.source(), warning);
                }
            }
            var engineConfig = config.engineConfig(nodeId, "mainstay/" + VERSION);
            PrometheusMetrics metrics = config.metrics().enabled() ? new PrometheusMetrics() : null;
            if (metrics != null) {
                store.reportCommitsTo(metrics);
            }
            Engine engine = new Engine(store, registry, providers, routes, new PriceTable(config.prices()), config.tools(), clock, engineConfig, random,
                    metrics == null ? EngineMetrics.NONE : metrics, tracer);
            if (metrics != null) {
                Store gauged = store;
                NodeGauges.register(metrics, () -> gauged.queueSnapshot(clock.instant()), engine::runningCount,
                        () -> engine.targetHealth().stream().map(h -> new NodeGauges.Breaker(h.target().provider(), h.target().model(),
                                h.state() == TargetHealth.State.OPEN)).toList(), clock, NodeGauges.DEFAULT_MAX_AGE);
                EvalGauges.register(metrics, gauged::evalRunTallies, clock, NodeGauges.DEFAULT_MAX_AGE);
                RateLimitGauges.register(metrics, engine::targetLimits);
            }
            // Beside the engine: human review (with its expiry sweep) and limits administration.
            Reviews reviews = new Reviews(store, registry, clock, engineConfig.toolchainVersion(), engine::jobChanged, tracer);
            LimitsAdmin limitsAdmin = new LimitsAdmin(store, routes, new PriceTable(config.prices()), clock, engineConfig, engine::wake);
            streams = new EventStreams(store, config.streams());
            // Beside the engine too: webhooks out, events and callbacks in.
            deliveries = Deliveries.open(config.webhooks(), config.inbound(), store, definitions, config.dataDir(), config.database() instanceof Database.Postgres,
                    clock, nodeId, "mainstay/" + VERSION, random);
            engine.callbacks(deliveries.tokens(), deliveries.callbackBase());
            // Off the hot path: its own thread, one bounded batch per transaction, one node at a time.
            Sweeper sweeper = new Sweeper(store, config.retention(), clock, nodeId);
            // Erasure on request: jobs in flight are cancelled through the engine, which stops their workers.
            ErasureLog erasureLog = ErasureLog.in(config.dataDir());
            Erasures erasures = new Erasures(store, clock, (job, actor, erasureId) -> {
                try {
                    return engine.cancel(job.accountId(), job.jobId(), actor).status() == JobStatus.CANCELLED;
                } catch (MainstayException finishedMeanwhile) {
                    return false;
                }
            }, erasureLog::append);
            // Eval runs: cases as jobs of the eval account, moved on by a sweep on every node.
            EvalRuns evalRuns = new EvalRuns(store, engine, registry, suites, clock);
            // Which version serves is on record: read it (and record first versions) before the first request.
            Activations activations = new Activations(store, registry, evalRuns, suites, clock);
            activations.step();
            // Shadow traffic: sampled live jobs run again as eval jobs, moved on by a sweep on every node.
            ShadowRuns shadowRuns = new ShadowRuns(store, engine, registry, suites, clock);
            HttpApi api = new HttpApi(engine, reviews, limitsAdmin, evalRuns, activations, registry, store, clock, config.hardening(), config.maxBodyBytes(), config.maxJsonDepth(),
                    config.newAccountLimits(), java.util.Optional.ofNullable(metrics), config.metrics().key(), streams, VERSION, deliveries, sweeper, erasures,
                    config.consoleTraceUrl());
            store.audit(List.of(configLoaded(config, definitions, nodeId, clock.instant())));
            // Before any job runs: an erasure the database lost to an older backup is done again.
            erasureLog.replay(erasures);
            // An erasure a stopped process left half done is finished; then this node's log gets every erasure on record.
            erasures.resume();
            erasureLog.catchUp(store.erasures());
            sweeper.everySweep(() -> erasureLog.catchUp(store.erasures()));
            engine.start();
            reviews.start();
            streams.start();
            evalRuns.start();
            activations.start();
            shadowRuns.start();
            sweeper.start();
            // Off the hot path too: finished jobs folded into the stats buckets that summaries read.
            StatsFolder statsFolder = new StatsFolder(store::foldStats, clock,
                    StatsFolder.DEFAULT_EVERY, StatsFolder.DEFAULT_BATCH);
            statsFolder.start();
            transport = HttpTransport.start(config.hardening(), config.maxBodyBytes());
            WebServer web = WebServer.builder()
                    .host(config.host())
                    .port(config.port())
                    .shutdownHook(false)
                    .maxPayloadSize(config.maxBodyBytes() * 4)
                    // Every connection goes through the transport (HTTP/1.0, refusals of what is not
                    // HTTP/1.x, read and idle deadlines), which runs Helidon's HTTP/1.1 connection.
                    .protocolsDiscoverServices(false)
                    .addConnectionSelector(transport)
                    .connectionOptions(transport.socketOptions())
                    .directHandlers(HttpApi.transportErrors())
                    .routing(api::routing)
                    .build()
                    .start();
            MainstayServer server = new MainstayServer(config, store, engine, reviews, evalRuns, sweeper, web, transport, credentials, registry, api, loaded.warnings(), clock, identity);
            server.shadowRuns = shadowRuns;
            if (metrics != null && config.metrics().managementPort().isPresent()) {
                server.management = ManagementServer.start(metrics, config.metrics().managementHost(), config.metrics().managementPort().getAsInt());
            }
            server.streams = streams;
            server.tracer = tracer;
            server.deliveries = deliveries;
            server.activations = activations;
            server.statsFolder = statsFolder;
            deliveries.start(store, server.baseUrl());
            if (dev) {
                server.watcher = WorkflowWatcher.start(config.workflowDirs(), server::reloadWorkflows);
            }
            return server;
        } catch (RuntimeException e) {
            if (streams != null) {
                streams.close();
            }
            if (transport != null) {
                transport.close();
            }
            if (deliveries != null) {
                deliveries.close();
            }
            store.close();
            if (identity != null) {
                identity.close();
            }
            closeTracer(tracer);
            throw e;
        }
    }

    /**
     * Dev mode: reads the workflow directories again and serves what they hold now. A file that
     * does not load leaves every workflow as it was, and says why.
     */
    void reloadWorkflows() {
        List<WorkflowDefinition> definitions;
        try {
            WorkflowLoader.Loaded loaded = WorkflowLoader.scan(config.workflowDirs(), new Routes(config.routes()).names());
            definitions = loaded.definitions();
            checkTools(definitions, config);
            EvalSuites.load(definitions, new Routes(config.routes()).names());
        } catch (dev.mainstay.ConfigException e) {
            LOG.warn("dev mode: the workflows were not reloaded, the last ones that loaded are still served:\n{}", e.getMessage());
            lastReload = new Reload(lastReload.count() + 1, List.of(), e.getMessage());
            return;
        }
        List<WorkflowRegistry.Change> changes = registry.reload(definitions, clock.instant());
        for (WorkflowRegistry.Change change : changes) {
            LOG.info("dev mode: {}", change);
        }
        lastReload = new Reload(lastReload.count() + 1, changes, null);
    }

    /**
     * What dev mode's last reload did.
     *
     * @param count reloads since start
     * @param changes what it changed; empty when nothing, or when it failed
     * @param problem why the files were not served, else {@code null}
     */
    public record Reload(int count, List<WorkflowRegistry.Change> changes, String problem) {
    }

    private volatile Reload lastReload = new Reload(0, List.of(), null);

    /** Dev mode's last reload of the workflow directories. */
    public Reload lastReload() {
        return lastReload;
    }

    /** Every tool stage names a configured tool. */
    private static void checkTools(List<WorkflowDefinition> definitions, ServerConfig config) {
        for (WorkflowDefinition d : definitions) {
            for (int i = 0; i < d.stages().size(); i++) {
                if (d.stages().get(i) instanceof dev.mainstay.workflow.ToolStage t && !config.tools().containsKey(t.tool())) {
                    throw unknownTool(d.source() + ": stages[" + i + "].tool.name", t.tool(), config);
                }
                if (d.stages().get(i) instanceof dev.mainstay.workflow.ModelStage m) {
                    for (int f = 0; f < m.tools().size(); f++) {
                        if (!config.tools().containsKey(m.tools().get(f).call().tool())) {
                            throw unknownTool(d.source() + ": stages[" + i + "].model.tools[" + f + "].tool", m.tools().get(f).call().tool(), config);
                        }
                    }
                }
            }
        }
    }

    private static dev.mainstay.ConfigException unknownTool(String where, String name, ServerConfig config) {
        return new dev.mainstay.ConfigException(where + ": unknown tool '" + name + "' (configured tools: "
                + (config.tools().isEmpty() ? "none; declare it under tools: in the configuration" : String.join(", ", config.tools().keySet())) + ")");
    }

    /** The store the configuration names: the SQLite file in the data directory, or PostgreSQL. */
    static Store openStore(ServerConfig config) {
        return switch (config.database()) {
            case Database.Sqlite sqlite -> SqliteStore.open(sqlite.file(), sqlite.durability());
            case Database.Postgres pg -> PostgresStore.open(pg.config());
        };
    }

    /** What this node serves, for the audit log: names, versions and content hashes, never keys. */
    private static AuditEvent configLoaded(ServerConfig config, List<WorkflowDefinition> definitions, String nodeId, java.time.Instant at) {
        var details = Json.object().put("node", nodeId).put("version", VERSION)
                .put("store", config.database() instanceof Database.Postgres ? "postgresql" : "sqlite");
        var workflows = details.putArray("workflows");
        for (WorkflowDefinition d : definitions) {
            workflows.add(d.name() + " v" + d.version() + " " + dev.mainstay.ContentHash.shortForm(d.contentHash()));
        }
        var providers = details.putArray("providers");
        config.providers().keySet().forEach(providers::add);
        var routes = details.putObject("routes");
        config.routes().forEach((name, targets) -> {
            var list = routes.putArray(name);
            targets.forEach(t -> list.add(t.toString()));
        });
        return new AuditEvent(at, AuditEvent.SYSTEM, AuditAction.CONFIG_LOADED, null, nodeId, details);
    }

    public int port() {
        return web.port();
    }

    public URI baseUrl() {
        return URI.create("http://" + (config.host().contains(":") ? "[" + config.host() + "]" : config.host()) + ":" + port());
    }

    public String demoApiKey() {
        return credentials.demoApiKey();
    }

    public String adminKey() {
        return credentials.adminKey();
    }

    /** Every route the HTTP API serves, as method and path template. */
    public RouteTable routes() {
        return api.routes();
    }

    public ServerConfig config() {
        return config;
    }

    public WorkflowRegistry workflows() {
        return registry;
    }

    /** The files under the workflow directories that were passed over at start, one line each. */
    public List<String> workflowWarnings() {
        return workflowWarnings;
    }

    public Store store() {
        return store;
    }

    /** Eval runs of this node. */
    public EvalRuns evalRuns() {
        return evalRuns;
    }

    /** Which version of each workflow serves, and the activation gates. */
    public Activations activations() {
        return activations;
    }

    public Engine engine() {
        return engine;
    }

    /** Stops taking requests, drains running jobs (handing back what does not finish), closes the store. */
    /** The port of the management server ({@code metrics.management.port}), if it runs. */
    public java.util.OptionalInt managementPort() {
        ManagementServer m = management;
        return m == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(m.port());
    }

    public void stop() {
        WorkflowWatcher w = watcher;
        if (w != null) {
            w.close();
        }
        api.markStopping();
        // Open streams end first (their clients reconnect, to another node if there is one), so
        // that stopping the HTTP server does not wait on them.
        streams.close();
        try {
            web.stop();
        } catch (RuntimeException e) {
            LOG.warn("stopping the HTTP server failed", e);
        }
        transport.close();
        ManagementServer m = management;
        if (m != null) {
            m.close();
        }
        sweeper.close();
        StatsFolder f = statsFolder;
        if (f != null) {
            f.close();
        }
        reviews.close();
        Activations a = activations;
        if (a != null) {
            a.close();
        }
        evalRuns.close();
        ShadowRuns shadows = shadowRuns;
        if (shadows != null) {
            shadows.close();
        }
        engine.stop();
        Deliveries d = deliveries;
        if (d != null) {
            d.close();
        }
        store.close();
        identity.close();
        // Last: the spans of the jobs handed back above are flushed too.
        closeTracer(tracer);
    }

    private static void closeTracer(JobTracer tracer) {
        if (tracer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("flushing the last spans failed: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static String version() {
        String v = MainstayServer.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-dev" : v;
    }
}
