package dev.mainstay.server.console;

import dev.mainstay.Json;
import dev.mainstay.contract.Violation;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The edit form of a review, generated from the stage's output schema: one control per top-level
 * property (text, number, a choice for an enum or a boolean, JSON text for arrays and objects), or
 * one JSON text area for the whole output when the schema is not an object with properties. What
 * the reviewer sends is read back here, each field checked for its type; the schema and the
 * stage's rules are then checked by the review itself, and each violation is shown at its field.
 */
final class ReviewForm {
    /** One control. {@code kind} is text, number, choice or json. */
    record Field(String name, String label, String kind, boolean required, String value, String step, List<Map<String, Object>> choices, String error) {
        Field withValue(String v, String e) {
            return new Field(name, label, kind, required, v, step, choices(v), e);
        }

        private List<Map<String, Object>> choices(String selected) {
            return choices == null ? null : choices.stream().map(c -> Map.<String, Object>of("value", c.get("value"), "selected", c.get("value").equals(selected))).toList();
        }

        /** The field as the template reads it. */
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("label", label);
            m.put("required", required);
            m.put("value", value);
            m.put("is" + Character.toUpperCase(kind.charAt(0)) + kind.substring(1), true);
            if (choices != null) {
                m.put("choices", choices);
            }
            if (error != null) {
                m.put("error", error);
            }
            return m;
        }
    }

    /** The field that stands for the whole output when the schema is not an object with properties. */
    static final String WHOLE = "output";

    private final List<Field> fields;
    private final ObjectNode types;
    private final JsonNode output;
    private final boolean whole;

    private ReviewForm(List<Field> fields, ObjectNode types, JsonNode output, boolean whole) {
        this.fields = List.copyOf(fields);
        this.types = types;
        this.output = output;
        this.whole = whole;
    }

    /** The form for {@code schema}, filled with {@code proposed}. */
    static ReviewForm of(JsonNode schema, JsonNode proposed) {
        List<Field> fields = new ArrayList<>();
        ObjectNode types = Json.object();
        JsonNode props = schema == null ? null : schema.get("properties");
        if (props == null || !props.isObject() || props.isEmpty()) {
            fields.add(new Field(WHOLE, "Output (JSON)", "json", true, proposed == null || proposed.isNull() ? "" : pretty(proposed), null, null, null));
            types.put(WHOLE, "json");
            return new ReviewForm(fields, types, null, true);
        }
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(r -> required.add(r.asString()));
        for (String name : props.propertyNames()) {
            JsonNode p = props.get(name);
            String type = p.path("type").isString() ? p.path("type").asString() : "json";
            JsonNode current = proposed == null ? null : proposed.get(name);
            String kind;
            String step = null;
            List<Map<String, Object>> choices = null;
            if (p.has("enum")) {
                kind = "choice";
                choices = new ArrayList<>();
                for (JsonNode e : p.get("enum")) {
                    choices.add(Map.of("value", e.isString() ? e.asString() : Json.write(e), "selected", false));
                }
                type = "enum";
            } else {
                switch (type) {
                    case "string" -> kind = "text";
                    case "integer" -> {
                        kind = "number";
                        step = "1";
                    }
                    case "number" -> {
                        kind = "number";
                        step = "any";
                    }
                    case "boolean" -> {
                        kind = "choice";
                        choices = List.of(Map.of("value", "true", "selected", false), Map.of("value", "false", "selected", false));
                    }
                    default -> {
                        kind = "json";
                        type = "json";
                    }
                }
            }
            types.put(name, type);
            String value = current == null || current.isNull() ? "" : kind.equals("json") ? pretty(current) : current.isString() ? current.asString() : Json.write(current);
            String label = p.path("title").isString() ? p.path("title").asString() : name.replace('_', ' ');
            fields.add(new Field(name, label, kind, required.contains(name), "", step, choices, null).withValue(value, null));
        }
        return new ReviewForm(fields, types, null, false);
    }

    /** The form as the reviewer sent it: every field's value, a type error at each field that has one, and the output built from them. */
    ReviewForm read(Map<String, String> form) {
        List<Field> read = new ArrayList<>();
        ObjectNode out = Json.object();
        JsonNode wholeValue = null;
        for (Field f : fields) {
            String raw = form.getOrDefault("field." + f.name(), "");
            String v = f.kind().equals("json") ? raw : raw.strip();
            String error = null;
            if (v.isBlank()) {
                if (f.required()) {
                    error = "Required: enter a value.";
                }
                read.add(f.withValue(v, error));
                continue;
            }
            String type = types.get(f.name()).asString();
            try {
                JsonNode value = switch (type) {
                    case "string" -> Json.MAPPER.getNodeFactory().stringNode(v);
                    case "integer" -> Json.MAPPER.getNodeFactory().numberNode(new BigDecimal(v).toBigIntegerExact());
                    case "number" -> Json.MAPPER.getNodeFactory().numberNode(new BigDecimal(v));
                    case "boolean" -> switch (v) {
                        case "true" -> Json.MAPPER.getNodeFactory().booleanNode(true);
                        case "false" -> Json.MAPPER.getNodeFactory().booleanNode(false);
                        default -> throw new IllegalArgumentException("Choose true or false.");
                    };
                    case "enum" -> enumValue(f, v);
                    default -> Json.parse(v);
                };
                if (whole) {
                    wholeValue = value;
                } else {
                    out.set(f.name(), value);
                }
            } catch (ArithmeticException | NumberFormatException e) {
                error = type.equals("integer") ? "Enter a whole number." : "Enter a number.";
            } catch (IllegalArgumentException e) {
                error = e.getMessage() != null && e.getMessage().startsWith("Choose") ? e.getMessage() : "Enter valid JSON.";
            } catch (RuntimeException e) {
                error = "Enter valid JSON.";
            }
            read.add(f.withValue(v, error));
        }
        return new ReviewForm(read, types, whole ? wholeValue : out, whole);
    }

    private static JsonNode enumValue(Field f, String v) {
        if (f.choices().stream().noneMatch(c -> c.get("value").equals(v))) {
            throw new IllegalArgumentException("Choose one of the listed values.");
        }
        try {
            JsonNode parsed = Json.parse(v);
            return parsed;
        } catch (RuntimeException e) {
            return Json.MAPPER.getNodeFactory().stringNode(v);
        }
    }

    boolean hasErrors() {
        return fields.stream().anyMatch(f -> f.error() != null);
    }

    JsonNode output() {
        return output;
    }

    List<Field> fields() {
        return fields;
    }

    /** Whether a violation names one of the form's fields (its pointer, under {@code /output}). */
    boolean places(Violation v) {
        return field(v).isPresent();
    }

    private java.util.Optional<Field> field(Violation v) {
        String pointer = v.pointer().startsWith("/output") ? v.pointer().substring("/output".length()) : v.pointer();
        String first = pointer.startsWith("/") ? pointer.substring(1).split("/", 2)[0].replace("~1", "/").replace("~0", "~") : "";
        if (whole) {
            return java.util.Optional.of(fields.getFirst());
        }
        return fields.stream().filter(f -> f.name().equals(first)).findFirst();
    }

    /** The form with each violation that names a field shown at it. */
    ReviewForm withViolations(List<Violation> violations) {
        Map<String, String> at = new LinkedHashMap<>();
        for (Violation v : violations) {
            field(v).ifPresent(f -> at.merge(f.name(), v.message(), (a, b) -> a + "; " + b));
        }
        List<Field> marked = fields.stream().map(f -> at.containsKey(f.name()) ? f.withValue(f.value(), at.get(f.name())) : f).toList();
        return new ReviewForm(marked, types, output, whole);
    }

    private static String pretty(JsonNode n) {
        return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    }
}
