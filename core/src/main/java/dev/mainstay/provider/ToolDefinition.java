package dev.mainstay.provider;

import java.util.Objects;
import tools.jackson.databind.JsonNode;

/** A function a model may ask to have called: its name, what it does, and a JSON Schema of its arguments. */
public record ToolDefinition(String name, String description, JsonNode parameters) {
    public ToolDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(parameters, "parameters");
    }
}
