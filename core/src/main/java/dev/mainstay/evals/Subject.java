package dev.mainstay.evals;

import dev.mainstay.contract.JsonSchema;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.StageDefinition;
import dev.mainstay.workflow.ToolStage;
import dev.mainstay.workflow.WorkflowDefinition;
import java.util.Optional;

/**
 * The workflow version a run measures, as far as scoring needs it: its input schema (whose
 * defaults CEL assertions see, as output rules do) and the schema of its result.
 *
 * @param output the output schema of the last stage, whose output is the job's result;
 *     {@code null} when the last stage is a tool call, whose answer has no declared schema
 */
public record Subject(String workflow, int version, JsonSchema input, JsonSchema output) {
    public Subject {
        if (workflow == null || input == null) {
            throw new IllegalArgumentException("a subject needs its workflow name and input schema");
        }
    }

    public static Subject of(WorkflowDefinition definition) {
        StageDefinition last = definition.stages().getLast();
        JsonSchema output = switch (last) {
            case ModelStage m -> m.output().schema();
            case ToolStage t -> null;
        };
        return new Subject(definition.name(), definition.version(), definition.input(), output);
    }

    /** The declared schema of the job's result, when the last stage declares one. */
    public Optional<JsonSchema> outputSchema() {
        return Optional.ofNullable(output);
    }

    @Override
    public String toString() {
        return workflow + " v" + version;
    }
}
