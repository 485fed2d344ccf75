package dev.mainstay.testkit;

import dev.mainstay.Json;
import java.time.Instant;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** OpenAI Chat Completions: {@code POST /v1/chat/completions} with {@code response_format: json_schema}. */
record OpenAiWire() implements WireFormat {
    static final OpenAiWire INSTANCE = new OpenAiWire();

    @Override
    public JsonNode outputSchema(JsonNode request) {
        JsonNode schema = request == null ? null : request.path("response_format").path("json_schema").path("schema");
        return schema == null || schema.isMissingNode() ? null : schema;
    }

    @Override
    public String firstUserText(JsonNode request) {
        if (request != null) {
            for (JsonNode m : request.path("messages")) {
                if ("user".equals(m.path("role").asString(""))) {
                    return m.path("content").asString("");
                }
            }
        }
        return "";
    }

    @Override
    public String promptText(JsonNode request) {
        StringBuilder out = new StringBuilder();
        if (request != null) {
            for (JsonNode m : request.path("messages")) {
                out.append(m.path("content").asString("")).append('\n');
            }
        }
        return out.toString();
    }

    @Override
    public JsonNode pendingFunction(JsonNode request) {
        if (request == null) {
            return null;
        }
        java.util.Set<String> called = new java.util.HashSet<>();
        for (JsonNode m : request.path("messages")) {
            for (JsonNode c : m.path("tool_calls")) {
                called.add(c.path("function").path("name").asString(""));
            }
        }
        for (JsonNode t : request.path("tools")) {
            String name = t.path("function").path("name").asString("");
            if (!called.contains(name)) {
                return Json.object().put("name", name).set("parameters", t.path("function").path("parameters"));
            }
        }
        return null;
    }

    @Override
    public String functionCall(JsonNode request, String name, JsonNode arguments, long inputTokens) {
        ObjectNode c = completion(request, null, inputTokens, 12);
        ObjectNode choice = (ObjectNode) c.path("choices").path(0);
        choice.put("finish_reason", "tool_calls");
        ((ObjectNode) choice.path("message")).putArray("tool_calls").addObject().put("id", "call_fake" + System.nanoTime()).put("type", "function")
                .putObject("function").put("name", name).put("arguments", Json.write(arguments));
        return Json.write(c);
    }

    @Override
    public String answer(JsonNode request, String content, long inputTokens, long outputTokens) {
        return Json.write(completion(request, content, inputTokens, outputTokens));
    }

    @Override
    public String refusal(JsonNode request, long inputTokens) {
        ObjectNode c = completion(request, null, inputTokens, 0);
        ((ObjectNode) c.path("choices").path(0).path("message")).put("refusal", "I can't help with that request.");
        return Json.write(c);
    }

    @Override
    public String refusalWithContent(JsonNode request, String content, long inputTokens, long outputTokens) {
        ObjectNode c = completion(request, content, inputTokens, outputTokens);
        ((ObjectNode) c.path("choices").path(0).path("message")).put("refusal", "I can't help with that request.");
        return Json.write(c);
    }

    @Override
    public String empty(JsonNode request, long inputTokens) {
        ObjectNode c = completion(request, null, inputTokens, 0);
        c.putArray("choices");
        return Json.write(c);
    }

    @Override
    public String cutOff(JsonNode request, String partial, long inputTokens, long outputTokens) {
        ObjectNode c = completion(request, partial, inputTokens, outputTokens);
        ((ObjectNode) c.path("choices").path(0)).put("finish_reason", "length");
        return Json.write(c);
    }

    @Override
    public void usage(ObjectNode answer, Fault.Usage usage) {
        ObjectNode u = answer.putObject("usage");
        if (usage.input() != null) {
            u.set("prompt_tokens", usage.input());
        }
        if (usage.output() != null) {
            u.set("completion_tokens", usage.output());
        }
        if (usage.input() != null && usage.output() != null && usage.input().canConvertToLong() && usage.output().canConvertToLong()
                && usage.input().isIntegralNumber() && usage.output().isIntegralNumber()) {
            u.put("total_tokens", usage.input().longValue() + usage.output().longValue());
        }
    }

    private static ObjectNode completion(JsonNode request, String content, long inputTokens, long outputTokens) {
        String model = request == null ? "fake" : request.path("model").asString("fake");
        ObjectNode root = Json.object();
        root.put("id", "chatcmpl-fake-" + System.nanoTime());
        root.put("object", "chat.completion");
        root.put("created", Instant.now().getEpochSecond());
        root.put("model", model + "-fake-0001");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        if (content == null) {
            message.putNull("content");
        } else {
            message.put("content", content);
        }
        message.putNull("refusal");
        choice.put("finish_reason", "stop");
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", inputTokens);
        usage.put("completion_tokens", outputTokens);
        usage.put("total_tokens", inputTokens + outputTokens);
        return root;
    }

    @Override
    public String error(int status, String message) {
        String code = status == 429 ? "rate_limit_exceeded" : status == 404 ? "not_found" : "server_error";
        ObjectNode root = Json.object();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", code);
        e.put("code", code);
        return Json.write(root);
    }

    @Override
    public String malformed() {
        return "{\"id\": \"chatcmpl-fake\", \"choices\": [{\"message\": {\"content\": ";
    }

    @Override
    public java.util.Map<String, String> rateLimitHeaders(Fault.RateLimits b, java.time.Instant now) {
        return java.util.Map.of("x-ratelimit-limit-requests", Long.toString(b.requestsLimit()),
                "x-ratelimit-remaining-requests", Long.toString(b.requestsRemaining()),
                "x-ratelimit-reset-requests", goDuration(b.requestsReset()),
                "x-ratelimit-limit-tokens", Long.toString(b.tokensLimit()),
                "x-ratelimit-remaining-tokens", Long.toString(b.tokensRemaining()),
                "x-ratelimit-reset-tokens", goDuration(b.tokensReset()));
    }

    /** As OpenAI writes a reset: {@code 20ms}, {@code 1s}, {@code 6m0s}, {@code 1h2m3s}. */
    static String goDuration(java.time.Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        long h = d.toHours();
        long m = d.toMinutesPart();
        String s = d.toMillisPart() == 0 ? Integer.toString(d.toSecondsPart()) : d.toSecondsPart() + "." + String.format(java.util.Locale.ROOT, "%03d", d.toMillisPart());
        return (h > 0 ? h + "h" : "") + (h > 0 || m > 0 ? m + "m" : "") + s + "s";
    }
}
