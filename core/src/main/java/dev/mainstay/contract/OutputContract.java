package dev.mainstay.contract;

import dev.mainstay.Json;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * What a stage's model output must satisfy before anything downstream may trust it. Today a JSON
 * Schema; CEL rules and a confidence gate hang off the same check.
 */
public final class OutputContract {
    private final JsonSchema schema;

    public OutputContract(JsonSchema schema) {
        this.schema = schema;
    }

    public JsonSchema schema() {
        return schema;
    }

    /** Parses and checks raw model text. */
    public Check check(String text) {
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
        return violations.isEmpty() ? new Check.Valid(output) : new Check.Invalid(violations);
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
        record Valid(JsonNode output) implements Check {
        }

        record Invalid(List<Violation> violations) implements Check {
            public Invalid {
                violations = List.copyOf(violations);
                if (violations.isEmpty()) {
                    throw new IllegalArgumentException("an invalid output needs at least one violation");
                }
            }
        }
    }
}
