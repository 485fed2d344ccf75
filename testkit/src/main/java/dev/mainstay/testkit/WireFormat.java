package dev.mainstay.testkit;

import tools.jackson.databind.JsonNode;

/**
 * One provider API's wire format as the fake speaks it: where the schema and the prompt sit in a
 * request and how answers and errors are shaped. Scripting, sockets and sampling stay in
 * {@link FakeProvider}, shared by every format.
 */
sealed interface WireFormat permits OpenAiWire, AnthropicWire {

    /** The format that serves {@code path}, or {@code null} when none does. */
    static WireFormat forPath(String path) {
        if (path.endsWith("/chat/completions")) {
            return OpenAiWire.INSTANCE;
        }
        if (path.endsWith("/v1/messages")) {
            return AnthropicWire.INSTANCE;
        }
        return null;
    }

    /** The JSON Schema the answer must satisfy, or {@code null} when the request asks for none. */
    JsonNode outputSchema(JsonNode request);

    /** The text of the first user message, or {@code ""}. */
    String firstUserText(JsonNode request);

    /** All prompt text (system and messages), for the usage estimate. */
    String promptText(JsonNode request);

    /**
     * The first function the request offers that the conversation has not called yet, as
     * {@code {name, parameters}}; {@code null} when none is offered or all were called. The fake
     * calls each offered function once, in order, before it answers.
     */
    JsonNode pendingFunction(JsonNode request);

    /** A 200 body in which the model asks for {@code name} to be called with {@code arguments}. */
    String functionCall(JsonNode request, String name, JsonNode arguments, long inputTokens);

    /** A 200 body carrying {@code content}: JSON text of the answer, or prose. */
    String answer(JsonNode request, String content, long inputTokens, long outputTokens);

    /** A 200 body in which the model declines. */
    String refusal(JsonNode request, long inputTokens);

    /** A 200 body carrying {@code content} and, beside it, the model's refusal. */
    String refusalWithContent(JsonNode request, String content, long inputTokens, long outputTokens);

    /** A 200 body without any answer in it. */
    String empty(JsonNode request, long inputTokens);

    /** A 200 body whose answer, {@code partial}, was cut off at the output token limit. */
    String cutOff(JsonNode request, String partial, long inputTokens, long outputTokens);

    /** Replaces the token counts of the 200 body {@code answer} with {@code usage}'s. */
    void usage(tools.jackson.databind.node.ObjectNode answer, Fault.Usage usage);

    /** The error body for {@code status}. */
    String error(int status, String message);

    /** A 200 body cut off in the middle, so it is not JSON. */
    String malformed();

    /** The rate-limit headers that report {@code budgets}, as this API writes them at {@code now}. */
    java.util.Map<String, String> rateLimitHeaders(Fault.RateLimits budgets, java.time.Instant now);
}
