package dev.mainstay.server;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.engine.EngineConfig;
import dev.mainstay.providers.anthropic.AnthropicMessagesProvider;
import dev.mainstay.providers.demo.DemoProvider;
import dev.mainstay.providers.openai.OpenAiChatProvider;
import dev.mainstay.redaction.ProviderDataPolicy;
import dev.mainstay.workflow.YamlDocument;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

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

    /** A provider's {@code data_policy}: allow_all (the default), deny_all_pii or { allow: [categories] }. */
    private static ProviderDataPolicy dataPolicy(YamlDocument doc, String p) {
        return ProviderDataPolicy.parse(doc.node(p + "/data_policy"), p + "/data_policy", doc::error);
    }

    /**
     * The {@code providers} section, then the providers the environment names
     * ({@code OPENAI_API_KEY}, {@code ANTHROPIC_API_KEY}) unless the file configures them, and the
     * demo model unless configured.
     */
    static Map<String, ProviderSpec> read(YamlDocument doc, Map<String, String> env) {
        Map<String, ProviderSpec> out = new LinkedHashMap<>();
        if (doc.has("/providers")) {
            doc.requireObject("/providers");
            for (String name : doc.node("/providers").propertyNames()) {
                String p = Json.pointer("/providers", name);
                doc.requireObject(p);
                String kind = doc.text(p + "/kind").orElse(name.equals("demo") ? "demo" : "openai");
                switch (kind) {
                    case "openai" -> {
                        doc.onlyKeys(p, "kind", "base_url", "api_key", "api_key_env", "max_tokens_field", "strict_schema", "connect_timeout", "concurrency", "data_policy");
                        String key = apiKey(doc, p, env);
                        URI base = ServerConfig.uri(doc, p + "/base_url", doc.text(p + "/base_url").orElse("https://api.openai.com/v1"));
                        String field = doc.text(p + "/max_tokens_field").orElse(OpenAiChatProvider.Config.maxTokensFieldFor(base));
                        if (!field.equals("max_tokens") && !field.equals("max_completion_tokens")) {
                            throw doc.error(p + "/max_tokens_field", "must be max_tokens or max_completion_tokens");
                        }
                        out.put(name, new OpenAi(new OpenAiChatProvider.Config(name, base, key,
                                doc.duration(p + "/connect_timeout", OpenAiChatProvider.Config.DEFAULT_CONNECT_TIMEOUT), field,
                                doc.bool(p + "/strict_schema", OpenAiChatProvider.Config.DEFAULT_STRICT_SCHEMA)),
                                doc.integer(p + "/concurrency", EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, 1, 100_000), dataPolicy(doc, p)));
                    }
                    case "anthropic" -> {
                        doc.onlyKeys(p, "kind", "base_url", "api_key", "api_key_env", "connect_timeout", "concurrency", "data_policy");
                        String key = apiKey(doc, p, env);
                        String baseText = doc.text(p + "/base_url").orElse(AnthropicMessagesProvider.Config.DEFAULT_BASE_URL.toString());
                        URI base = ServerConfig.uri(doc, p + "/base_url", baseText);
                        if (versioned(base)) {
                            throw doc.error(p + "/base_url", "is the API root without /v1, e.g. https://api.anthropic.com; Mainstay posts to <base_url>/v1/messages");
                        }
                        out.put(name, new Anthropic(new AnthropicMessagesProvider.Config(name, base, key,
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
                        out.put(name, new Demo(new DemoProvider.Config(min, max, rate), doc.integer(p + "/concurrency", EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, 1, 100_000), dataPolicy(doc, p)));
                    }
                    default -> throw doc.error(p + "/kind", "unknown provider kind '" + kind + "' (known: openai, anthropic, demo)");
                }
            }
        }
        String openAiKey = env.get("OPENAI_API_KEY");
        if (openAiKey != null && !openAiKey.isBlank() && !out.containsKey("openai")) {
            URI uri = envUri(env, "OPENAI_BASE_URL", "https://api.openai.com/v1");
            String field = OpenAiChatProvider.Config.maxTokensFieldFor(uri);
            out.put("openai", new OpenAi(new OpenAiChatProvider.Config("openai", uri, openAiKey.strip(),
                    OpenAiChatProvider.Config.DEFAULT_CONNECT_TIMEOUT, field), EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, ProviderDataPolicy.UNRESTRICTED));
        }
        String anthropicKey = env.get("ANTHROPIC_API_KEY");
        if (anthropicKey != null && !anthropicKey.isBlank() && !out.containsKey("anthropic")) {
            URI uri = envUri(env, "ANTHROPIC_BASE_URL", AnthropicMessagesProvider.Config.DEFAULT_BASE_URL.toString());
            if (versioned(uri)) {
                throw new ConfigException("ANTHROPIC_BASE_URL: is the API root without /v1, e.g. https://api.anthropic.com; Mainstay posts to <base_url>/v1/messages");
            }
            out.put("anthropic", new Anthropic(new AnthropicMessagesProvider.Config("anthropic", uri, anthropicKey.strip(),
                    AnthropicMessagesProvider.Config.DEFAULT_CONNECT_TIMEOUT), EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, ProviderDataPolicy.UNRESTRICTED));
        }
        if (!out.containsKey("demo")) {
            out.put("demo", new Demo(DemoProvider.Config.DEFAULT, EngineConfig.DEFAULT_PROVIDER_CONCURRENCY, ProviderDataPolicy.UNRESTRICTED));
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
}
