package dev.mainstay.provider;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * One model call: the model to ask, the messages, the JSON Schema the answer must satisfy and the
 * bounds of the call.
 *
 * @param schemaName a short identifier for the schema, sent where the wire format wants a name
 * @param tags correlation values sent as headers ({@code X-Mainstay-Job}, {@code X-Mainstay-Stage})
 * @param tools functions the model may ask to have called; empty for none
 */
public record ModelRequest(
        String model,
        List<Message> messages,
        JsonNode outputSchema,
        String schemaName,
        int maxOutputTokens,
        Duration timeout,
        Map<String, String> tags,
        List<ToolDefinition> tools) {
    public ModelRequest {
        messages = List.copyOf(messages);
        tags = Map.copyOf(tags);
        tools = tools == null ? List.of() : List.copyOf(tools);
        if (maxOutputTokens < 1) {
            throw new IllegalArgumentException("maxOutputTokens must be positive, got " + maxOutputTokens);
        }
    }

    public ModelRequest(String model, List<Message> messages, JsonNode outputSchema, String schemaName, int maxOutputTokens, Duration timeout,
                        Map<String, String> tags) {
        this(model, messages, outputSchema, schemaName, maxOutputTokens, timeout, tags, List.of());
    }
}
