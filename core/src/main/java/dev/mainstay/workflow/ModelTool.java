package dev.mainstay.workflow;

import dev.mainstay.contract.JsonSchema;
import dev.mainstay.provider.ToolDefinition;
import java.util.Objects;

/**
 * A function a model stage offers its model: the model may ask for it by {@code name} with
 * arguments matching {@code parameters}, and Mainstay makes the call described by {@code call}
 * (always {@code read}-scoped; its {@code path} and {@code body} are templates over {@code args}).
 * Effects that need a person's approval are {@code execute}-scoped tool stages, never functions.
 */
public record ModelTool(String name, String description, JsonSchema parameters, ToolStage call) {
    public ModelTool {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(call, "call");
    }

    public ToolDefinition definition() {
        return new ToolDefinition(name, description, parameters.node());
    }
}
