package dev.mainstay.server;

import dev.mainstay.ConfigException;
import dev.mainstay.engine.EngineConfig;
import dev.mainstay.provider.Target;
import dev.mainstay.redaction.ProviderDataPolicy;
import dev.mainstay.providers.anthropic.AnthropicMessagesProvider;
import dev.mainstay.providers.demo.DemoProvider;
import dev.mainstay.providers.openai.OpenAiChatProvider;
import dev.mainstay.store.postgres.PostgresStore;
import dev.mainstay.store.sqlite.SqliteStore;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.workflow.YamlDocument;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ArrayList;

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
        AccountLimits newAccountLimits) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /** The model the {@code primary} route uses when only {@code OPENAI_API_KEY} is given. */
    public static final String DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
    /** The model the {@code primary} and {@code small} routes use when {@code ANTHROPIC_API_KEY} is given and {@code OPENAI_API_KEY} is not. */
    public static final String DEFAULT_ANTHROPIC_MODEL = "claude-haiku-4-5";

    /**
     * Limits that keep malformed input and hostile callers out of the HTTP API
     * ({@code server.*} in the file; see docs/security.md).
     *
     * @param maxStringLength longest JSON string (or field name) in a request body, in characters
     * @param maxHeaderBytes largest request line and, separately, header block
     * @param readTimeout how long a request head may take to arrive (from its first byte; a new connection's first
     *        request from the accept), and how long a body may pause
     * @param idleTimeout how long a kept-alive connection may wait for its next request after an answer
     * @param authFailures failed authentications one client address may make per window before it is refused
     * @param authFailureWindow the window those failures are counted over
     */
    public record Hardening(int maxStringLength, int maxHeaderBytes, Duration readTimeout, Duration idleTimeout, int authFailures, Duration authFailureWindow) {
        public static final int DEFAULT_MAX_STRING_LENGTH = 512 * 1024;
        public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
        public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
        public static final int DEFAULT_AUTH_FAILURES = 20;
        public static final Duration DEFAULT_AUTH_FAILURE_WINDOW = Duration.ofMinutes(1);
        public static final Hardening DEFAULT = new Hardening(DEFAULT_MAX_STRING_LENGTH, DEFAULT_MAX_HEADER_BYTES, DEFAULT_READ_TIMEOUT,
                DEFAULT_IDLE_TIMEOUT, DEFAULT_AUTH_FAILURES, DEFAULT_AUTH_FAILURE_WINDOW);
    }

    /** A configured provider: one of the closed set of provider kinds. */
    public sealed interface ProviderSpec {
        /** OpenAI-compatible Chat Completions. */
        record OpenAi(OpenAiChatProvider.Config config, int concurrency, ProviderDataPolicy dataPolicy) implements ProviderSpec {
        }

        /** Anthropic Messages. */
        record Anthropic(AnthropicMessagesProvider.Config config, int concurrency, ProviderDataPolicy dataPolicy) implements ProviderSpec {
        }

        /** The built-in demo model. */
        record Demo(DemoProvider.Config config, int concurrency, ProviderDataPolicy dataPolicy) implements ProviderSpec {
        }

        /** What the provider may receive in the clear ({@code data_policy}); unrestricted by default. */
        ProviderDataPolicy dataPolicy();

        default int concurrency() {
            return switch (this) {
                case OpenAi o -> o.concurrency();
                case Anthropic a -> a.concurrency();
                case Demo d -> d.concurrency();
            };
        }
    }

    /** Where a node keeps its state: the closed set of stores. */
    public sealed interface Database {
        /** The embedded default: one SQLite file in the data directory, for one node. */
        record Sqlite(Path file, SqliteStore.Durability durability) implements Database {
        }

        /** One PostgreSQL database shared by any number of nodes. */
        record Postgres(PostgresStore.Config config) implements Database {
        }
    }

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
                defaultLimits, cooldownFailures, cooldown);
    }

    /**
     * Reads the configuration.
     *
     * @param file the YAML file, if any
     * @param env the environment (injected so tests can set it)
     */
    public static ServerConfig load(Optional<Path> file, Map<String, String> env) {
        YamlDocument doc = file.map(f -> YamlDocument.read(f, f.toString())).orElse(YamlDocument.of(dev.mainstay.Json.object(), "(defaults)"));
        doc.requireObject("");
        doc.onlyKeys("", "server", "data_dir", "workflows", "storage", "providers", "routes", "prices", "engine", "demo_api_key", "admin_key", "targets", "limits", "tools");
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
        int maxDepth = doc.integer("/server/max_json_depth", dev.mainstay.Json.DEFAULT_MAX_DEPTH, 4, 1000);
        Hardening hardening = hardening(doc);

        Map<String, ProviderSpec> providers = providers(doc, env);
        Map<String, List<Target>> routes = routes(doc, providers, env);
        Map<String, PriceTable.Price> prices = prices(doc);
        prices.putAll(envPrices(env));
        checkPriced(doc, routes, new PriceTable(prices));
        AccountLimits defaultLimits = AccountLimits.NONE;
        if (doc.has("/limits/accounts")) {
            try {
                defaultLimits = AccountLimits.fromJson(doc.node("/limits/accounts"));
            } catch (dev.mainstay.contract.InvalidInputException e) {
                var v = e.violations().getFirst();
                throw doc.error("/limits/accounts" + v.pointer(), v.message());
            }
        }
        AccountLimits newAccountLimits = AccountLimits.NONE;
        if (doc.has("/limits/defaults")) {
            try {
                newAccountLimits = AccountLimits.fromJson(doc.node("/limits/defaults"));
            } catch (dev.mainstay.contract.InvalidInputException e) {
                var v = e.violations().getFirst();
                throw doc.error("/limits/defaults" + v.pointer(), v.message());
            }
        }
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

        Database database = database(doc, env, dataDir.resolve("mainstay.db"), durability);

        return new ServerConfig(host, port, dataDir, workflows, durability, maxBody, maxDepth, demoKey, adminKey,
                providers, routes, prices, lease, grace, maxInFlight, maxBacklog, maxAccountBacklog, breakerFailures, breakerCooldown, targetLimits,
                defaultLimits, cooldownFailures, cooldown, database, hardening, tools(doc, env), newAccountLimits);
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
     * PostgreSQL when a URL is given ({@code MAINSTAY_DB_URL}, which {@code --db} sets, else
     * {@code storage.postgresql.url}), SQLite otherwise. The password may come from the URL, from
     * {@code MAINSTAY_DB_PASSWORD}, or from the variable {@code storage.postgresql.password_env}
     * names, so it need not be written into a file or shown in a process list.
     */
    private static Database database(YamlDocument doc, Map<String, String> env, Path sqliteFile, SqliteStore.Durability durability) {
        String envUrl = env.get("MAINSTAY_DB_URL");
        boolean fromEnv = envUrl != null && !envUrl.isBlank();
        Optional<String> fileUrl = doc.text("/storage/postgresql/url");
        if (!fromEnv && fileUrl.isEmpty()) {
            if (doc.has("/storage/postgresql")) {
                throw doc.error("/storage/postgresql/url", "is required to use PostgreSQL, e.g. postgresql://mainstay:secret@db.internal:5432/mainstay");
            }
            return new Database.Sqlite(sqliteFile, durability);
        }
        String password = env.get("MAINSTAY_DB_PASSWORD");
        Optional<String> passwordEnv = doc.text("/storage/postgresql/password_env");
        if (password == null && passwordEnv.isPresent()) {
            password = env.get(passwordEnv.get());
            if (password == null) {
                throw doc.error("/storage/postgresql/password_env", "names the environment variable " + passwordEnv.get() + ", which is not set");
            }
        }
        PostgresStore.Config config;
        try {
            config = PostgresStore.Config.parse(fromEnv ? envUrl : fileUrl.get(), password);
        } catch (IllegalArgumentException e) {
            throw fromEnv
                    ? new ConfigException("MAINSTAY_DB_URL (or --db): " + e.getMessage())
                    : doc.error("/storage/postgresql/url", e.getMessage());
        }
        int poolSize = env.containsKey("MAINSTAY_DB_POOL_SIZE")
                ? envInt(env, "MAINSTAY_DB_POOL_SIZE", 2, 1000)
                : doc.integer("/storage/postgresql/pool_size", PostgresStore.DEFAULT_POOL_SIZE, 2, 1000);
        config = config.withPoolSize(poolSize)
                .withConnectTimeout(atLeast(doc, "/storage/postgresql/connect_timeout", PostgresStore.DEFAULT_CONNECT_TIMEOUT, Duration.ofMillis(250)))
                .withStatementTimeout(atLeast(doc, "/storage/postgresql/statement_timeout", PostgresStore.DEFAULT_STATEMENT_TIMEOUT, Duration.ofMillis(100)))
                .withLockTimeout(atLeast(doc, "/storage/postgresql/lock_timeout", PostgresStore.DEFAULT_LOCK_TIMEOUT, Duration.ofMillis(100)));
        return new Database.Postgres(config);
    }

    private static Duration atLeast(YamlDocument doc, String pointer, Duration defaultValue, Duration min) {
        Duration d = doc.duration(pointer, defaultValue);
        if (d.compareTo(min) < 0) {
            throw doc.error(pointer, "must be at least " + min.toMillis() + "ms");
        }
        return d;
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
            String p = "/tools/" + name;
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
                    String h = p + "/headers/" + header;
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

    private static Hardening hardening(YamlDocument doc) {
        int maxString = doc.integer("/server/max_string_length", Hardening.DEFAULT_MAX_STRING_LENGTH, 1024, 256 * 1024 * 1024);
        int maxHeader = doc.integer("/server/max_header_bytes", Hardening.DEFAULT_MAX_HEADER_BYTES, 1024, 1024 * 1024);
        Duration read = doc.duration("/server/read_timeout", Hardening.DEFAULT_READ_TIMEOUT);
        if (read.compareTo(Duration.ofSeconds(1)) < 0) {
            throw doc.error("/server/read_timeout", "must be at least 1s");
        }
        Duration idle = doc.duration("/server/idle_timeout", Hardening.DEFAULT_IDLE_TIMEOUT);
        if (idle.compareTo(Duration.ofSeconds(1)) < 0) {
            throw doc.error("/server/idle_timeout", "must be at least 1s");
        }
        int failures = doc.integer("/server/auth_failures/max", Hardening.DEFAULT_AUTH_FAILURES, 1, 1_000_000);
        Duration window = doc.duration("/server/auth_failures/window", Hardening.DEFAULT_AUTH_FAILURE_WINDOW);
        if (window.compareTo(Duration.ofSeconds(1)) < 0) {
            throw doc.error("/server/auth_failures/window", "must be at least 1s");
        }
        return new Hardening(maxString, maxHeader, read, idle, failures, window);
    }

    private static void checkKey(String where, String key) {
        if (key.length() < 16 || !key.matches("[A-Za-z0-9_\\-.]+")) {
            throw new ConfigException(where + ": an API key needs at least 16 characters of letters, digits, '_', '-' or '.'");
        }
    }

    private static int envInt(Map<String, String> env, String name, int min, int max) {
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

    /** A provider's {@code data_policy}: allow_all (the default), deny_all_pii or { allow: [categories] }. */
    private static ProviderDataPolicy dataPolicy(YamlDocument doc, String p) {
        return ProviderDataPolicy.parse(doc.node(p + "/data_policy"), p + "/data_policy", doc::error);
    }

    private static Map<String, ProviderSpec> providers(YamlDocument doc, Map<String, String> env) {
        Map<String, ProviderSpec> out = new LinkedHashMap<>();
        if (doc.has("/providers")) {
            doc.requireObject("/providers");
            for (String name : doc.node("/providers").propertyNames()) {
                String p = "/providers/" + name;
                doc.requireObject(p);
                String kind = doc.text(p + "/kind").orElse(name.equals("demo") ? "demo" : "openai");
                switch (kind) {
                    case "openai" -> {
                        doc.onlyKeys(p, "kind", "base_url", "api_key", "api_key_env", "max_tokens_field", "strict_schema", "connect_timeout", "concurrency", "data_policy");
                        String key = apiKey(doc, p, env);
                        URI base = uri(doc, p + "/base_url", doc.text(p + "/base_url").orElse("https://api.openai.com/v1"));
                        String field = doc.text(p + "/max_tokens_field").orElse(OpenAiChatProvider.Config.maxTokensFieldFor(base));
                        if (!field.equals("max_tokens") && !field.equals("max_completion_tokens")) {
                            throw doc.error(p + "/max_tokens_field", "must be max_tokens or max_completion_tokens");
                        }
                        out.put(name, new ProviderSpec.OpenAi(new OpenAiChatProvider.Config(name, base, key,
                                doc.duration(p + "/connect_timeout", OpenAiChatProvider.Config.DEFAULT_CONNECT_TIMEOUT), field,
                                doc.bool(p + "/strict_schema", OpenAiChatProvider.Config.DEFAULT_STRICT_SCHEMA)),
                                doc.integer(p + "/concurrency", EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, 1, 100_000), dataPolicy(doc, p)));
                    }
                    case "anthropic" -> {
                        doc.onlyKeys(p, "kind", "base_url", "api_key", "api_key_env", "connect_timeout", "concurrency", "data_policy");
                        String key = apiKey(doc, p, env);
                        String baseText = doc.text(p + "/base_url").orElse(AnthropicMessagesProvider.Config.DEFAULT_BASE_URL.toString());
                        URI base = uri(doc, p + "/base_url", baseText);
                        if (versioned(base)) {
                            throw doc.error(p + "/base_url", "is the API root without /v1, e.g. https://api.anthropic.com; Mainstay posts to <base_url>/v1/messages");
                        }
                        out.put(name, new ProviderSpec.Anthropic(new AnthropicMessagesProvider.Config(name, base, key,
                                doc.duration(p + "/connect_timeout", AnthropicMessagesProvider.Config.DEFAULT_CONNECT_TIMEOUT)),
                                doc.integer(p + "/concurrency", EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, 1, 100_000), dataPolicy(doc, p)));
                    }
                    case "demo" -> {
                        doc.onlyKeys(p, "kind", "latency", "fault_rate", "concurrency", "data_policy");
                        Duration min = DemoProvider.Config.DEFAULT.minLatency();
                        Duration max = DemoProvider.Config.DEFAULT.maxLatency();
                        if (doc.has(p + "/latency")) {
                            String[] range = doc.requireText(p + "/latency").split("\\.\\.");
                            min = YamlDocument.parseDuration(range[0]).orElseThrow(() -> doc.error(p + "/latency", "must be a duration or a range like 150ms..600ms"));
                            max = range.length > 1 ? YamlDocument.parseDuration(range[1]).orElseThrow(() -> doc.error(p + "/latency", "must be a duration or a range like 150ms..600ms")) : min;
                            if (max.compareTo(min) < 0) {
                                throw doc.error(p + "/latency", "the range must go from low to high");
                            }
                        }
                        double rate = DemoProvider.Config.DEFAULT.faultRate();
                        if (doc.has(p + "/fault_rate")) {
                            var n = doc.node(p + "/fault_rate");
                            if (!n.isNumber() || n.asDouble() < 0 || n.asDouble() > 1) {
                                throw doc.error(p + "/fault_rate", "must be a number between 0 and 1");
                            }
                            rate = n.asDouble();
                        }
                        out.put(name, new ProviderSpec.Demo(new DemoProvider.Config(min, max, rate), doc.integer(p + "/concurrency", EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, 1, 100_000), dataPolicy(doc, p)));
                    }
                    default -> throw doc.error(p + "/kind", "unknown provider kind '" + kind + "' (known: openai, anthropic, demo)");
                }
            }
        }
        String openAiKey = env.get("OPENAI_API_KEY");
        if (openAiKey != null && !openAiKey.isBlank() && !out.containsKey("openai")) {
            URI uri = envUri(env, "OPENAI_BASE_URL", "https://api.openai.com/v1");
            String field = OpenAiChatProvider.Config.maxTokensFieldFor(uri);
            out.put("openai", new ProviderSpec.OpenAi(new OpenAiChatProvider.Config("openai", uri, openAiKey.strip(),
                    OpenAiChatProvider.Config.DEFAULT_CONNECT_TIMEOUT, field), EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, ProviderDataPolicy.UNRESTRICTED));
        }
        String anthropicKey = env.get("ANTHROPIC_API_KEY");
        if (anthropicKey != null && !anthropicKey.isBlank() && !out.containsKey("anthropic")) {
            URI uri = envUri(env, "ANTHROPIC_BASE_URL", AnthropicMessagesProvider.Config.DEFAULT_BASE_URL.toString());
            if (versioned(uri)) {
                throw new ConfigException("ANTHROPIC_BASE_URL: is the API root without /v1, e.g. https://api.anthropic.com; Mainstay posts to <base_url>/v1/messages");
            }
            out.put("anthropic", new ProviderSpec.Anthropic(new AnthropicMessagesProvider.Config("anthropic", uri, anthropicKey.strip(),
                    AnthropicMessagesProvider.Config.DEFAULT_CONNECT_TIMEOUT), EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, ProviderDataPolicy.UNRESTRICTED));
        }
        if (!out.containsKey("demo")) {
            out.put("demo", new ProviderSpec.Demo(DemoProvider.Config.DEFAULT, EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, ProviderDataPolicy.UNRESTRICTED));
        }
        return out;
    }

    /** The key from {@code api_key_env} (which must be set) or {@code api_key}; empty when neither is given. */
    private static String apiKey(YamlDocument doc, String p, Map<String, String> env) {
        String keyEnv = doc.text(p + "/api_key_env").orElse(null);
        String key = keyEnv != null ? env.getOrDefault(keyEnv, "") : doc.text(p + "/api_key").orElse("");
        if (keyEnv != null && key.isEmpty()) {
            throw doc.error(p + "/api_key_env", "names the environment variable " + keyEnv + ", which is not set");
        }
        return key;
    }

    private static URI envUri(Map<String, String> env, String name, String fallback) {
        String base = env.getOrDefault(name, fallback);
        try {
            URI uri = new URI(base);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new URISyntaxException(base, "needs a scheme and a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException(name + ": not a usable URL: '" + base + "' (" + e.getReason() + ")");
        }
    }

    /** Anthropic base URLs end before the version segment; one that ends in /v1 would post to /v1/v1/messages. */
    private static boolean versioned(URI base) {
        String path = base.getPath() == null ? "" : base.getPath();
        return path.endsWith("/v1") || path.endsWith("/v1/");
    }

    private static URI uri(YamlDocument doc, String pointer, String text) {
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
                List<String> entries = doc.textList("/routes/" + name);
                for (int i = 0; i < entries.size(); i++) {
                    String e = entries.get(i);
                    int slash = e.indexOf('/');
                    if (slash <= 0 || slash == e.length() - 1) {
                        throw doc.error("/routes/" + name + "/" + i, "must be 'provider/model', got '" + e + "'");
                    }
                    String provider = e.substring(0, slash);
                    if (!providers.containsKey(provider)) {
                        throw doc.error("/routes/" + name + "/" + i, "unknown provider '" + provider + "' (configured: " + String.join(", ", providers.keySet()) + ")");
                    }
                    targets.add(new Target(provider, e.substring(slash + 1)));
                }
                if (targets.isEmpty()) {
                    throw doc.error("/routes/" + name, "needs at least one 'provider/model' target");
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
            String p = "/targets/" + key.replace("~", "~0").replace("/", "~1");
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
                    throw doc.error("/routes/" + route.getKey(), "target " + t + " has no price; Mainstay ships prices for common models only. Add it under 'prices', e.g.\n"
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
                String p = "/prices/" + key.replace("~", "~0").replace("/", "~1");
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
