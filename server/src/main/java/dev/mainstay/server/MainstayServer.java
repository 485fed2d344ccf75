package dev.mainstay.server;

import dev.mainstay.engine.Engine;
import dev.mainstay.server.http.Hardening;
import dev.mainstay.server.http.HttpApi;
import dev.mainstay.server.http.RouteTable;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.Routes;
import dev.mainstay.providers.anthropic.AnthropicMessagesProvider;
import dev.mainstay.providers.demo.DemoProvider;
import dev.mainstay.providers.openai.OpenAiChatProvider;
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
import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import java.net.URI;
import java.security.SecureRandom;
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
    private final WebServer web;
    private final Credentials credentials;
    private final WorkflowRegistry registry;
    private final HttpApi api;

    private MainstayServer(ServerConfig config, Store store, Engine engine, WebServer web, Credentials credentials, WorkflowRegistry registry, HttpApi api) {
        this.config = config;
        this.store = store;
        this.engine = engine;
        this.web = web;
        this.credentials = credentials;
        this.registry = registry;
        this.api = api;
    }

    public static MainstayServer start(ServerConfig config, Clock clock) {
        List<String> secrets = new java.util.ArrayList<>(config.providers().values().stream().map(spec -> switch (spec) {
            case ProviderSpec.OpenAi o -> o.config().apiKey();
            case ProviderSpec.Anthropic a -> a.config().apiKey();
            case ProviderSpec.Demo d -> "";
        }).toList());
        if (config.database() instanceof Database.Postgres pg && pg.config().password() != null) {
            secrets.add(pg.config().password()); // a driver message that echoes it never reaches a log
        }
        LogScrubber.install(secrets);
        Routes routes = new Routes(config.routes());
        List<WorkflowDefinition> definitions = WorkflowLoader.load(config.workflowsDir(), routes.names());
        Store store = openStore(config);
        try {
            WorkflowRegistry registry = WorkflowRegistry.register(store, definitions, clock.instant());
            Credentials credentials = Credentials.bootstrap(config, store, clock.instant());
            RandomGenerator random = new SecureRandom();
            Map<String, Provider> providers = new LinkedHashMap<>();
            config.providers().forEach((name, spec) -> providers.put(name, switch (spec) {
                case ProviderSpec.OpenAi o -> new OpenAiChatProvider(o.config());
                case ProviderSpec.Anthropic a -> new AnthropicMessagesProvider(a.config());
                case ProviderSpec.Demo d -> new DemoProvider(d.config(), random);
            }));
            // The data policy travels with the provider: the engine narrows every call's redaction by it.
            config.providers().forEach((name, spec) -> providers.computeIfPresent(name, (n, p) -> Provider.withDataPolicy(p, spec.dataPolicy())));
            String nodeId = "node-" + ProcessHandle.current().pid() + "-" + Long.toHexString(random.nextLong() & 0xffffffL);
            checkTools(definitions, config);
            Engine engine = new Engine(store, registry, providers, routes, new PriceTable(config.prices()), config.tools(), clock,
                    config.engineConfig(nodeId, "mainstay/" + VERSION), random);
            HttpApi api = new HttpApi(engine, registry, store, clock, config.hardening(), config.maxBodyBytes(), config.maxJsonDepth());
            store.audit(List.of(configLoaded(config, definitions, nodeId, clock.instant())));
            engine.start();
            Hardening hardening = config.hardening();
            WebServer web = WebServer.builder()
                    .host(config.host())
                    .port(config.port())
                    .shutdownHook(false)
                    .maxPayloadSize(config.maxBodyBytes() * 4)
                    // Request line and headers are bounded separately; a slow client that stops
                    // sending is cut off after read_timeout, an idle kept-alive one after idle_timeout.
                    .addProtocol(Http1Config.builder()
                            .maxPrologueLength(hardening.maxHeaderBytes())
                            .maxHeadersSize(hardening.maxHeaderBytes())
                            .validatePath(true)
                            .build())
                    .connectionOptions(SocketOptions.builder().readTimeout(hardening.readTimeout()).build())
                    .idleConnectionTimeout(hardening.idleTimeout())
                    .directHandlers(HttpApi.transportErrors())
                    .routing(api::routing)
                    .build()
                    .start();
            return new MainstayServer(config, store, engine, web, credentials, registry, api);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
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

    public Store store() {
        return store;
    }

    public Engine engine() {
        return engine;
    }

    /** Stops taking requests, drains running jobs (handing back what does not finish), closes the store. */
    public void stop() {
        api.markStopping();
        try {
            web.stop();
        } catch (RuntimeException e) {
            LOG.warn("stopping the HTTP server failed", e);
        }
        engine.stop();
        store.close();
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
