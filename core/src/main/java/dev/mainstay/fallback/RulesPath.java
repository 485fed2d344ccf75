package dev.mainstay.fallback;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import dev.mainstay.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The built-in deterministic paths a fallback ladder can take when no model gives a usable answer.
 * Each builds a result for the final stage's output schema from the job input alone, so it always
 * answers, costs nothing and says what it is ({@code result_type: fallback}).
 *
 * <ul>
 *   <li>{@code extractive-summary}: the most representative sentences of the longest text field of
 *       the input (or {@code from}), in document order, into the first list-of-strings field of
 *       the output (or {@code into}); {@code count} or the input's {@code max_points} bounds them.
 *   <li>{@code keyword-classifier}: for every enum field of the output, the value whose keywords
 *       (the value itself, plus {@code keywords: {value: [words]}}) appear in the input text,
 *       else the field's {@code default} ({@code default: {field: value}}, or one value for every
 *       field whose enum holds it), else the first value.
 *   <li>{@code template-reply}: a Mustache {@code template} over {@code input} rendered into the
 *       first string field of the output (or {@code into}).
 * </ul>
 *
 * Other required fields are filled conservatively: numbers at their minimum (a confidence of 0
 * says "no model judged this"), booleans false, strings with a note that rules produced them.
 */
public sealed interface RulesPath {
    Set<String> NAMES = Set.of("extractive-summary", "keyword-classifier", "template-reply");

    String name();

    /** The result for {@code schema} built from {@code input}, if this path can build one. */
    Optional<JsonNode> run(JsonNode input, JsonNode schema);

    /**
     * Checks the options against the output schemas this path may have to fill.
     *
     * @throws IllegalArgumentException naming the option that cannot apply
     */
    default void check(List<JsonNode> schemas) {
    }

    /**
     * Reads a rules rung's options.
     *
     * @throws IllegalArgumentException naming the bad option
     */
    static RulesPath of(String name, JsonNode options) {
        JsonNode o = options == null ? Json.object() : options;
        return switch (name) {
            case "extractive-summary" -> {
                only(o, "rules", "from", "into", "count");
                yield new ExtractiveSummary(text(o, "from"), text(o, "into"), o.has("count") ? o.get("count").asInt(0) : 0);
            }
            case "keyword-classifier" -> {
                only(o, "rules", "keywords", "default");
                Map<String, List<String>> keywords = new LinkedHashMap<>();
                if (o.has("keywords")) {
                    if (!o.get("keywords").isObject()) {
                        throw new IllegalArgumentException("keywords must map each value to a list of words");
                    }
                    for (var e : o.get("keywords").properties()) {
                        List<String> words = new ArrayList<>();
                        if (!e.getValue().isArray()) {
                            throw new IllegalArgumentException("keywords." + e.getKey() + " must be a list of words");
                        }
                        e.getValue().values().forEach(w -> words.add(w.asString().toLowerCase(Locale.ROOT)));
                        keywords.put(e.getKey(), words);
                    }
                }
                Map<String, String> defaults = new LinkedHashMap<>();
                JsonNode d = o.get("default");
                if (d != null && d.isObject()) {
                    for (var e : d.properties()) {
                        if (!e.getValue().isString()) {
                            throw new IllegalArgumentException("default." + e.getKey() + " must be one value of that field's enum");
                        }
                        defaults.put(e.getKey(), e.getValue().asString());
                    }
                } else if (d != null && !d.isNull() && !d.isString()) {
                    throw new IllegalArgumentException("default must be a value, or a map of field to value, e.g. {segment: smb, intent: other}");
                }
                yield new KeywordClassifier(keywords, defaults, d != null && d.isString() ? d.asString() : null);
            }
            case "template-reply" -> {
                only(o, "rules", "template", "into");
                String template = text(o, "template");
                if (template == null) {
                    throw new IllegalArgumentException("template-reply needs a 'template' (Mustache over input)");
                }
                try {
                    yield new TemplateReply(template, Mustache.compiler().escapeHTML(false).defaultValue("").compile(template), text(o, "into"));
                } catch (MustacheException e) {
                    throw new IllegalArgumentException("template is not valid Mustache: " + e.getMessage(), e);
                }
            }
            default -> throw new IllegalArgumentException("unknown rules path '" + name + "' (built in: " + String.join(", ", NAMES.stream().sorted().toList()) + ")");
        };
    }

    private static void only(JsonNode o, String... allowed) {
        List<String> known = List.of(allowed);
        for (String k : o.propertyNames()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException("unknown option '" + k + "' (allowed: " + String.join(", ", known.subList(1, known.size())) + ")");
            }
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asString();
    }

    /** Sentences scored by how many frequent words they share with the document. */
    record ExtractiveSummary(String from, String into, int count) implements RulesPath {
        private static final Pattern SENTENCE = Pattern.compile("(?<=[.!?])\\s+|\\n+");
        private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+");

        @Override
        public String name() {
            return "extractive-summary";
        }

        @Override
        public Optional<JsonNode> run(JsonNode input, JsonNode schema) {
            String text = from != null ? input.path(from).asString("") : longestText(input);
            String field = into != null ? into : firstField(schema, "array");
            if (text.isBlank() || field == null) {
                return Optional.empty();
            }
            List<String> sentences = new ArrayList<>();
            for (String s : SENTENCE.split(text.strip())) {
                if (!s.isBlank()) {
                    sentences.add(s.strip());
                }
            }
            Map<String, Integer> freq = new HashMap<>();
            for (String s : sentences) {
                WORD.matcher(s.toLowerCase(Locale.ROOT)).results().map(m -> m.group()).filter(w -> w.length() > 3).forEach(w -> freq.merge(w, 1, Integer::sum));
            }
            int limit = count > 0 ? count : input.path("max_points").asInt(3);
            JsonNode items = schema.path("properties").path(field);
            if (items.has("maxItems")) {
                limit = Math.min(limit, items.get("maxItems").asInt());
            }
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < sentences.size(); i++) {
                order.add(i);
            }
            order.sort(Comparator.comparingDouble((Integer i) -> -score(sentences.get(i), freq)).thenComparing(i -> i));
            List<Integer> chosen = new ArrayList<>(order.subList(0, Math.min(Math.max(limit, 1), order.size())));
            chosen.sort(Integer::compare);
            ObjectNode out = base(schema);
            ArrayNode list = out.putArray(field);
            chosen.forEach(i -> list.add(sentences.get(i)));
            return Optional.of(out);
        }

        private static double score(String sentence, Map<String, Integer> freq) {
            List<String> words = WORD.matcher(sentence.toLowerCase(Locale.ROOT)).results().map(m -> m.group()).toList();
            if (words.isEmpty()) {
                return 0;
            }
            return words.stream().mapToInt(w -> freq.getOrDefault(w, 0)).sum() / (double) words.size();
        }
    }

    /** Enum fields picked by keywords found in the input text. */
    record KeywordClassifier(Map<String, List<String>> keywords, Map<String, String> defaults, String anyDefault) implements RulesPath {
        public KeywordClassifier {
            keywords = Map.copyOf(keywords);
            defaults = Map.copyOf(defaults);
        }

        @Override
        public String name() {
            return "keyword-classifier";
        }

        @Override
        public void check(List<JsonNode> schemas) {
            for (var d : defaults.entrySet()) {
                boolean fits = schemas.stream().map(s -> s.path("properties").path(d.getKey()).path("enum"))
                        .anyMatch(values -> values.isArray() && values.valueStream().anyMatch(v -> v.asString().equals(d.getValue())));
                if (!fits) {
                    throw new IllegalArgumentException("default." + d.getKey() + ": '" + d.getValue() + "' is not a value of an enum field '" + d.getKey() + "' in any stage's output schema");
                }
            }
            if (anyDefault != null && schemas.stream().flatMap(s -> s.path("properties").valueStream())
                    .noneMatch(p -> p.path("enum").isArray() && p.path("enum").valueStream().anyMatch(v -> v.asString().equals(anyDefault)))) {
                throw new IllegalArgumentException("default: '" + anyDefault + "' is not a value of any enum field in the output schemas");
            }
        }

        @Override
        public Optional<JsonNode> run(JsonNode input, JsonNode schema) {
            String text = allText(input).toLowerCase(Locale.ROOT);
            ObjectNode out = base(schema);
            boolean any = false;
            for (var e : schema.path("properties").properties()) {
                JsonNode values = e.getValue().get("enum");
                if (values == null || !values.isArray() || values.isEmpty()) {
                    continue;
                }
                any = true;
                JsonNode pick = null;
                int best = Integer.MAX_VALUE;
                for (JsonNode v : values) {
                    List<String> words = new ArrayList<>(keywords.getOrDefault(v.asString(), List.of()));
                    words.add(v.asString().toLowerCase(Locale.ROOT).replace('_', ' '));
                    for (String w : words) {
                        int at = text.indexOf(w);
                        if (at >= 0 && at < best) {
                            best = at;
                            pick = v;
                        }
                    }
                }
                if (pick == null) {
                    String wanted = defaults.getOrDefault(e.getKey(), anyDefault);
                    pick = values.get(0);
                    for (JsonNode v : values) {
                        if (v.asString().equals(wanted)) {
                            pick = v;
                        }
                    }
                }
                out.set(e.getKey(), pick);
            }
            return any ? Optional.of(out) : Optional.empty();
        }
    }

    /** A fixed reply, personalised from the input with Mustache. */
    record TemplateReply(String source, Template template, String into) implements RulesPath {
        @Override
        public String name() {
            return "template-reply";
        }

        @Override
        public Optional<JsonNode> run(JsonNode input, JsonNode schema) {
            String field = into != null ? into : firstField(schema, "string");
            if (field == null) {
                return Optional.empty();
            }
            ObjectNode out = base(schema);
            out.put(field, template.execute(Map.of("input", Json.MAPPER.convertValue(input, Object.class))).strip());
            return Optional.of(out);
        }
    }

    /** Conservative values for every property, to be overwritten by the path's own fields. */
    private static ObjectNode base(JsonNode schema) {
        ObjectNode out = Json.object();
        for (var e : schema.path("properties").properties()) {
            JsonNode p = e.getValue();
            String type = p.path("type").asString("string");
            if (p.has("default")) {
                out.set(e.getKey(), p.get("default"));
            } else if (p.has("enum") && p.get("enum").isArray() && !p.get("enum").isEmpty()) {
                out.set(e.getKey(), p.get("enum").get(0));
            } else {
                switch (type) {
                    case "number", "integer" -> out.put(e.getKey(), p.has("minimum") ? p.get("minimum").asDouble() : 0);
                    case "boolean" -> out.put(e.getKey(), false);
                    case "array" -> out.putArray(e.getKey());
                    case "object" -> out.putObject(e.getKey());
                    default -> out.put(e.getKey(), "Produced by Mainstay's deterministic fallback rules, not by a model.");
                }
                if ("integer".equals(type)) {
                    out.put(e.getKey(), p.has("minimum") ? p.get("minimum").asLong() : 0);
                }
            }
        }
        return out;
    }

    private static String firstField(JsonNode schema, String type) {
        for (var e : schema.path("properties").properties()) {
            JsonNode p = e.getValue();
            if (type.equals(p.path("type").asString("")) && !p.has("enum")
                    && (!"array".equals(type) || "string".equals(p.path("items").path("type").asString("")))) {
                return e.getKey();
            }
        }
        return null;
    }

    private static String longestText(JsonNode node) {
        String best = "";
        if (node.isString()) {
            return node.stringValue();
        }
        for (JsonNode v : node.values()) {
            String t = longestText(v);
            if (t.length() > best.length()) {
                best = t;
            }
        }
        return best;
    }

    private static String allText(JsonNode node) {
        if (node.isString()) {
            return node.stringValue();
        }
        StringBuilder out = new StringBuilder();
        for (JsonNode v : node.values()) {
            out.append(' ').append(allText(v));
        }
        return out.toString();
    }
}
