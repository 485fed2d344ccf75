package dev.mainstay.providers.openai;

import dev.mainstay.Json;
import dev.mainstay.provider.Message;
import dev.mainstay.provider.ToolDefinition;
import dev.mainstay.provider.ToolRequest;
import dev.mainstay.provider.ModelRequest;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.provider.RateLimits;
import dev.mainstay.providers.http.JsonEndpoint;
import dev.mainstay.providers.http.RateLimitHeaders;
import dev.mainstay.providers.http.RetryAfter;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAI-compatible Chat Completions over plain HTTP ({@code POST {baseUrl}/chat/completions}):
 * OpenAI itself, Azure OpenAI's compatible endpoint, vLLM, Ollama, llama.cpp, OpenRouter and the
 * testkit fake. Structured output is requested with {@code response_format: json_schema}, in
 * strict mode whenever the output schema has a strict form (see {@link StrictSchema}). Every
 * way the call can end maps to one {@link ProviderOutcome}; nothing is thrown for provider trouble.
 */
public final class OpenAiChatProvider implements Provider {
    private static final Pattern RESET_DURATION = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+(?:\\.\\d+)?)s)?(?:(\\d+)ms)?");

    /**
     * @param name the provider name routes refer to
     * @param baseUrl the API root including its version segment, e.g. {@code https://api.openai.com/v1}
     *     or {@code http://127.0.0.1:11434/v1}; {@code /chat/completions} is appended
     * @param apiKey sent as a bearer token; may be empty for local servers
     * @param maxTokensField {@code max_completion_tokens} (OpenAI) or {@code max_tokens} (most
     *     compatible servers); {@link #maxTokensFieldFor} gives the usual one for a base URL
     * @param strictSchema whether to ask for strict Structured Outputs when the output schema has a
     *     strict form; off for a server that refuses {@code strict: true}
     */
    public record Config(String name, URI baseUrl, String apiKey, Duration connectTimeout, String maxTokensField, boolean strictSchema) {
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
        public static final boolean DEFAULT_STRICT_SCHEMA = true;

        public Config {
            if (!"max_completion_tokens".equals(maxTokensField) && !"max_tokens".equals(maxTokensField)) {
                throw new IllegalArgumentException("maxTokensField must be max_completion_tokens or max_tokens, got " + maxTokensField);
            }
        }

        public Config(String name, URI baseUrl, String apiKey, Duration connectTimeout, String maxTokensField) {
            this(name, baseUrl, apiKey, connectTimeout, maxTokensField, DEFAULT_STRICT_SCHEMA);
        }

        /**
         * {@code max_completion_tokens} for OpenAI itself ({@code *.openai.com}) and Azure OpenAI
         * ({@code *.openai.azure.com}), whose newer models refuse {@code max_tokens}; {@code max_tokens}
         * for every other host (vLLM, Ollama, llama.cpp and most gateways know only that one).
         */
        public static String maxTokensFieldFor(URI baseUrl) {
            String host = baseUrl.getHost() == null ? "" : baseUrl.getHost().toLowerCase(java.util.Locale.ROOT);
            boolean openAi = host.equals("openai.com") || host.endsWith(".openai.com") || host.endsWith(".openai.azure.com");
            return openAi ? "max_completion_tokens" : "max_tokens";
        }
    }

    private final Config config;
    private final Clock clock;
    private final JsonEndpoint endpoint;

    public OpenAiChatProvider(Config config) {
        this(config, Clock.systemUTC());
    }

    /** @param clock what a {@code retry-after} given as an HTTP date is measured from */
    public OpenAiChatProvider(Config config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.endpoint = new JsonEndpoint(config.baseUrl(), "/chat/completions", config.connectTimeout());
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public ProviderOutcome call(ModelRequest request) throws InterruptedException {
        Map<String, String> headers = config.apiKey().isEmpty() ? Map.of() : Map.of("Authorization", "Bearer " + config.apiKey());
        StrictSchema strict = strict(request);
        return endpoint.post(body(request, strict), request.timeout(), headers, request.tags(), (response, latency) -> outcome(response, latency, strict));
    }

    /** The strict form of the request's output schema, or null when strict mode is off or the schema has none. */
    private StrictSchema strict(ModelRequest request) {
        return config.strictSchema() ? StrictSchema.of(request.outputSchema()).schema().orElse(null) : null;
    }

    ObjectNode body(ModelRequest request) {
        return body(request, strict(request));
    }

    private ObjectNode body(ModelRequest request, StrictSchema strict) {
        ObjectNode body = Json.object();
        body.put("model", request.model());
        ArrayNode messages = body.putArray("messages");
        for (Message m : request.messages()) {
            ObjectNode out = messages.addObject().put("role", m.role().wire()).put("content", m.content());
            if (!m.toolCalls().isEmpty()) {
                ArrayNode calls = out.putArray("tool_calls");
                for (ToolRequest c : m.toolCalls()) {
                    calls.addObject().put("id", c.id()).put("type", "function").putObject("function")
                            .put("name", c.name()).put("arguments", c.arguments() == null ? "{}" : c.arguments().isString() ? c.arguments().asString() : Json.write(c.arguments()));
                }
            }
            if (m.toolCallId() != null) {
                out.put("tool_call_id", m.toolCallId());
            }
        }
        if (!request.tools().isEmpty()) {
            ArrayNode tools = body.putArray("tools");
            for (ToolDefinition t : request.tools()) {
                ObjectNode f = tools.addObject().put("type", "function").putObject("function").put("name", t.name());
                if (t.description() != null) {
                    f.put("description", t.description());
                }
                f.set("parameters", t.parameters());
            }
        }
        body.put(config.maxTokensField(), request.maxOutputTokens());
        ObjectNode format = body.putObject("response_format");
        format.put("type", "json_schema");
        ObjectNode schema = format.putObject("json_schema");
        schema.put("name", request.schemaName());
        // Strict mode makes the provider generate within the schema; a schema without a strict
        // form goes as guidance. Mainstay checks the whole contract on every answer either way.
        schema.set("schema", strict == null ? request.outputSchema() : strict.sent());
        schema.put("strict", strict != null);
        return body;
    }

    ProviderOutcome outcome(HttpResponse<String> response, Duration latency) {
        return outcome(response, latency, null);
    }

    private ProviderOutcome outcome(HttpResponse<String> response, Duration latency, StrictSchema strict) {
        int status = response.statusCode();
        RateLimits limits = rateLimits(response.headers());
        if (status == 200) {
            ProviderOutcome ok = success(response.body(), latency, strict);
            return ok instanceof ProviderOutcome.Success s && !limits.isEmpty() ? s.withRateLimits(limits) : ok;
        }
        Optional<Duration> retryAfter = retryAfter(response, clock.instant());
        String detail = "HTTP " + status + ": " + errorMessage(response.body());
        if (status == 429) {
            return new ProviderOutcome.RateLimited(retryAfter, detail, limits);
        }
        if (status == 408 || status == 409 || status >= 500) {
            return new ProviderOutcome.Transient(retryAfter, detail, limits);
        }
        return new ProviderOutcome.Fatal(status, errorMessage(response.body()));
    }

    private static ProviderOutcome success(String body, Duration latency, StrictSchema strict) {
        JsonNode root;
        try {
            root = Json.parse(body);
        } catch (JacksonException e) {
            return new ProviderOutcome.Transient(Optional.empty(), "response body is not JSON: " + JsonEndpoint.abbreviate(body));
        }
        JsonNode choice = root.path("choices").path(0);
        JsonNode message = choice.path("message");
        if (choice.isMissingNode() || message.isMissingNode()) {
            return new ProviderOutcome.Transient(Optional.empty(), "response has no choices[0].message: " + JsonEndpoint.abbreviate(body));
        }
        JsonNode refusal = message.get("refusal");
        if (refusal != null && refusal.isString() && !refusal.stringValue().isBlank()) {
            return new ProviderOutcome.Refused(JsonEndpoint.abbreviate(refusal.stringValue()));
        }
        if ("content_filter".equals(choice.path("finish_reason").asString(""))) {
            return new ProviderOutcome.Refused("the provider's content filter stopped the answer");
        }
        JsonNode content = message.get("content");
        String text = content == null || content.isNull() ? "" : content.asString();
        if (strict != null) {
            text = strict.restore(text);
        }
        JsonNode usage = root.path("usage");
        List<ToolRequest> calls = new ArrayList<>();
        for (JsonNode c : message.path("tool_calls")) {
            String arguments = c.path("function").path("arguments").asString("");
            JsonNode parsed;
            try {
                parsed = arguments.isBlank() ? Json.object() : Json.parse(arguments);
            } catch (RuntimeException notJson) {
                parsed = Json.MAPPER.getNodeFactory().stringNode(arguments);
            }
            calls.add(new ToolRequest(c.path("id").asString(""), c.path("function").path("name").asString(""), parsed));
        }
        // Counts go on as reported, however odd; the engine decides what to charge for them.
        JsonNode cached = usage.path("prompt_tokens_details").path("cached_tokens");
        return new ProviderOutcome.Success(text, root.path("model").asString(""),
                JsonEndpoint.tokenCount(usage.get("prompt_tokens")), cached.isMissingNode() || cached.isNull() ? 0 : JsonEndpoint.tokenCount(cached),
                JsonEndpoint.tokenCount(usage.get("completion_tokens")), latency).withToolCalls(calls).withStrictSchema(strict != null);
    }

    /**
     * The wait a provider asks for: {@code retry-after-ms}, then {@code retry-after} (seconds or an
     * HTTP date, measured from {@code now}; see {@link RetryAfter}), then OpenAI's
     * {@code x-ratelimit-reset-requests} / {@code -tokens} ({@code 1m30s}).
     */
    static Optional<Duration> retryAfter(HttpResponse<?> response, Instant now) {
        var headers = response.headers();
        Optional<Duration> asked = RetryAfter.of(headers, now);
        if (asked.isPresent()) {
            return asked;
        }
        // OpenAI says which budget ran out through the remaining-* headers; wait for that one.
        Optional<Duration> requests = headers.firstValue("x-ratelimit-reset-requests").flatMap(OpenAiChatProvider::parseReset);
        Optional<Duration> tokens = headers.firstValue("x-ratelimit-reset-tokens").flatMap(OpenAiChatProvider::parseReset);
        boolean requestsOut = headers.firstValue("x-ratelimit-remaining-requests").map(v -> v.strip().equals("0")).orElse(false);
        boolean tokensOut = headers.firstValue("x-ratelimit-remaining-tokens").map(v -> v.strip().equals("0")).orElse(false);
        if (requestsOut && tokensOut && requests.isPresent() && tokens.isPresent()) {
            return requests.get().compareTo(tokens.get()) >= 0 ? requests : tokens;
        }
        if (requestsOut && requests.isPresent()) {
            return requests;
        }
        if (tokensOut && tokens.isPresent()) {
            return tokens;
        }
        return requests.isPresent() ? requests : tokens;
    }

    /** The budgets OpenAI reports, each with {@code x-ratelimit-limit-*}, {@code -remaining-*} and {@code -reset-*} headers. */
    private static final List<String> BUDGETS = List.of("requests", "tokens");

    private static final RateLimitHeaders.Names NAMES = new RateLimitHeaders.Names() {
        @Override
        public String limit(String budget) {
            return "x-ratelimit-limit-" + budget;
        }

        @Override
        public String remaining(String budget) {
            return "x-ratelimit-remaining-" + budget;
        }

        @Override
        public String reset(String budget) {
            return "x-ratelimit-reset-" + budget;
        }
    };

    /**
     * What the response's rate-limit headers say: {@code x-ratelimit-limit-requests: 500},
     * {@code x-ratelimit-remaining-requests: 499}, {@code x-ratelimit-reset-requests: 120ms} and
     * the same for {@code tokens}.
     */
    static RateLimits rateLimits(java.net.http.HttpHeaders headers) {
        return RateLimitHeaders.read(headers, BUDGETS, NAMES, OpenAiChatProvider::parseReset);
    }

    static Optional<Duration> parseReset(String text) {
        Matcher m = RESET_DURATION.matcher(text.strip());
        if (text.isBlank() || !m.matches()) {
            return Optional.empty();
        }
        // Parsed as doubles so that an absurd number of hours reads as a long wait, never as an exception.
        double seconds = 0;
        if (m.group(1) != null) seconds += Double.parseDouble(m.group(1)) * 3600;
        if (m.group(2) != null) seconds += Double.parseDouble(m.group(2)) * 60;
        if (m.group(3) != null) seconds += Double.parseDouble(m.group(3));
        if (m.group(4) != null) seconds += Double.parseDouble(m.group(4)) / 1000.0;
        double millis = Math.ceil(seconds * 1000);
        return Optional.of(millis >= RetryAfter.MAX.toMillis() ? RetryAfter.MAX : Duration.ofMillis((long) millis));
    }

    private static String errorMessage(String body) {
        try {
            JsonNode root = Json.parse(body);
            JsonNode message = root.path("error").path("message");
            if (message.isString()) {
                return JsonEndpoint.abbreviate(message.stringValue());
            }
            if (root.path("error").isString()) {
                return JsonEndpoint.abbreviate(root.path("error").stringValue());
            }
        } catch (JacksonException ignored) {
            // not JSON: show the start of the body
        }
        return JsonEndpoint.abbreviate(body);
    }




    /** For tests and logs: which endpoint this provider posts to. */
    public URI endpoint() {
        return endpoint.uri();
    }
}
