package dev.mainstay.server;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.engine.EngineConfig;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.provider.Target;
import dev.mainstay.providers.demo.DemoProvider;
import dev.mainstay.server.http.Hardening;
import dev.mainstay.store.sqlite.SqliteStore;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.config.YamlDocument;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import dev.mainstay.server.metrics.MetricsConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a node needs to start, typed and validated once. Sources, later ones winning:
 * built-in defaults, the YAML file ({@code --config} or {@code MAINSTAY_CONFIG}), environment
 * variables. Every problem names the file (or variable) and the field.
 */
public record ServerConfig(
        String host,
        int port,
        Path dataDir,
        List<Path> workflowDirs,
        SqliteStore.Durability durability,
        long maxBodyBytes,
        int maxJsonDepth,
        Optional<String> demoApiKey,
        Optional<String> adminKey,
        Map<String, ProviderSpec> providers,
        Map<String, List<Target>> routes,
        Map<String, PriceTable.Price> prices,
        Duration lease,
        Duration shutdownGrace,
        int maxInFlight,
        long maxBacklog,
        long maxAccountBacklog,
        int breakerFailures,
        Duration breakerCooldown,
        Map<String, dev.mainstay.routing.TargetLimits.Limit> targetLimits,
        AccountLimits defaultLimits,
        int cooldownFailures,
        Duration cooldown,
        Database database,
        Hardening hardening,
        Map<String, dev.mainstay.tool.ToolSpec> tools,
        dev.mainstay.server.webhooks.WebhookSettings webhooks,
        Map<String, dev.mainstay.server.webhooks.InboundSource> inbound,
        AccountLimits newAccountLimits,
        MetricsConfig metrics,
        LogFormat logFormat,
        dev.mainstay.server.stream.StreamConfig streams,
        dev.mainstay.retention.RetentionConfig retention,
        Optional<String> consoleTraceUrl) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /** The model the {@code primary} route uses when only {@code OPENAI_API_KEY} is given. */
    public static final String DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
    /** The model the {@code primary} and {@code small} routes use when {@code ANTHROPIC_API_KEY} is given and {@code OPENAI_API_KEY} is not. */
    public static final String DEFAULT_ANTHROPIC_MODEL = "claude-haiku-4-5";

    /** The first workflow directory; {@link #workflowDirs()} has them all. */
    public Path workflowsDir() {
        return workflowDirs.getFirst();
    }

    /** True when only the demo model can answer: nothing real is configured. */
    public boolean demoOnly() {
        return providers.values().stream().allMatch(p -> p instanceof ProviderSpec.Demo);
    }

    public Path databaseFile() {
        return dataDir.resolve("mainstay.db");
    }

    public EngineConfig engineConfig(String nodeId, String toolchainVersion) {
        Map<String, Integer> concurrency = new LinkedHashMap<>();
        providers.forEach((name, spec) -> concurrency.put(name, spec.concurrency()));
        return new EngineConfig(nodeId, lease, EngineConfig.DEFAULT_CLAIM_BATCH, maxInFlight, EngineConfig.DEFAULT_IDLE_POLL,
                maxBacklog, maxAccountBacklog, shutdownGrace, concurrency, toolchainVersion, breakerFailures, breakerCooldown, targetLimits,
                defaultLimits, cooldownFailures, cooldown, retention.idempotencyKeys());
    }

    /**
     * Reads the configuration.
     *
     * @param file the YAML file, if any
     * @param env the environment (injected so tests can set it)
     */
    public static ServerConfig load(Optional<Path> file, Map<String, String> env) {
        YamlDocument doc = file.map(f -> YamlDocument.read(f, f.toString())).orElse(YamlDocument.of(Json.object(), "(defaults)"));
        doc.requireObject("");
        doc.onlyKeys("", "server", "data_dir", "workflows", "storage", "providers", "routes", "prices", "engine", "demo_api_key", "admin_key", "targets", "limits", "tools",
                "metrics", "logging", "streams", "webhooks", "inbound", "callbacks", "retention", "console");
        doc.onlyKeys("/console", "trace_url");
        doc.onlyKeys("/server", "host", "port", "max_body_bytes", "max_json_depth", "max_string_length", "max_header_bytes", "read_timeout",
                "idle_timeout", "auth_failures");
        doc.onlyKeys("/server/auth_failures", "max", "window");
        doc.onlyKeys("/storage", "sqlite", "postgresql");
        doc.onlyKeys("/storage/postgresql", "url", "password_env", "pool_size", "connect_timeout", "statement_timeout", "lock_timeout");
        doc.onlyKeys("/storage/sqlite", "synchronous");
        doc.onlyKeys("/engine", "lease", "shutdown_grace", "max_in_flight", "max_backlog", "max_account_backlog", "circuit_breaker");
        doc.onlyKeys("/engine/circuit_breaker", "failures", "cooldown");
        doc.onlyKeys("/limits", "accounts", "defaults", "failure_cooldown");
        doc.onlyKeys("/limits/failure_cooldown", "failures", "duration");

        String host = env.getOrDefault("MAINSTAY_HOST", doc.text("/server/host").orElse(DEFAULT_HOST));
        int port = env.containsKey("MAINSTAY_PORT")
                ? envInt(env, "MAINSTAY_PORT", 0, 65535)
                : doc.integer("/server/port", DEFAULT_PORT, 0, 65535);
        Path dataDir = Path.of(env.getOrDefault("MAINSTAY_DATA_DIR", doc.text("/data_dir").orElse("var")));
        List<Path> workflows = workflowDirs(doc, env);
        String sync = env.getOrDefault("MAINSTAY_SQLITE_SYNCHRONOUS", doc.text("/storage/sqlite/synchronous").orElse("full"));
        SqliteStore.Durability durability = switch (sync.toLowerCase(Locale.ROOT)) {
            case "full" -> SqliteStore.Durability.FULL;
            case "normal" -> SqliteStore.Durability.NORMAL;
            default -> throw env.containsKey("MAINSTAY_SQLITE_SYNCHRONOUS")
                    ? new ConfigException("MAINSTAY_SQLITE_SYNCHRONOUS: must be full or normal, got '" + sync + "'")
                    : doc.error("/storage/sqlite/synchronous", "must be full or normal, got '" + sync + "'");
        };
        long maxBody = doc.integer("/server/max_body_bytes", (int) DEFAULT_MAX_BODY_BYTES, 1024, 256 * 1024 * 1024);
        int maxDepth = doc.integer("/server/max_json_depth", Json.DEFAULT_MAX_DEPTH, 4, 1000);
        Hardening hardening = Hardening.read(doc);

        Map<String, ProviderSpec> providers = ProviderSpec.read(doc, env);
        Map<String, List<Target>> routes = routes(doc, providers, env);
        Map<String, PriceTable.Price> prices = prices(doc);
        prices.putAll(envPrices(env));
        checkPriced(doc, routes, new PriceTable(prices));
        AccountLimits defaultLimits = accountLimits(doc, "/limits/accounts");
        AccountLimits newAccountLimits = accountLimits(doc, "/limits/defaults");
        int cooldownFailures = doc.integer("/limits/failure_cooldown/failures", EngineConfig.DEFAULT_COOLDOWN_FAILURES, 0, 1_000_000);
        Duration cooldown = doc.duration("/limits/failure_cooldown/duration", EngineConfig.DEFAULT_COOLDOWN);
        Map<String, dev.mainstay.routing.TargetLimits.Limit> targetLimits = targetLimits(doc, providers);

        Duration lease = doc.duration("/engine/lease", EngineConfig.DEFAULT_LEASE);
        if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
            throw doc.error("/engine/lease", "must be at least 1s");
        }
        Duration grace = doc.duration("/engine/shutdown_grace", EngineConfig.DEFAULT_SHUTDOWN_GRACE);
        int maxInFlight = doc.integer("/engine/max_in_flight", EngineConfig.DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000);
        long maxBacklog = doc.integer("/engine/max_backlog", (int) EngineConfig.DEFAULT_MAX_BACKLOG, 1, Integer.MAX_VALUE);
        long maxAccountBacklog = doc.integer("/engine/max_account_backlog", (int) EngineConfig.DEFAULT_MAX_ACCOUNT_BACKLOG, 1, Integer.MAX_VALUE);
        int breakerFailures = doc.integer("/engine/circuit_breaker/failures", dev.mainstay.routing.TargetHealth.DEFAULT_FAILURE_THRESHOLD, 1, 1_000_000);
        Duration breakerCooldown = doc.duration("/engine/circuit_breaker/cooldown", dev.mainstay.routing.TargetHealth.DEFAULT_COOLDOWN);

        Optional<String> demoKey = Optional.ofNullable(env.get("MAINSTAY_DEMO_API_KEY")).or(() -> doc.text("/demo_api_key"));
        Optional<String> adminKey = Optional.ofNullable(env.get("MAINSTAY_ADMIN_KEY")).or(() -> doc.text("/admin_key"));
        demoKey.ifPresent(k -> checkKey("MAINSTAY_DEMO_API_KEY (or demo_api_key)", k));
        adminKey.ifPresent(k -> checkKey("MAINSTAY_ADMIN_KEY (or admin_key)", k));

        Database database = Database.read(doc, env, dataDir.resolve("mainstay.db"), durability);

        return new ServerConfig(host, port, dataDir, workflows, durability, maxBody, maxDepth, demoKey, adminKey,
                providers, routes, prices, lease, grace, maxInFlight, maxBacklog, maxAccountBacklog, breakerFailures, breakerCooldown, targetLimits,
                defaultLimits, cooldownFailures, cooldown, database, hardening, tools(doc, env), dev.mainstay.server.webhooks.WebhookSettings.read(doc, env),
                dev.mainstay.server.webhooks.InboundSource.read(doc, env), newAccountLimits, MetricsConfig.parse(doc, env),
                LogFormat.parse(doc, env), dev.mainstay.server.stream.StreamConfig.read(doc), RetentionSettings.read(doc), consoleTraceUrl(doc, env));
    }

    /**
     * The console's link to a trace backend: a URL with {@code {trace_id}} where a job's trace id
     * goes ({@code MAINSTAY_CONSOLE_TRACE_URL}, else {@code console.trace_url}); none shows the id
     * without a link.
     */
    private static Optional<String> consoleTraceUrl(YamlDocument doc, Map<String, String> env) {
        String url = env.containsKey("MAINSTAY_CONSOLE_TRACE_URL") ? env.get("MAINSTAY_CONSOLE_TRACE_URL") : doc.text("/console/trace_url").orElse(null);
        if (url == null || url.isBlank()) {
            return Optional.empty();
        }
        if (!(url.startsWith("http://") || url.startsWith("https://")) || !url.contains("{trace_id}")) {
            String problem = "must be an http(s) URL holding {trace_id}, got '" + url + "'";
            throw env.containsKey("MAINSTAY_CONSOLE_TRACE_URL") ? new ConfigException("MAINSTAY_CONSOLE_TRACE_URL: " + problem) : doc.error("/console/trace_url", problem);
        }
        return Optional.of(url.strip());
    }

    /** The account limits at {@code pointer} ({@code limits.accounts} or {@code limits.defaults}); none when it is absent. */
    private static AccountLimits accountLimits(YamlDocument doc, String pointer) {
        if (!doc.has(pointer)) {
            return AccountLimits.NONE;
        }
        try {
            return AccountLimits.fromJson(doc.node(pointer));
        } catch (dev.mainstay.contract.InvalidInputException e) {
            var v = e.violations().getFirst();
            throw doc.error(pointer + v.pointer(), v.message());
        }
    }

    /**
     * {@code MAINSTAY_WORKFLOWS} (directories separated by the platform's path separator, {@code :}
     * on Unix), else {@code workflows:} (one directory, or a list), else {@code examples/workflows}.
     */
    private static List<Path> workflowDirs(YamlDocument doc, Map<String, String> env) {
        String fromEnv = env.get("MAINSTAY_WORKFLOWS");
        List<String> dirs = fromEnv != null
                ? java.util.Arrays.stream(fromEnv.split(java.util.regex.Pattern.quote(java.io.File.pathSeparator))).map(String::strip).filter(d -> !d.isEmpty()).toList()
                : doc.has("/workflows") ? doc.textList("/workflows") : List.of("examples/workflows");
        if (dirs.isEmpty()) {
            throw fromEnv != null ? new ConfigException("MAINSTAY_WORKFLOWS: names no directory") : doc.error("/workflows", "names no directory");
        }
        return dirs.stream().map(Path::of).distinct().toList();
    }

    /**
     * {@code tools: {name: {base_url, timeout, retries, headers: {Name: {env: VAR}}, allow_private}}}.
     * A base URL on a loopback, private or link-local address is refused unless {@code allow_private}
     * says so; header values come from environment variables, never from the file.
     */
    private static Map<String, dev.mainstay.tool.ToolSpec> tools(YamlDocument doc, Map<String, String> env) {
        Map<String, dev.mainstay.tool.ToolSpec> out = new LinkedHashMap<>();
        if (!doc.has("/tools")) {
            return out;
        }
        doc.requireObject("/tools");
        for (String name : doc.node("/tools").propertyNames()) {
            String p = Json.pointer("/tools", name);
            if (!name.matches("[a-z][a-z0-9_-]{0,63}")) {
                throw doc.error(p, "tool names are lowercase letters, digits, '-' and '_', got '" + name + "'");
            }
            doc.requireObject(p);
            doc.onlyKeys(p, "base_url", "timeout", "retries", "headers", "allow_private");
            URI base = uri(doc, p + "/base_url", doc.requireText(p + "/base_url"));
            boolean allowPrivate = doc.bool(p + "/allow_private", false);
            // What the host resolves to is checked before every call, not here: validating needs no network.
            String refused = dev.mainstay.net.OutboundGuard.policyRefusal(base, allowPrivate);
            if (refused != null) {
                throw doc.error(p + "/base_url", refused);
            }
            Duration timeout = doc.duration(p + "/timeout", dev.mainstay.tool.ToolSpec.DEFAULT_TIMEOUT);
            int retries = doc.integer(p + "/retries", dev.mainstay.tool.ToolSpec.DEFAULT_RETRIES, 0, 10);
            Map<String, String> headers = new LinkedHashMap<>();
            if (doc.has(p + "/headers")) {
                doc.requireObject(p + "/headers");
                for (String header : doc.node(p + "/headers").propertyNames()) {
                    String h = Json.pointer(p + "/headers", header);
                    doc.requireObject(h);
                    doc.onlyKeys(h, "env");
                    String var = doc.requireText(h + "/env");
                    String value = env.get(var);
                    if (value == null || value.isBlank()) {
                        throw doc.error(h + "/env", "names the environment variable " + var + ", which is not set");
                    }
                    headers.put(header, value);
                }
            }
            out.put(name, new dev.mainstay.tool.ToolSpec(name, base, timeout, retries, headers, allowPrivate));
        }
        return out;
    }

    private static void checkKey(String where, String key) {
        if (key.length() < 16 || !key.matches("[A-Za-z0-9_\\-.]+")) {
            throw new ConfigException(where + ": an API key needs at least 16 characters of letters, digits, '_', '-' or '.'");
        }
    }

    static int envInt(Map<String, String> env, String name, int min, int max) {
        try {
            int v = Integer.parseInt(env.get(name).strip());
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException(name + ": must be a whole number between " + min + " and " + max + ", got '" + env.get(name) + "'");
        }
    }

    static URI uri(YamlDocument doc, String pointer, String text) {
        try {
            URI uri = new URI(text);
            if (uri.getScheme() == null || uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw doc.error(pointer, "must be an http(s) URL with a host, got '" + text + "'");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw doc.error(pointer, "must not carry a query string or fragment ('" + text + "'): Mainstay appends the API path to it;"
                        + " put credentials in api_key or api_key_env");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw doc.error(pointer, "not a URL: " + e.getMessage());
        }
    }

    private static Map<String, List<Target>> routes(YamlDocument doc, Map<String, ProviderSpec> providers, Map<String, String> env) {
        Map<String, List<Target>> out = new LinkedHashMap<>();
        if (doc.has("/routes")) {
            doc.requireObject("/routes");
            for (String name : doc.node("/routes").propertyNames()) {
                List<Target> targets = new ArrayList<>();
                String p = Json.pointer("/routes", name);
                List<String> entries = doc.textList(p);
                for (int i = 0; i < entries.size(); i++) {
                    String e = entries.get(i);
                    int slash = e.indexOf('/');
                    if (slash <= 0 || slash == e.length() - 1) {
                        throw doc.error(p + "/" + i, "must be 'provider/model', got '" + e + "'");
                    }
                    String provider = e.substring(0, slash);
                    if (!providers.containsKey(provider)) {
                        throw doc.error(p + "/" + i, "unknown provider '" + provider + "' (configured: " + String.join(", ", providers.keySet()) + ")");
                    }
                    targets.add(new Target(provider, e.substring(slash + 1)));
                }
                if (targets.isEmpty()) {
                    throw doc.error(p, "needs at least one 'provider/model' target");
                }
                out.put(name, targets);
            }
        }
        // The routes the shipped workflows use exist even without configuration.
        // OpenAI wins when both keys are set, as it did before Anthropic was supported.
        Target primary;
        Target small;
        if (providers.get("openai") instanceof ProviderSpec.OpenAi) {
            String model = env.getOrDefault("OPENAI_MODEL", DEFAULT_OPENAI_MODEL).strip();
            primary = new Target("openai", model);
            small = new Target("openai", env.getOrDefault("OPENAI_SMALL_MODEL", model).strip());
        } else if (providers.get("anthropic") instanceof ProviderSpec.Anthropic) {
            String model = env.getOrDefault("ANTHROPIC_MODEL", DEFAULT_ANTHROPIC_MODEL).strip();
            primary = new Target("anthropic", model);
            small = primary;
        } else {
            primary = new Target("demo", DemoProvider.MODEL);
            small = primary;
        }
        out.putIfAbsent("primary", List.of(primary));
        out.putIfAbsent("small", List.of(small));
        return out;
    }

    private static Map<String, dev.mainstay.routing.TargetLimits.Limit> targetLimits(YamlDocument doc, Map<String, ProviderSpec> providers) {
        Map<String, dev.mainstay.routing.TargetLimits.Limit> out = new LinkedHashMap<>();
        if (!doc.has("/targets")) {
            return out;
        }
        doc.requireObject("/targets");
        for (String key : doc.node("/targets").propertyNames()) {
            String p = Json.pointer("/targets", key);
            int slash = key.indexOf('/');
            if (slash <= 0 || !providers.containsKey(key.substring(0, slash))) {
                throw doc.error(p, "must be 'provider/model' with a configured provider (configured: " + String.join(", ", providers.keySet()) + ")");
            }
            doc.requireObject(p);
            doc.onlyKeys(p, "concurrency", "requests_per_minute", "tokens_per_minute");
            out.put(key, new dev.mainstay.routing.TargetLimits.Limit(doc.integer(p + "/concurrency", 0, 0, 100_000),
                    doc.integer(p + "/requests_per_minute", 0, 0, (int) dev.mainstay.limits.TokenBucket.MAX_CAPACITY),
                    doc.integer(p + "/tokens_per_minute", 0, 0, (int) dev.mainstay.limits.TokenBucket.MAX_CAPACITY)));
        }
        return out;
    }

    /** A model without a price would be free without anyone deciding so: refuse to start instead. */
    private static void checkPriced(YamlDocument doc, Map<String, List<Target>> routes, PriceTable table) {
        for (Map.Entry<String, List<Target>> route : routes.entrySet()) {
            for (Target t : route.getValue()) {
                if (table.price(t.provider(), t.model()).isEmpty()) {
                    throw doc.error(Json.pointer("/routes", route.getKey()), "target " + t + " has no price; Mainstay ships prices for common models only. Add it under 'prices', e.g.\n"
                            + "  prices:\n    " + t + ": { input: \"0.50\", output: \"1.50\" }   # US dollars per million tokens (use \"0\" for a free local model)\n"
                            + "or without a file: MAINSTAY_PRICES=\"" + t + "=0.50,1.50\"");
                }
            }
        }
    }

    /**
     * {@code MAINSTAY_PRICES="openai/llama3.1=0,0 azure/gpt-4o=2.50,1.25,10.00"}: input and output
     * (or input, cached input and output) US dollars per million tokens, for setups without a file.
     */
    private static Map<String, PriceTable.Price> envPrices(Map<String, String> env) {
        Map<String, PriceTable.Price> out = new LinkedHashMap<>();
        String text = env.getOrDefault("MAINSTAY_PRICES", "").strip();
        if (text.isEmpty()) {
            return out;
        }
        for (String entry : text.split("[\\s;]+")) {
            int eq = entry.indexOf('=');
            String[] parts = eq < 0 ? new String[0] : entry.substring(eq + 1).split(",");
            try {
                if (eq < 1 || !entry.substring(0, eq).contains("/") || parts.length < 2 || parts.length > 3) {
                    throw new IllegalArgumentException();
                }
                out.put(entry.substring(0, eq), parts.length == 2 ? PriceTable.Price.usd(parts[0], parts[0], parts[1]) : PriceTable.Price.usd(parts[0], parts[1], parts[2]));
            } catch (RuntimeException e) {
                throw new ConfigException("MAINSTAY_PRICES: '" + entry + "' must be provider/model=input,output (or input,cached_input,output) in US dollars per million tokens, e.g. openai/llama3.1=0,0");
            }
        }
        return out;
    }

    private static Map<String, PriceTable.Price> prices(YamlDocument doc) {
        Map<String, PriceTable.Price> out = new LinkedHashMap<>();
        if (doc.has("/prices")) {
            doc.requireObject("/prices");
            for (String key : doc.node("/prices").propertyNames()) {
                String p = Json.pointer("/prices", key);
                doc.requireObject(p);
                doc.onlyKeys(p, "input", "cached_input", "output");
                try {
                    String input = doc.requireText(p + "/input");
                    out.put(key, PriceTable.Price.usd(input, doc.text(p + "/cached_input").orElse(input), doc.requireText(p + "/output")));
                } catch (ArithmeticException | IllegalArgumentException e) {
                    throw doc.error(p, "prices are decimal strings of US dollars per million tokens, e.g. \"0.15\"");
                }
            }
        }
        return out;
    }
}
