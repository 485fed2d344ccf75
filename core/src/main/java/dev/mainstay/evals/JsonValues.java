package dev.mainstay.evals;

import dev.mainstay.Json;
import java.math.BigDecimal;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * How scorers compare and read JSON values: numbers by value (3 equals 3.0), strings by their
 * canonical Unicode form (a precomposed é equals e + combining accent), optionally without case.
 */
final class JsonValues {
    /** The JSON number grammar, for numbers a model wrote as strings. */
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?");
    private static final int SHOWN = 80;

    private JsonValues() {
    }

    /** {@code text} in Unicode normal form C, case-folded when {@code ignoreCase}. */
    static String normalize(String text, boolean ignoreCase) {
        String nfc = Normalizer.normalize(text, Normalizer.Form.NFC);
        // Upper then lower folds more than lower alone: "Straße" and "STRASSE" meet at "strasse".
        return ignoreCase ? nfc.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT) : nfc;
    }

    /** Equality of two JSON values, numbers by value and strings normalized; types must agree. */
    static boolean equal(JsonNode a, JsonNode b, boolean ignoreCase) {
        if (a.isNumber() && b.isNumber()) {
            Optional<BigDecimal> x = number(a);
            Optional<BigDecimal> y = number(b);
            return x.isPresent() && y.isPresent() ? x.get().compareTo(y.get()) == 0 : a.equals(b);
        }
        if (a.isString() && b.isString()) {
            return normalize(a.stringValue(), ignoreCase).equals(normalize(b.stringValue(), ignoreCase));
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!equal(a.get(i), b.get(i), ignoreCase)) {
                    return false;
                }
            }
            return true;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (String name : a.propertyNames()) {
                if (!b.has(name) || !equal(a.get(name), b.get(name), ignoreCase)) {
                    return false;
                }
            }
            return true;
        }
        return a.getNodeType() == b.getNodeType() && a.equals(b);
    }

    /**
     * The number a value holds: a JSON number, or a string in JSON number syntax (surrounding
     * blanks allowed), as models sometimes write them; empty for anything else.
     */
    static Optional<BigDecimal> number(JsonNode node) {
        if (node.isNumber()) {
            if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
                return Optional.empty();
            }
            return Optional.of(node.decimalValue());
        }
        if (node.isString()) {
            String s = node.stringValue().strip();
            if (JSON_NUMBER.matcher(s).matches()) {
                return Optional.of(new BigDecimal(s));
            }
        }
        return Optional.empty();
    }

    /**
     * A value as text for matching: a string as it is, a number in plain decimal (3.0 and 3 both
     * {@code 3}), a boolean or null by name, anything else as its JSON.
     */
    static String text(JsonNode node) {
        if (node.isString()) {
            return node.stringValue();
        }
        if (node.isNumber()) {
            BigDecimal d = number(node).orElse(null);
            return d == null ? node.asString() : plain(d);
        }
        if (node.isBoolean() || node.isNull()) {
            return node.asString();
        }
        return Json.canonical(node);
    }

    private static String plain(BigDecimal d) {
        BigDecimal stripped = d.stripTrailingZeros();
        return (stripped.scale() < 0 ? stripped.setScale(0) : stripped).toPlainString();
    }

    /** Every scalar under {@code node} (strings, numbers, booleans), depth first, as text. */
    static List<String> scalars(JsonNode node) {
        List<String> out = new ArrayList<>();
        collect(node, out);
        return out;
    }

    private static void collect(JsonNode node, List<String> out) {
        if (node.isContainer()) {
            node.values().forEach(child -> collect(child, out));
        } else if (!node.isNull() && !node.isMissingNode()) {
            out.add(text(node));
        }
    }

    /** A value shown in a reason: JSON, cut to a readable length. */
    static String show(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        String text = Json.write(node);
        return text.codePointCount(0, text.length()) <= SHOWN ? text : text.substring(0, text.offsetByCodePoints(0, SHOWN - 3)) + "...";
    }

    /** A string shown in a reason, quoted and cut. */
    static String show(String text) {
        return show(tools.jackson.databind.node.JsonNodeFactory.instance.stringNode(text));
    }
}
