package dev.mainstay.contract;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import dev.mainstay.ContentHash;
import dev.mainstay.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * A compiled JSON Schema (draft 2020-12 unless the schema names another dialect) that reports
 * failures as {@link Violation}s with JSON pointers into the validated document.
 */
public final class JsonSchema {
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Schema META_SCHEMA = REGISTRY.getSchema(SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));
    private static final int MAX_REPORTED = 3;
    private static final Set<String> PROPERTY_KEYWORDS = Set.of("required", "additionalProperties", "unevaluatedProperties", "dependentRequired");

    private final JsonNode node;
    private final Schema schema;
    private final String hash;
    private final String text;

    private JsonSchema(JsonNode node, Schema schema) {
        this.node = node;
        this.schema = schema;
        this.hash = ContentHash.sha256(Json.canonical(node));
        this.text = Json.write(node);
    }

    /**
     * Compiles {@code node}.
     *
     * @throws InvalidSchemaException naming the problem, the offending value and where in the
     *     schema it stands, when the node is not a usable schema
     */
    public static JsonSchema compile(JsonNode node) {
        if (node == null || !(node.isObject() || node.isBoolean())) {
            throw new InvalidSchemaException("", "a JSON Schema must be an object or a boolean");
        }
        if (node.isObject() && !node.has("$schema")) {
            // The validator does not check a schema against its meta-schema: a typo such as
            // `type: strnig` would compile and then reject (or pass) every document.
            List<Error> problems = META_SCHEMA.validate(node);
            if (!problems.isEmpty()) {
                Error first = mostSpecific(problems);
                List<String> shown = new ArrayList<>();
                shown.add(problem(first));
                Set<String> places = new java.util.HashSet<>(Set.of(pointer(first.getInstanceLocation())));
                for (Error e : problems) {
                    if (shown.size() < MAX_REPORTED && places.stream().noneMatch(p -> related(p, pointer(e.getInstanceLocation())))) {
                        places.add(pointer(e.getInstanceLocation()));
                        shown.add("also " + place(e) + ": " + problem(e));
                    }
                }
                throw new InvalidSchemaException(pointer(first.getInstanceLocation()), "not a valid JSON Schema: " + String.join("; ", shown));
            }
        }
        try {
            Schema schema = REGISTRY.getSchema(node);
            schema.validate(Json.object()); // forces lazy sub-schema loading so errors surface now
            return new JsonSchema(node, schema);
        } catch (SchemaException | IllegalArgumentException | IllegalStateException e) {
            throw new InvalidSchemaException("", "not a valid JSON Schema: " + e.getMessage());
        }
    }

    /**
     * The error to report first: the first one, or a deeper one at the same spot. A bad value in a
     * list ({@code type: [string, nul]}) fails at the list and again at the item; the item says more.
     */
    private static Error mostSpecific(List<Error> problems) {
        Error best = problems.getFirst();
        String at = pointer(best.getInstanceLocation());
        for (Error e : problems) {
            String p = pointer(e.getInstanceLocation());
            if (p.startsWith(at + "/") && p.length() > pointer(best.getInstanceLocation()).length()) {
                best = e;
            }
        }
        return best;
    }

    private static boolean related(String a, String b) {
        return a.equals(b) || a.startsWith(b + "/") || b.startsWith(a + "/");
    }

    private static String place(Error e) {
        String at = pointer(e.getInstanceLocation());
        return at.isEmpty() ? "/" : at;
    }

    /** The offending value, quoted, and what is wrong with it: {@code 'strnig': does not have a value in the enumeration [...]}. */
    private static String problem(Error e) {
        JsonNode value = e.getInstanceNode();
        String shown;
        if (value == null || value.isMissingNode()) {
            return message(e);
        } else if (value.isString()) {
            shown = "'" + value.stringValue() + "'";
        } else if (value.isContainer()) {
            String text = Json.write(value);
            shown = text.length() > 60 ? text.substring(0, 57) + "..." : text;
        } else {
            shown = Json.write(value);
        }
        return shown + ": " + message(e);
    }

    public JsonNode node() {
        return node;
    }

    /**
     * The schema as compact JSON text, as {@link Json#write} writes it, written once: every model
     * call puts it in its instructions and counts its tokens.
     */
    public String text() {
        return text;
    }

    /** SHA-256 of the canonical schema text: the schema's version stamp in provenance. */
    public String hash() {
        return hash;
    }

    /**
     * Every way {@code document} breaks the schema, each with the JSON pointer of the value at
     * fault. Any JSON document may be checked: a number of any size or precision is a value like
     * another, never an exception.
     */
    public List<Violation> validate(JsonNode document) {
        List<Error> errors = schema.validate(exactIntegers(document));
        List<Violation> out = new ArrayList<>(errors.size());
        for (Error error : errors) {
            String pointer = pointer(error.getInstanceLocation());
            // These keywords fail at the object; the pointer names the property at fault instead.
            if (PROPERTY_KEYWORDS.contains(error.getKeyword()) && error.getProperty() != null) {
                pointer = Json.pointer(pointer, error.getProperty());
            }
            out.add(new Violation(pointer, message(error)));
        }
        return out;
    }

    /** Digits of the largest integer a double can hold (1.8e308), with room: a bound on what is expanded. */
    private static final int MAX_EXPANDED_DIGITS = 400;

    /**
     * {@code document} with every floating-point literal that denotes an integer outside the long
     * range ({@code 1e308}, {@code -1e19}) replaced by that exact integer; the same node when
     * there is none, which is nearly always. JSON Schema counts such a literal as an integer, and
     * the validator compares an integer with an integer bound in long arithmetic, which Jackson 3
     * refuses for these values with an exception; as a big integer the value is compared exactly.
     */
    static JsonNode exactIntegers(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isFloatingPointNumber()) {
            if (node.canConvertToLong() || (node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
                return node;
            }
            java.math.BigDecimal exact = node.decimalValue();
            if (exact.precision() - exact.scale() > MAX_EXPANDED_DIGITS || exact.stripTrailingZeros().scale() > 0) {
                return node; // a fraction, or beyond any double: no long arithmetic is attempted on it
            }
            return tools.jackson.databind.node.JsonNodeFactory.instance.numberNode(exact.toBigIntegerExact());
        }
        if (node.isArray()) {
            tools.jackson.databind.node.ArrayNode copy = null;
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                JsonNode exact = exactIntegers(item);
                if (exact != item && copy == null) {
                    copy = Json.array();
                    for (int j = 0; j < i; j++) {
                        copy.add(node.get(j));
                    }
                }
                if (copy != null) {
                    copy.add(exact);
                }
            }
            return copy == null ? node : copy;
        }
        if (node.isObject()) {
            tools.jackson.databind.node.ObjectNode copy = null;
            for (var e : node.properties()) {
                JsonNode exact = exactIntegers(e.getValue());
                if (exact != e.getValue() && copy == null) {
                    copy = ((tools.jackson.databind.node.ObjectNode) node).deepCopy();
                }
                if (copy != null && exact != e.getValue()) {
                    copy.set(e.getKey(), exact);
                }
            }
            return copy == null ? node : copy;
        }
        return node;
    }

    private static String message(Error error) {
        String message = error.getMessage();
        // The library prefixes messages with a path of its own; the pointer already says where.
        int colon = message.indexOf(": ");
        if (colon > 0 && message.startsWith("$") || colon > 0 && message.startsWith("/")) {
            return message.substring(colon + 2);
        }
        return message;
    }

    /**
     * A copy of {@code document} with the {@code default} of every absent property filled in, at
     * every depth the schema describes with {@code properties}.
     */
    public JsonNode withDefaults(JsonNode document) {
        JsonNode copy = document.deepCopy();
        fillDefaults(node, copy);
        return copy;
    }

    private static void fillDefaults(JsonNode schema, JsonNode doc) {
        if (!schema.isObject() || !doc.isObject()) {
            return;
        }
        JsonNode props = schema.get("properties");
        if (props == null || !props.isObject()) {
            return;
        }
        tools.jackson.databind.node.ObjectNode obj = (tools.jackson.databind.node.ObjectNode) doc;
        for (var e : props.properties()) {
            JsonNode present = obj.get(e.getKey());
            if (present == null && e.getValue().has("default")) {
                obj.set(e.getKey(), e.getValue().get("default").deepCopy());
            } else if (present != null) {
                fillDefaults(e.getValue(), present);
            }
        }
    }

    static String pointer(NodePath path) {
        if (path == null) {
            return "";
        }
        String out = "";
        for (int i = 0; i < path.getNameCount(); i++) {
            Object element = path.getElement(i);
            out = element instanceof Integer index ? out + "/" + index : Json.pointer(out, String.valueOf(element));
        }
        return out;
    }
}
