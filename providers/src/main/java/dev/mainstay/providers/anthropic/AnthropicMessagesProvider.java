package dev.mainstay.providers.anthropic;

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
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Anthropic's Messages API over plain HTTP ({@code POST {baseUrl}/v1/messages}). Structured output
 * is a forced tool call: the request declares one tool, {@value #TOOL}, whose {@code input_schema}
 * is the output schema, and the answer is that tool's input. Every way the call can end maps to one
 * {@link ProviderOutcome}; nothing is thrown for provider trouble.
 *
 * <p>Anthropic accepts only {@code "type": "object"} at the root of a tool's {@code input_schema};
 * a stage whose output schema is not an object is rejected by the API with a 400 ({@code Fatal}).
 */
public final class AnthropicMessagesProvider implements Provider {
    /** The API version this provider speaks, sent as {@code anthropic-version}. */
    static final String API_VERSION = "2023-06-01";
    /** The name of the one tool through which the model answers. */
    static final String TOOL = "respond";
    /** The budgets Anthropic reports, each with {@code -remaining} and {@code -reset} headers. */
    private static final List<String> BUDGETS = List.of("requests", "tokens", "input-tokens", "output-tokens");

    /**
     * @param name the provider name routes refer to
     * @param baseUrl the API root without a version segment, e.g. {@code https://api.anthropic.com}
     *     or {@code http://127.0.0.1:41234}; {@code /v1/messages} is appended
     * @param apiKey sent as {@code x-api-key}; may be empty for a local gateway that adds its own
     */
    public record Config(String name, URI baseUrl, String apiKey, Duration connectTimeout) {
        public static final URI DEFAULT_BASE_URL = URI.create("https://api.anthropic.com");
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    }

    private final Config config;
    private final Clock clock;
    private final JsonEndpoint endpoint;

    public AnthropicMessagesProvider(Config config) {
        this(config, Clock.systemUTC());
    }

    /**
     * @param clock what the RFC 3339 {@code anthropic-ratelimit-*-reset} times and a
     *     {@code retry-after} given as an HTTP date are measured from
     */
    public AnthropicMessagesProvider(Config config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.endpoint = new JsonEndpoint(config.baseUrl(), "/v1/messages", config.connectTimeout());
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public ProviderOutcome call(ModelRequest request) throws InterruptedException {
        Map<String, String> headers = config.apiKey().isEmpty()
                ? Map.of("anthropic-version", API_VERSION)
                : Map.of("anthropic-version", API_VERSION, "x-api-key", config.apiKey());
        return endpoint.post(body(request), request.timeout(), headers, request.tags(), this::outcome);
    }

    ObjectNode body(ModelRequest request) {
        ObjectNode body = Json.object();
        body.put("model", request.model());
        body.put("max_tokens", request.maxOutputTokens());
        List<String> system = new ArrayList<>();
        ArrayNode messages = Json.array();
        ArrayNode results = null; // tool results of one turn go back together, in one user message
        for (Message m : request.messages()) {
            if (m.role() != Message.Role.TOOL) {
                results = null;
            }
            switch (m.role()) {
                case SYSTEM -> system.add(m.content());
                case ASSISTANT -> {
                    if (!m.toolCalls().isEmpty()) {
                        ArrayNode blocks = messages.addObject().put("role", "assistant").putArray("content");
                        if (m.content() != null && !m.content().isBlank()) {
                            blocks.addObject().put("type", "text").put("text", m.content());
                        }
                        for (ToolRequest c : m.toolCalls()) {
                            blocks.addObject().put("type", "tool_use").put("id", c.id()).put("name", c.name())
                                    .set("input", c.arguments() != null && c.arguments().isObject() ? c.arguments() : Json.object());
                        }
                    } else if (m.content() != null && !m.content().isBlank()) {
                        messages.addObject().put("role", "assistant").put("content", m.content());
                    }
                }
                case USER -> {
                    // The API rejects empty text content; an empty turn (a blank first answer in a
                    // repair) carries nothing, and consecutive user turns are merged by the API.
                    if (m.content() != null && !m.content().isBlank()) {
                        messages.addObject().put("role", "user").put("content", m.content());
                    }
                }
                case TOOL -> {
                    if (results == null) {
                        results = messages.addObject().put("role", "user").putArray("content");
                    }
                    results.addObject().put("type", "tool_result").put("tool_use_id", m.toolCallId()).put("content", m.content() == null ? "" : m.content());
                }
            }
        }
        if (!system.isEmpty()) {
            body.put("system", String.join("\n\n", system));
        }
        body.set("messages", messages);
        ArrayNode tools = body.putArray("tools");
        ObjectNode tool = tools.addObject();
        tool.put("name", TOOL);
        tool.put("description", "Give the answer (" + request.schemaName() + ") as the input of this tool. The input must satisfy the schema.");
        tool.set("input_schema", request.outputSchema());
        for (ToolDefinition t : request.tools()) {
            ObjectNode f = tools.addObject().put("name", t.name());
            if (t.description() != null) {
                f.put("description", t.description());
            }
            f.set("input_schema", t.parameters());
        }
        if (request.tools().isEmpty()) {
            body.putObject("tool_choice").put("type", "tool").put("name", TOOL);
        } else {
            // Either call a function or give the answer: some tool, the model picks which.
            body.putObject("tool_choice").put("type", "any");
        }
        return body;
    }

    ProviderOutcome outcome(HttpResponse<String> response, Duration latency) {
        int status = response.statusCode();
        Instant now = clock.instant();
        RateLimits limits = rateLimits(response.headers(), now);
        if (status == 200) {
            ProviderOutcome ok = success(response.body(), latency);
            return ok instanceof ProviderOutcome.Success s && !limits.isEmpty() ? s.withRateLimits(limits) : ok;
        }
        ApiError error = ApiError.of(response.body());
        String detail = "HTTP " + status + (error.type().isEmpty() ? ": " : " ") + error.text();
        if (status == 429) {
            return new ProviderOutcome.RateLimited(retryAfter(response.headers(), now), detail, limits);
        }
        // 529 overloaded_error, 500 api_error, gateways' 502/503/504, 408 and 409 pass with time.
        if (status == 408 || status == 409 || status >= 500) {
            return new ProviderOutcome.Transient(RetryAfter.of(response.headers(), now), detail, limits);
        }
        return new ProviderOutcome.Fatal(status, error.text());
    }

    private static ProviderOutcome success(String body, Duration latency) {
        JsonNode root;
        try {
            root = Json.parse(body);
        } catch (JacksonException e) {
            return new ProviderOutcome.Transient(Optional.empty(), "response body is not JSON: " + JsonEndpoint.abbreviate(body));
        }
        if ("error".equals(root.path("type").asString(""))) {
            return new ProviderOutcome.Transient(Optional.empty(), "HTTP 200 with an error body: " + ApiError.of(body).text());
        }
        JsonNode content = root.path("content");
        if (!content.isArray()) {
            return new ProviderOutcome.Transient(Optional.empty(), "response has no content array: " + JsonEndpoint.abbreviate(body));
        }
        List<String> texts = new ArrayList<>();
        JsonNode toolInput = null;
        List<ToolRequest> calls = new ArrayList<>();
        for (JsonNode block : content) {
            switch (block.path("type").asString("")) {
                case "text" -> texts.add(block.path("text").asString(""));
                case "tool_use" -> {
                    if (TOOL.equals(block.path("name").asString(""))) {
                        toolInput = block.path("input");
                    } else {
                        calls.add(new ToolRequest(block.path("id").asString(""), block.path("name").asString(""), block.path("input")));
                    }
                }
                default -> {
                    // thinking and other blocks carry no answer
                }
            }
        }
        String text = texts.stream().collect(Collectors.joining());
        if ("refusal".equals(root.path("stop_reason").asString(""))) {
            return new ProviderOutcome.Refused(text.isBlank() ? "stop_reason refusal, no explanation given" : JsonEndpoint.abbreviate(text));
        }
        JsonNode usage = root.path("usage");
        // Cached prompt tokens are prompt tokens: Anthropic counts them apart from input_tokens.
        // Counts go on as reported, however odd; the engine decides what to charge for them.
        long cacheRead = cacheCount(usage.get("cache_read_input_tokens"));
        long input = JsonEndpoint.sum(JsonEndpoint.tokenCount(usage.get("input_tokens")), cacheCount(usage.get("cache_creation_input_tokens")), cacheRead);
        String answer = toolInput != null && !toolInput.isMissingNode() ? Json.write(toolInput) : text;
        return new ProviderOutcome.Success(answer, root.path("model").asString(""), input, cacheRead,
                JsonEndpoint.tokenCount(usage.get("output_tokens")), latency).withToolCalls(toolInput != null ? List.of() : calls);
    }

    /** The cache fields are absent when no prompt caching took place: none is zero there. */
    private static long cacheCount(JsonNode field) {
        return field == null || field.isNull() ? 0 : JsonEndpoint.tokenCount(field);
    }

    /**
     * The wait a 429 asks for: {@code retry-after} (read by {@link RetryAfter}), else the reset
     * time of the budget that ran out ({@code anthropic-ratelimit-*-remaining: 0}), the latest
     * when several did, else the earliest reset given. Resets are RFC 3339 times, measured from
     * {@code now}.
     */
    static Optional<Duration> retryAfter(HttpHeaders headers, Instant now) {
        Optional<Duration> header = RetryAfter.of(headers, now);
        if (header.isPresent()) {
            return header;
        }
        Optional<Instant> exhausted = Optional.empty();
        Optional<Instant> earliest = Optional.empty();
        for (String budget : BUDGETS) {
            Optional<Instant> reset = headers.firstValue("anthropic-ratelimit-" + budget + "-reset").flatMap(AnthropicMessagesProvider::parseInstant);
            if (reset.isEmpty()) {
                continue;
            }
            boolean out = headers.firstValue("anthropic-ratelimit-" + budget + "-remaining").map(v -> v.strip().equals("0")).orElse(false);
            if (out && (exhausted.isEmpty() || reset.get().isAfter(exhausted.get()))) {
                exhausted = reset;
            }
            if (earliest.isEmpty() || reset.get().isBefore(earliest.get())) {
                earliest = reset;
            }
        }
        Optional<Instant> until = exhausted.isPresent() ? exhausted : earliest;
        return until.map(at -> {
            Duration d = Duration.between(now, at);
            return d.isNegative() ? Duration.ZERO : d;
        });
    }

    private static final RateLimitHeaders.Names NAMES = new RateLimitHeaders.Names() {
        @Override
        public String limit(String budget) {
            return "anthropic-ratelimit-" + budget + "-limit";
        }

        @Override
        public String remaining(String budget) {
            return "anthropic-ratelimit-" + budget + "-remaining";
        }

        @Override
        public String reset(String budget) {
            return "anthropic-ratelimit-" + budget + "-reset";
        }
    };

    /**
     * What the response's rate-limit headers say: {@code anthropic-ratelimit-requests-limit: 50},
     * {@code -remaining: 49}, {@code -reset: 2026-01-01T00:00:02Z} (an RFC 3339 instant, measured
     * from {@code now}; one already past resets in 0 s), the same for {@code tokens},
     * {@code input-tokens} and {@code output-tokens}.
     */
    static RateLimits rateLimits(HttpHeaders headers, Instant now) {
        return RateLimitHeaders.read(headers, BUDGETS, NAMES, v -> parseInstant(v).map(at -> {
            Duration d = Duration.between(now, at);
            return d.isNegative() ? Duration.ZERO : d;
        }));
    }

    private static Optional<Instant> parseInstant(String text) {
        try {
            return Optional.of(OffsetDateTime.parse(text.strip()).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Anthropic's error body, {@code {type: error, error: {type, message}}}; type is empty when the body is not one. */
    private record ApiError(String type, String message) {
        static ApiError of(String body) {
            try {
                JsonNode error = Json.parse(body).path("error");
                if (error.path("message").isString()) {
                    return new ApiError(error.path("type").asString(""), JsonEndpoint.abbreviate(error.path("message").stringValue()));
                }
            } catch (JacksonException ignored) {
                // not JSON: show the start of the body
            }
            return new ApiError("", JsonEndpoint.abbreviate(body));
        }

        String text() {
            return type.isEmpty() ? message : type + ": " + message;
        }
    }





    /** For tests and logs: which endpoint this provider posts to. */
    public URI endpoint() {
        return endpoint.uri();
    }
}
