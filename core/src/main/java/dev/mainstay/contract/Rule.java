package dev.mainstay.contract;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.NullValue;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * One CEL expression over {@code input} (the job's input) and {@code output} (the model's answer)
 * that must evaluate to {@code true}, e.g. {@code size(output.points) <= input.max_points}.
 * Compiled once when the workflow loads; evaluated on every output that passed its schema.
 */
public final class Rule {
    // Both variables are dynamic: their shape is whatever the JSON Schemas say, which CEL's type
    // checker cannot see, so field access is checked at evaluation time.
    private static final Cel CEL = CelFactory.standardCelBuilder()
            .setOptions(CelOptions.current()
                    // JSON has one number type; a model writes 3 or 3.0 as it pleases, and
                    // `output.score >= 1` must not fail for want of a decimal point.
                    .enableHeterogeneousNumericComparisons(true)
                    // A rule is checked on every model answer: bound what a comprehension may cost.
                    .comprehensionMaxIterations(100_000)
                    .build())
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("input", SimpleType.DYN)
            .addVar("output", SimpleType.DYN)
            .setResultType(SimpleType.BOOL)
            .build();

    private final String expression;
    private final CelRuntime.Program program;

    private Rule(String expression, CelRuntime.Program program) {
        this.expression = expression;
        this.program = program;
    }

    /**
     * Parses and type-checks {@code expression}.
     *
     * @throws IllegalArgumentException starting with {@code not a valid CEL expression: } when it
     *     does not parse, names an unknown variable or function, or cannot yield a boolean
     */
    public static Rule compile(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("not a valid CEL expression: the rule is empty");
        }
        try {
            return new Rule(expression, CEL.createProgram(CEL.compile(expression).getAst()));
        } catch (CelValidationException e) {
            throw new IllegalArgumentException("not a valid CEL expression: " + oneLine(e.getMessage()), e);
        } catch (CelEvaluationException e) {
            throw new IllegalArgumentException("not a valid CEL expression: cannot plan it: " + oneLine(e.getMessage()), e);
        }
    }

    public String expression() {
        return expression;
    }

    /**
     * Evaluates the rule; empty when it holds, else the violation naming the rule and why it
     * failed (false, an evaluation error such as a missing field, or a non-boolean result).
     */
    public Optional<Violation> evaluate(JsonNode input, JsonNode output) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("input", celValue(input));
        vars.put("output", celValue(output));
        Object result;
        try {
            result = program.eval(vars);
        } catch (CelEvaluationException e) {
            return Optional.of(new Violation("", "rule '" + expression + "' could not be evaluated: " + oneLine(e.getMessage())));
        }
        if (Boolean.TRUE.equals(result)) {
            return Optional.empty();
        }
        if (Boolean.FALSE.equals(result)) {
            return Optional.of(new Violation("", "rule '" + expression + "' is false"));
        }
        return Optional.of(new Violation("", "rule '" + expression + "' evaluated to " + result + ", not a boolean"));
    }

    /** A JSON value as CEL's runtime expects it: maps, lists, Long, Double, String, Boolean, NullValue. */
    static Object celValue(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return NullValue.NULL_VALUE;
        }
        if (node.isObject()) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (var e : node.properties()) {
                out.put(e.getKey(), celValue(e.getValue()));
            }
            return out;
        }
        if (node.isArray()) {
            List<Object> out = new ArrayList<>(node.size());
            for (JsonNode item : node) {
                out.add(celValue(item));
            }
            return out;
        }
        if (node.isIntegralNumber()) {
            // Integers beyond 64 bits have no CEL int; a double keeps their magnitude.
            return node.canConvertToLong() ? (Object) node.longValue() : (Object) node.doubleValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isString()) {
            return node.stringValue();
        }
        // Binary or POJO nodes do not come out of JSON text; render them rather than guess.
        return node.toString();
    }

    private static String oneLine(String message) {
        return message == null ? "unknown error" : message.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    @Override
    public String toString() {
        return expression;
    }
}
