package dev.mainstay.contract;

import dev.mainstay.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds a document that satisfies a JSON Schema out of the words of a source text: sentences of
 * the document fill strings, the text's own words pick enum values. The demo model and the testkit
 * fake provider answer with it, so a demo shows the caller's own data, never filler text.
 *
 * <p>Covers the schema keywords that structured-output APIs accept: {@code type}, {@code
 * properties}, {@code required}, {@code items}, {@code minItems}/{@code maxItems}, {@code
 * minLength}/{@code maxLength}, {@code minimum}/{@code maximum}, {@code enum}, {@code const},
 * {@code anyOf}/{@code oneOf}.
 *
 * <p>Like a model following its prompt, it reads "at most N" in the instructions as a bound on
 * every array it builds (never below the schema's {@code minItems}), so a workflow whose rules
 * say {@code size(output.points) <= input.max_points} gets an answer that keeps them.
 */
public final class SchemaSampler {
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+|\\n+");
    private static final int DEFAULT_ARRAY_ITEMS = 3;
    private static final Pattern AT_MOST = Pattern.compile("\\bat most (\\d{1,6})\\b", Pattern.CASE_INSENSITIVE);

    private final List<String> sentences;
    private final String lowerText;
    private final int itemLimit;
    private int next;

    private SchemaSampler(String sourceText, String instructions) {
        String text = sourceText == null ? "" : sourceText.strip();
        List<String> found = new ArrayList<>();
        for (String s : SENTENCE_END.split(text)) {
            String t = s.strip();
            if (t.length() >= 3) {
                found.add(t);
            }
        }
        if (found.isEmpty()) {
            found.add(text.isEmpty() ? "No content was provided." : text);
        }
        this.sentences = found;
        this.lowerText = text.toLowerCase(Locale.ROOT);
        Matcher atMost = AT_MOST.matcher(instructions == null ? "" : instructions);
        this.itemLimit = atMost.find() ? Integer.parseInt(atMost.group(1)) : Integer.MAX_VALUE;
    }

    /** A document valid for {@code schema}, its strings taken from {@code sourceText} in order. */
    public static JsonNode sample(JsonNode schema, String sourceText) {
        return sample(schema, sourceText, "");
    }

    /**
     * A document valid for {@code schema}, its strings taken from {@code sourceText} in order and
     * its arrays no longer than an "at most N" in {@code instructions} (e.g. the rendered prompt)
     * allows.
     */
    public static JsonNode sample(JsonNode schema, String sourceText, String instructions) {
        return new SchemaSampler(sourceText, instructions).value(schema, "");
    }

    private JsonNode value(JsonNode schema, String name) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (schema == null || !schema.isObject()) {
            return f.stringNode(nextSentence());
        }
        if (schema.has("const")) {
            return schema.get("const");
        }
        if (schema.has("enum") && schema.get("enum").isArray() && !schema.get("enum").isEmpty()) {
            return pickEnum(schema.get("enum"));
        }
        for (String alt : List.of("anyOf", "oneOf")) {
            if (schema.has(alt) && schema.get(alt).isArray() && !schema.get(alt).isEmpty()) {
                return value(schema.get(alt).get(0), name);
            }
        }
        String type = type(schema);
        return switch (type) {
            case "object" -> object(schema);
            case "array" -> array(schema, name);
            case "integer" -> f.numberNode(Math.round(number(schema, name, true)));
            case "number" -> f.numberNode(number(schema, name, false));
            case "boolean" -> f.booleanNode(true);
            case "null" -> f.nullNode();
            default -> f.stringNode(string(schema, name));
        };
    }

    private static String type(JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type != null && type.isString()) {
            return type.stringValue();
        }
        if (type != null && type.isArray()) {
            for (JsonNode t : type) {
                if (t.isString() && !"null".equals(t.stringValue())) {
                    return t.stringValue();
                }
            }
        }
        if (schema.has("properties")) {
            return "object";
        }
        if (schema.has("items")) {
            return "array";
        }
        return "string";
    }

    private ObjectNode object(JsonNode schema) {
        ObjectNode out = Json.object();
        JsonNode props = schema.get("properties");
        if (props != null && props.isObject()) {
            for (var entry : props.properties()) {
                out.set(entry.getKey(), value(entry.getValue(), entry.getKey()));
            }
        }
        return out;
    }

    private ArrayNode array(JsonNode schema, String name) {
        int min = schema.path("minItems").asInt(0);
        int max = schema.path("maxItems").asInt(Integer.MAX_VALUE);
        int count = Math.max(min, Math.min(Math.min(max, itemLimit), Math.min(DEFAULT_ARRAY_ITEMS, sentences.size())));
        ArrayNode out = Json.array();
        for (int i = 0; i < count; i++) {
            out.add(value(schema.get("items"), name));
        }
        return out;
    }

    private double number(JsonNode schema, String name, boolean integer) {
        double min = schema.has("minimum") ? schema.get("minimum").asDouble() : schema.has("exclusiveMinimum") ? schema.get("exclusiveMinimum").asDouble() + (integer ? 1 : 0.01) : Double.NaN;
        double max = schema.has("maximum") ? schema.get("maximum").asDouble() : schema.has("exclusiveMaximum") ? schema.get("exclusiveMaximum").asDouble() - (integer ? 1 : 0.01) : Double.NaN;
        boolean ratio = name.toLowerCase(Locale.ROOT).contains("confidence") || name.toLowerCase(Locale.ROOT).contains("score");
        double preferred = integer ? 3 : 1.0;
        if (ratio) {
            // A confident but not certain value, on whatever scale the schema declares.
            preferred = !Double.isNaN(min) && !Double.isNaN(max) ? min + (max - min) * 0.86 : 0.86;
        }
        if (!Double.isNaN(min) && preferred < min) {
            preferred = min;
        }
        if (!Double.isNaN(max) && preferred > max) {
            preferred = max;
        }
        return integer ? Math.round(preferred) : preferred;
    }

    private String string(JsonNode schema, String name) {
        int min = schema.path("minLength").asInt(0);
        int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
        String s = nextSentence();
        if (name.toLowerCase(Locale.ROOT).matches(".*(reply|draft|summary|body|answer).*")) {
            s = s + " " + nextSentence();
        }
        // JSON Schema lengths count code points, not UTF-16 chars: an emoji is one character to
        // the validator but two to String.length(), and cutting between its halves corrupts it.
        while (s.codePointCount(0, s.length()) < min) {
            s = s + " " + nextSentence();
        }
        if (s.codePointCount(0, s.length()) > max) {
            s = s.substring(0, s.offsetByCodePoints(0, max));
        }
        return s;
    }

    private JsonNode pickEnum(JsonNode values) {
        JsonNode best = values.get(0);
        int bestAt = Integer.MAX_VALUE;
        for (JsonNode v : values) {
            if (v.isString()) {
                int at = lowerText.indexOf(v.stringValue().toLowerCase(Locale.ROOT).replace('_', ' '));
                if (at >= 0 && at < bestAt) {
                    best = v;
                    bestAt = at;
                }
            }
        }
        return best;
    }

    private String nextSentence() {
        String s = sentences.get(next % sentences.size());
        next++;
        return s;
    }
}
