package dev.mainstay.contract;

import dev.mainstay.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * What a stage's model output must satisfy before anything downstream may trust it: a JSON
 * Schema, then CEL rules over the job input and the output, then an optional confidence gate.
 */
public final class OutputContract {
    private final JsonSchema schema;
    private final List<Rule> rules;
    private final ConfidenceGate confidence;

    /** A contract of the schema alone. */
    public OutputContract(JsonSchema schema) {
        this(schema, List.of(), null);
    }

    /**
     * @param rules checked in order once the schema passes
     * @param confidence the gate checked once every rule holds; null for none
     */
    public OutputContract(JsonSchema schema, List<Rule> rules, ConfidenceGate confidence) {
        if (schema == null) {
            throw new IllegalArgumentException("an output contract needs a schema");
        }
        this.schema = schema;
        this.rules = List.copyOf(rules);
        this.confidence = confidence;
    }

    public JsonSchema schema() {
        return schema;
    }

    public List<Rule> rules() {
        return rules;
    }

    public Optional<ConfidenceGate> confidence() {
        return Optional.ofNullable(confidence);
    }

    /**
     * Parses and checks raw model text.
     *
     * @param input the job's input (defaults filled in), which rules read as {@code input}
     */
    public Check check(String text, JsonNode input) {
        JsonNode output;
        try {
            output = Json.MAPPER.readTree(text == null ? "" : text.strip());
        } catch (JacksonException e) {
            return new Check.Invalid(List.of(new Violation("", "output is not valid JSON: " + firstLine(e.getOriginalMessage()))));
        }
        if (output == null || output.isMissingNode()) {
            return new Check.Invalid(List.of(new Violation("", "output is empty")));
        }
        List<Violation> violations = schema.validate(output);
        if (!violations.isEmpty()) {
            // Rules are written against the schema's shape; on another shape they only add noise.
            return new Check.Invalid(violations);
        }
        JsonNode in = input == null ? Json.object() : input;
        for (Rule rule : rules) {
            rule.evaluate(in, output).ifPresent(violations::add);
        }
        if (!violations.isEmpty()) {
            return new Check.Invalid(violations);
        }
        if (confidence == null) {
            return new Check.Valid(output);
        }
        JsonNode value = output.path(confidence.field());
        String pointer = Json.pointer("", confidence.field());
        if (value.isMissingNode() || value.isNull()) {
            return new Check.Invalid(List.of(new Violation(pointer, "is missing; the confidence gate needs a number here")));
        }
        if (!value.isNumber()) {
            return new Check.Invalid(List.of(new Violation(pointer, "must be a number for the confidence gate, got " + Json.write(value))));
        }
        double c = value.doubleValue();
        if (c < confidence.min()) {
            return new Check.LowConfidence(output, c, confidence.min(), confidence.below());
        }
        return new Check.Valid(output);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /** The verdict on one output. */
    public sealed interface Check {
        /** The output satisfies the whole contract. */
        record Valid(JsonNode output) implements Check {
        }

        /** The output breaks the schema or a rule, or lacks the number the confidence gate reads. */
        record Invalid(List<Violation> violations) implements Check {
            public Invalid {
                violations = List.copyOf(violations);
                if (violations.isEmpty()) {
                    throw new IllegalArgumentException("an invalid output needs at least one violation");
                }
            }
        }

        /** The output is well-formed but the model's own confidence in it is below the gate's minimum. */
        record LowConfidence(JsonNode output, double confidence, double min, ConfidenceGate.Action action) implements Check {
            public LowConfidence {
                if (output == null || action == null) {
                    throw new IllegalArgumentException("a low-confidence verdict needs the output and the declared action");
                }
                if (!(confidence < min)) {
                    throw new IllegalArgumentException("confidence " + confidence + " is not below the minimum " + min + ". Indicates a bug.");
                }
            }
        }
    }
}
