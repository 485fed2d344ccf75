package dev.mainstay.contract;

import dev.mainstay.Json;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    private static final Pattern DELIMITED = Pattern.compile("<([a-z_]+)>\\s*(.*?)\\s*</\\1>", Pattern.DOTALL);
    private static final Pattern LIST_MARK = Pattern.compile("^\\s*(?:[-*\u2022]|\\d{1,3}[.)])\\s+");

    private final List<String> sentences;
    private final String lowerText;
    private final int itemLimit;
    private final Map<String, List<String>> drawn;
    private final Map<String, Integer> drawCount = new HashMap<>();
    private final Deque<List<String>> siblings = new ArrayDeque<>();
    private int next;

    private SchemaSampler(String sourceText, String instructions) {
        this(sourceText, instructions, Map.of());
    }

    /**
     * @param drawn output pointers ({@code /items/*}{@code /owner}) whose values must be one of these
     */
    private SchemaSampler(String sourceText, String instructions, Map<String, List<String>> drawn) {
        this.drawn = drawn;
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

    /**
     * The answer a model that follows its instructions would give, built from the prompt alone:
     * strings are sentences of the text inside the prompt's {@code <tag>…</tag>} blocks (the whole
     * prompt when it has none); an output field that a rule in {@code instructions} binds to the
     * input ({@code output.items.all(i, i.owner in input.attendees)}, {@code output.team ==
     * input.team}) takes its value from the block named for that input field
     * ({@code <attendees>…</attendees>}, one value a line or comma-separated), preferring one its
     * sibling strings mention, else the next in order; a value the field's schema does not allow
     * is never drawn. Deterministic: the same request gets the same answer.
     *
     * @param instructions the system text, where the rules are listed one a line after the sentence
     *     that says they must be true
     * @param prompt the rendered prompt
     */
    public static JsonNode answer(JsonNode schema, String instructions, String prompt) {
        String text = prompt == null ? "" : prompt;
        Map<String, String> blocks = new LinkedHashMap<>();
        Matcher m = DELIMITED.matcher(text);
        while (m.find()) {
            blocks.merge(m.group(1), m.group(2), (a, b) -> a + "\n" + b);
        }
        Map<String, List<String>> drawn = new HashMap<>();
        java.util.Set<String> lists = new java.util.HashSet<>();
        RuleHints.of(rules(instructions)).forEach((pointer, source) -> {
            String tag = source.inputPath().substring(source.inputPath().lastIndexOf('.') + 1);
            String block = blocks.get(tag);
            if (block != null) {
                List<String> values = source.list() ? items(block) : List.of(block.strip());
                if (!values.isEmpty()) {
                    drawn.put(pointer, values);
                    lists.add(tag);
                }
            }
        });
        StringBuilder source = new StringBuilder();
        blocks.forEach((tag, content) -> {
            if (!lists.contains(tag)) {
                source.append(source.isEmpty() ? "" : "\n").append(content);
            }
        });
        if (source.isEmpty()) {
            source.append(blocks.isEmpty() ? text : String.join("\n", blocks.values()));
        }
        return new SchemaSampler(source.toString(), text, drawn).value(schema, "", "");
    }

    /** The rules listed in {@code instructions}: the {@code - } lines after the one that says they must be true. */
    static List<String> rules(String instructions) {
        List<String> out = new ArrayList<>();
        boolean listing = false;
        for (String line : (instructions == null ? "" : instructions).split("\n")) {
            if (line.contains("CEL expressions true")) {
                listing = true;
            } else if (listing && line.startsWith("- ")) {
                out.add(line.substring(2).strip());
            } else if (listing && !line.isBlank()) {
                listing = false;
            }
        }
        return out;
    }

    /** The values of a block that lists them: one a line (list marks dropped), or comma-separated on one line, or {@code [a, b]}. */
    static List<String> items(String block) {
        String b = block.strip();
        if (b.startsWith("[") && b.endsWith("]")) {
            b = b.substring(1, b.length() - 1);
        }
        List<String> lines = b.lines().map(l -> LIST_MARK.matcher(l).replaceFirst("").strip()).filter(l -> !l.isEmpty()).toList();
        List<String> out = new ArrayList<>();
        if (lines.size() == 1) {
            for (String part : lines.getFirst().split("\\s*[,;]\\s*")) {
                if (!part.isBlank()) {
                    out.add(part.strip());
                }
            }
        } else {
            out.addAll(lines);
        }
        return out.stream().distinct().toList();
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
        return new SchemaSampler(sourceText, instructions).value(schema, "", "");
    }

    private JsonNode value(JsonNode schema, String name, String pointer) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (schema == null || !schema.isObject()) {
            return f.stringNode(nextSentence());
        }
        if (schema.has("const")) {
            return schema.get("const");
        }
        String drawnValue = draw(schema, pointer);
        if (drawnValue != null) {
            return f.stringNode(drawnValue);
        }
        if (schema.has("enum") && schema.get("enum").isArray() && !schema.get("enum").isEmpty()) {
            return pickEnum(schema.get("enum"));
        }
        for (String alt : List.of("anyOf", "oneOf")) {
            if (schema.has(alt) && schema.get(alt).isArray() && !schema.get(alt).isEmpty()) {
                return value(schema.get(alt).get(0), name, pointer);
            }
        }
        String type = type(schema);
        return switch (type) {
            case "object" -> object(schema, pointer);
            case "array" -> array(schema, name, pointer);
            case "integer" -> f.numberNode(Math.round(number(schema, name, true)));
            case "number" -> f.numberNode(number(schema, name, false));
            case "boolean" -> f.booleanNode(true);
            case "null" -> f.nullNode();
            default -> {
                String text = string(schema, name);
                if (!siblings.isEmpty()) {
                    siblings.peek().add(text);
                }
                yield f.stringNode(text);
            }
        };
    }

    /**
     * A value a rule binds the field at {@code pointer} to, that its schema allows: one that a
     * string already written in the same object mentions (an action item's owner named in its
     * task), else the next in order. {@code null} when the field is not bound or no value fits.
     */
    private String draw(JsonNode schema, String pointer) {
        List<String> values = drawn.get(pointer);
        if (values == null) {
            return null;
        }
        String type = type(schema);
        if (!schema.has("enum") && !"string".equals(type)) {
            return null;
        }
        List<String> allowed = new ArrayList<>();
        for (String v : values) {
            if (allows(schema, v)) {
                allowed.add(v);
            }
        }
        if (allowed.isEmpty()) {
            return null;
        }
        if (!siblings.isEmpty()) {
            String written = String.join("\n", siblings.peek()).toLowerCase(Locale.ROOT);
            for (String v : allowed) {
                if (written.contains(v.toLowerCase(Locale.ROOT))) {
                    return v;
                }
            }
            // "Ana will send it" names Ana Lopez: a first name, as a word, is a mention too.
            for (String v : allowed) {
                String first = v.strip().split("\\s+")[0].toLowerCase(Locale.ROOT);
                if (first.length() >= 3 && Pattern.compile("\\b" + Pattern.quote(first) + "\\b").matcher(written).find()) {
                    return v;
                }
            }
        }
        int n = drawCount.merge(pointer, 1, Integer::sum) - 1;
        return allowed.get(n % allowed.size());
    }

    private static boolean allows(JsonNode schema, String v) {
        int length = v.codePointCount(0, v.length());
        if (length < schema.path("minLength").asInt(0) || length > schema.path("maxLength").asInt(Integer.MAX_VALUE)) {
            return false;
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode e : schema.get("enum")) {
                listed |= e.isString() && e.stringValue().equals(v);
            }
            if (!listed) {
                return false;
            }
        }
        if (schema.path("pattern").isString()) {
            try {
                return Pattern.compile(schema.get("pattern").stringValue()).matcher(v).find();
            } catch (RuntimeException notJavaRegex) {
                return false;
            }
        }
        return true;
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

    private ObjectNode object(JsonNode schema, String pointer) {
        ObjectNode out = Json.object();
        JsonNode props = schema.get("properties");
        siblings.push(new ArrayList<>());
        try {
            if (props != null && props.isObject()) {
                for (var entry : props.properties()) {
                    out.set(entry.getKey(), value(entry.getValue(), entry.getKey(), pointer + "/" + entry.getKey().replace("~", "~0").replace("/", "~1")));
                }
            }
        } finally {
            siblings.pop();
        }
        return out;
    }

    private ArrayNode array(JsonNode schema, String name, String pointer) {
        int min = schema.path("minItems").asInt(0);
        int max = schema.path("maxItems").asInt(Integer.MAX_VALUE);
        int count = Math.max(min, Math.min(Math.min(max, itemLimit), Math.min(DEFAULT_ARRAY_ITEMS, sentences.size())));
        ArrayNode out = Json.array();
        for (int i = 0; i < count; i++) {
            out.add(value(schema.get("items"), name, pointer + "/*"));
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
