package dev.mainstay.testkit;

import dev.mainstay.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Anthropic Messages: {@code POST /v1/messages}. Structured output is a forced tool call: the
 * request's {@code tool_choice: {type: tool, name}} names a tool whose {@code input_schema} is the
 * answer's schema, and the answer is that tool's {@code tool_use} block.
 */
record AnthropicWire() implements WireFormat {
    static final AnthropicWire INSTANCE = new AnthropicWire();

    @Override
    public JsonNode outputSchema(JsonNode request) {
        JsonNode tool = forcedTool(request);
        return tool == null ? null : tool.get("input_schema");
    }

    /**
     * The tool that {@code tool_choice} names; with {@code tool_choice: any} (functions offered
     * besides the answer), the first tool, which is where Mainstay puts the answer's; else {@code null}.
     */
    private static JsonNode forcedTool(JsonNode request) {
        if (request != null && "any".equals(request.path("tool_choice").path("type").asString("")) && request.path("tools").size() > 0) {
            return request.path("tools").get(0);
        }
        if (request == null || !"tool".equals(request.path("tool_choice").path("type").asString(""))) {
            return null;
        }
        String name = request.path("tool_choice").path("name").asString("");
        for (JsonNode tool : request.path("tools")) {
            if (name.equals(tool.path("name").asString(""))) {
                return tool;
            }
        }
        return null;
    }

    @Override
    public String firstUserText(JsonNode request) {
        if (request != null) {
            for (JsonNode m : request.path("messages")) {
                if ("user".equals(m.path("role").asString(""))) {
                    return text(m.path("content"));
                }
            }
        }
        return "";
    }

    @Override
    public String promptText(JsonNode request) {
        if (request == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text(request.path("system"))).append('\n');
        for (JsonNode m : request.path("messages")) {
            out.append(text(m.path("content"))).append('\n');
        }
        return out.toString();
    }

    /** Content is either a string or a list of blocks, of which the text blocks count. */
    private static String text(JsonNode content) {
        if (content.isString()) {
            return content.stringValue();
        }
        StringBuilder out = new StringBuilder();
        for (JsonNode block : content) {
            if ("text".equals(block.path("type").asString(""))) {
                out.append(out.isEmpty() ? "" : "\n").append(block.path("text").asString(""));
            }
        }
        return out.toString();
    }

    @Override
    public JsonNode pendingFunction(JsonNode request) {
        if (request == null || !"any".equals(request.path("tool_choice").path("type").asString(""))) {
            return null;
        }
        java.util.Set<String> called = new java.util.HashSet<>();
        for (JsonNode m : request.path("messages")) {
            for (JsonNode block : m.path("content")) {
                if ("tool_use".equals(block.path("type").asString(""))) {
                    called.add(block.path("name").asString(""));
                }
            }
        }
        JsonNode tools = request.path("tools");
        for (int i = 1; i < tools.size(); i++) {
            String name = tools.get(i).path("name").asString("");
            if (!called.contains(name)) {
                return Json.object().put("name", name).set("parameters", tools.get(i).path("input_schema"));
            }
        }
        return null;
    }

    @Override
    public String functionCall(JsonNode request, String name, JsonNode arguments, long inputTokens) {
        ObjectNode root = message(request);
        root.putArray("content").addObject().put("type", "tool_use").put("id", "toolu_fake" + System.nanoTime()).put("name", name).set("input", arguments);
        root.put("stop_reason", "tool_use");
        root.putNull("stop_sequence");
        usage(root, inputTokens, 12);
        return Json.write(root);
    }

    @Override
    public String answer(JsonNode request, String content, long inputTokens, long outputTokens) {
        JsonNode tool = forcedTool(request);
        JsonNode input = tool == null ? null : jsonObject(content);
        ObjectNode root = message(request);
        ArrayNode blocks = root.putArray("content");
        if (input != null) {
            blocks.addObject()
                    .put("type", "tool_use")
                    .put("id", "toolu_fake" + System.nanoTime())
                    .put("name", tool.path("name").asString())
                    .set("input", input);
            root.put("stop_reason", "tool_use");
        } else {
            // Prose where a tool call was asked for is what a model does when it ignores the tool.
            blocks.addObject().put("type", "text").put("text", content);
            root.put("stop_reason", "end_turn");
        }
        root.putNull("stop_sequence");
        usage(root, inputTokens, outputTokens);
        return Json.write(root);
    }

    @Override
    public String refusal(JsonNode request, long inputTokens) {
        ObjectNode root = message(request);
        root.putArray("content").addObject().put("type", "text").put("text", "I can't help with that request.");
        root.put("stop_reason", "refusal");
        root.putNull("stop_sequence");
        usage(root, inputTokens, 0);
        return Json.write(root);
    }

    @Override
    public String refusalWithContent(JsonNode request, String content, long inputTokens, long outputTokens) {
        ObjectNode root = (ObjectNode) Json.parse(answer(request, content, inputTokens, outputTokens));
        root.put("stop_reason", "refusal");
        return Json.write(root);
    }

    @Override
    public String empty(JsonNode request, long inputTokens) {
        ObjectNode root = message(request);
        root.putArray("content");
        root.put("stop_reason", "end_turn");
        root.putNull("stop_sequence");
        usage(root, inputTokens, 0);
        return Json.write(root);
    }

    @Override
    public String cutOff(JsonNode request, String partial, long inputTokens, long outputTokens) {
        // Cut off while writing the answer: what was written comes back as text, not as a tool call.
        ObjectNode root = message(request);
        root.putArray("content").addObject().put("type", "text").put("text", partial);
        root.put("stop_reason", "max_tokens");
        root.putNull("stop_sequence");
        usage(root, inputTokens, outputTokens);
        return Json.write(root);
    }

    @Override
    public void usage(ObjectNode answer, Fault.Usage usage) {
        ObjectNode u = answer.putObject("usage");
        if (usage.input() != null) {
            u.set("input_tokens", usage.input());
        }
        if (usage.output() != null) {
            u.set("output_tokens", usage.output());
        }
    }

    private static ObjectNode message(JsonNode request) {
        String model = request == null ? "fake" : request.path("model").asString("fake");
        ObjectNode root = Json.object();
        root.put("id", "msg_fake" + System.nanoTime());
        root.put("type", "message");
        root.put("role", "assistant");
        root.put("model", model + "-fake-0001");
        return root;
    }

    private static void usage(ObjectNode root, long inputTokens, long outputTokens) {
        ObjectNode usage = root.putObject("usage");
        usage.put("input_tokens", inputTokens);
        usage.put("cache_creation_input_tokens", 0);
        usage.put("cache_read_input_tokens", 0);
        usage.put("output_tokens", outputTokens);
    }

    private static JsonNode jsonObject(String content) {
        try {
            JsonNode node = Json.parse(content);
            return node.isObject() ? node : null;
        } catch (JacksonException notJson) {
            return null;
        }
    }

    @Override
    public String error(int status, String message) {
        String type = switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
        ObjectNode root = Json.object();
        root.put("type", "error");
        root.putObject("error").put("type", type).put("message", message);
        return Json.write(root);
    }

    @Override
    public String malformed() {
        return "{\"id\": \"msg_fake\", \"type\": \"message\", \"content\": [{\"type\": \"text\", \"text\": ";
    }

    @Override
    public java.util.Map<String, String> rateLimitHeaders(Fault.RateLimits b, java.time.Instant now) {
        // RFC 3339 instants to the second, as Anthropic sends them; rounded up so a reset is never early.
        return java.util.Map.of("anthropic-ratelimit-requests-limit", Long.toString(b.requestsLimit()),
                "anthropic-ratelimit-requests-remaining", Long.toString(b.requestsRemaining()),
                "anthropic-ratelimit-requests-reset", instant(now, b.requestsReset()),
                "anthropic-ratelimit-tokens-limit", Long.toString(b.tokensLimit()),
                "anthropic-ratelimit-tokens-remaining", Long.toString(b.tokensRemaining()),
                "anthropic-ratelimit-tokens-reset", instant(now, b.tokensReset()));
    }

    private static String instant(java.time.Instant now, java.time.Duration in) {
        java.time.Instant at = now.plus(in);
        java.time.Instant whole = at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        return (whole.equals(at) ? whole : whole.plusSeconds(1)).toString();
    }
}
