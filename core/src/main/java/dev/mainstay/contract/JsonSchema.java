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

    private JsonSchema(JsonNode node, Schema schema) {
        this.node = node;
        this.schema = schema;
        this.hash = ContentHash.sha256(Json.canonical(node));
    }

    /**
     * Compiles {@code node}.
     *
     * @throws IllegalArgumentException naming the problem when the node is not a usable schema
     */
    public static JsonSchema compile(JsonNode node) {
        if (node == null || !(node.isObject() || node.isBoolean())) {
            throw new IllegalArgumentException("a JSON Schema must be an object or a boolean");
        }
        if (node.isObject() && !node.has("$schema")) {
            // The validator does not check a schema against its meta-schema: a typo such as
            // `type: strnig` would compile and then reject (or pass) every document.
            List<Error> problems = META_SCHEMA.validate(node);
            if (!problems.isEmpty()) {
                List<String> shown = new ArrayList<>();
                for (Error e : problems.subList(0, Math.min(MAX_REPORTED, problems.size()))) {
                    String at = pointer(e.getInstanceLocation());
                    shown.add((at.isEmpty() ? "/" : at) + ": " + message(e));
                }
                throw new IllegalArgumentException("not a valid JSON Schema: " + String.join("; ", shown)
                        + (problems.size() > MAX_REPORTED ? " (and " + (problems.size() - MAX_REPORTED) + " more)" : ""));
            }
        }
        try {
            Schema schema = REGISTRY.getSchema(node);
            schema.validate(Json.object()); // forces lazy sub-schema loading so errors surface now
            return new JsonSchema(node, schema);
        } catch (SchemaException | IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("not a valid JSON Schema: " + e.getMessage(), e);
        }
    }

    public JsonNode node() {
        return node;
    }

    /** SHA-256 of the canonical schema text: the schema's version stamp in provenance. */
    public String hash() {
        return hash;
    }

    public List<Violation> validate(JsonNode document) {
        List<Error> errors = schema.validate(document);
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
