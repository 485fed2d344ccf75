package dev.mainstay.provider;

import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * A model's request to call one of the functions it was offered.
 *
 * @param id the provider's id for the request, which the result must name
 * @param arguments the arguments as the model wrote them (a JSON object, or a string when they did not parse)
 */
public record ToolRequest(String id, String name, JsonNode arguments) {
    public ToolRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
    }
}
