package dev.mainstay.providers.openai;

import dev.mainstay.Json;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An output schema in the form OpenAI's strict Structured Outputs accept, when it has one, and
 * the way back from an answer to that form to an answer to the original schema.
 *
 * <p>Strict mode takes a subset of JSON Schema: an object at the root; every object closed
 * ({@code additionalProperties: false}) with every property required; {@code anyOf} but no other
 * combinator; and, for values, {@code enum}, {@code pattern}, a few {@code format}s, numeric bounds
 * and {@code minItems}/{@code maxItems}. A workflow's schema is brought into it by changes that
 * keep every answer it accepts:
 *
 * <ul>
 *   <li>an object without {@code additionalProperties} is closed: an answer never needs a property
 *       the schema does not name;
 *   <li>an optional property becomes required and nullable, and a {@code null} the model gives for it
 *       is removed from the answer again ({@link #restore}); a property whose schema accepts
 *       {@code null} already is only made required;
 *   <li>{@code const} becomes a one-value {@code enum};
 *   <li>annotations ({@code default}, {@code examples}, {@code $comment}, …) are left out, and so
 *       are bounds outside the subset that only narrow a value ({@code minLength},
 *       {@code maxLength}, {@code uniqueItems}, an unlisted {@code format}, {@code oneOf} read as
 *       {@code anyOf}…). Those the model still reads in its instructions, which carry the whole
 *       schema, and Mainstay checks every answer against the whole schema as always.
 * </ul>
 *
 * <p>A schema that needs more ({@code allOf}, {@code not}, {@code if}, {@code patternProperties},
 * a free-form object or array, {@code additionalProperties} other than {@code false}, a schema
 * deeper or larger than OpenAI's limits) has no strict form: it is sent as it is, without strict mode.
 */
final class StrictSchema {
    /** OpenAI's limits on a strict schema: object nesting, properties in all, enum values in all. */
    static final int MAX_DEPTH = 10;
    static final int MAX_PROPERTIES = 5000;
    static final int MAX_ENUM_VALUES = 1000;

    private static final Set<String> KEPT = Set.of("type", "description", "title", "enum", "pattern", "minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems");
    /** Annotations, and bounds outside the subset whose absence only widens what is accepted. */
    private static final Set<String> LEFT_OUT = Set.of("$schema", "$id", "$comment", "$anchor", "default", "examples", "deprecated", "readOnly",
            "writeOnly", "contentMediaType", "contentEncoding", "contentSchema", "minLength", "maxLength", "uniqueItems", "minProperties",
            "maxProperties", "propertyNames", "unevaluatedProperties", "contains", "minContains", "maxContains");
    private static final Set<String> FORMATS = Set.of("date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid");
    private static final Set<String> HANDLED = Set.of("properties", "required", "additionalProperties", "items", "anyOf", "oneOf", "const",
            "format", "$ref", "$defs", "definitions");

    private final JsonNode original;
    private final ObjectNode sent;
    private final boolean hasOptional;

    private StrictSchema(JsonNode original, ObjectNode sent, boolean hasOptional) {
        this.original = original;
        this.sent = sent;
        this.hasOptional = hasOptional;
    }

    /** The strict form of {@code schema}, or empty (with the reason) when it has none. */
    static Result of(JsonNode schema) {
        if (schema == null || !schema.isObject() || !"object".equals(schema.path("type").asString(""))) {
            return new Result(Optional.empty(), "the root is not a schema of type object");
        }
        Walk walk = new Walk();
        try {
            ObjectNode sent = walk.strict(schema, 1);
            return new Result(Optional.of(new StrictSchema(schema, sent, walk.optional > 0)), null);
        } catch (NotStrict e) {
            return new Result(Optional.empty(), e.getMessage());
        }
    }

    /** A strict form, or why there is none. */
    record Result(Optional<StrictSchema> schema, String whyNot) {
    }

    /** What to send as {@code response_format.json_schema.schema}. */
    ObjectNode sent() {
        return sent;
    }

    /**
     * An answer to the strict form as an answer to the original schema: every {@code null} the
     * model gave for a property that was optional (and does not accept {@code null}) is removed.
     * Text that is not a JSON object is returned as it is, for the output contract to judge.
     */
    String restore(String content) {
        if (!hasOptional || content == null || content.isBlank()) {
            return content;
        }
        JsonNode answer;
        try {
            answer = Json.parse(content.strip());
        } catch (JacksonException notJson) {
            return content;
        }
        if (answer == null || !answer.isObject()) {
            return content;
        }
        return restore(original, answer, 0) ? Json.write(answer) : content;
    }

    /** Removes nulls of optional properties in {@code value} as {@code schema} describes it; true when anything was removed. */
    private boolean restore(JsonNode schema, JsonNode value, int refs) {
        if (schema == null || !schema.isObject() || value == null) {
            return false;
        }
        if (schema.has("$ref")) {
            JsonNode target = resolve(schema.get("$ref").asString(""));
            return refs < MAX_DEPTH * 4 && restore(target, value, refs + 1);
        }
        boolean changed = false;
        if (value.isObject() && schema.path("properties").isObject()) {
            ObjectNode object = (ObjectNode) value;
            Set<String> required = names(schema.get("required"));
            for (var e : schema.get("properties").properties()) {
                JsonNode v = object.get(e.getKey());
                if (v == null) {
                    continue;
                }
                if (v.isNull() && !required.contains(e.getKey()) && !acceptsNull(e.getValue())) {
                    object.remove(e.getKey());
                    changed = true;
                } else {
                    changed |= restore(e.getValue(), v, 0);
                }
            }
        } else if (value.isArray() && schema.path("items").isObject()) {
            for (JsonNode item : value) {
                changed |= restore(schema.get("items"), item, 0);
            }
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            // Only where the branch is clear: one branch of the value's own kind.
            JsonNode only = null;
            int matches = 0;
            for (JsonNode branch : schema.path(combinator)) {
                if (value.isObject() && branch.path("properties").isObject() || value.isArray() && branch.path("items").isObject() || branch.has("$ref")) {
                    only = branch;
                    matches++;
                }
            }
            if (matches == 1) {
                changed |= restore(only, value, refs);
            }
        }
        return changed;
    }

    private JsonNode resolve(String ref) {
        if (ref.equals("#")) {
            return original;
        }
        if (!ref.startsWith("#/")) {
            return null;
        }
        JsonNode at = original.at(ref.substring(1));
        return at.isMissingNode() ? null : at;
    }

    private static Set<String> names(JsonNode required) {
        Set<String> out = new java.util.HashSet<>();
        if (required != null) {
            required.forEach(n -> out.add(n.asString("")));
        }
        return out;
    }

    /**
     * Whether the schema says outright that {@code null} is a value, so that a {@code null} in an
     * answer is an answer, not an absence. Where that is unclear (a {@code $ref}) it is taken as
     * not: the property is made nullable, and a {@code null} answer is read as absent, which the
     * original schema accepts as well.
     */
    private static boolean acceptsNull(JsonNode schema) {
        if (schema == null || !schema.isObject()) {
            return false;
        }
        boolean said = false;
        JsonNode type = schema.get("type");
        if (type != null) {
            if (!(type.isString() && "null".equals(type.stringValue()) || type.isArray() && contains(type, "null"))) {
                return false;
            }
            said = true;
        }
        if (schema.has("const")) {
            if (!schema.get("const").isNull()) {
                return false;
            }
            said = true;
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode v : schema.path("enum")) {
                listed |= v.isNull();
            }
            if (!listed) {
                return false;
            }
            said = true;
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.has(combinator)) {
                boolean some = false;
                for (JsonNode branch : schema.get(combinator)) {
                    some |= acceptsNull(branch);
                }
                if (!some) {
                    return false;
                }
                said = true;
            }
        }
        return said && !schema.has("$ref");
    }

    private static boolean contains(JsonNode array, String text) {
        for (JsonNode v : array) {
            if (v.isString() && v.stringValue().equals(text)) {
                return true;
            }
        }
        return false;
    }

    /** A keyword or shape strict mode cannot take; the message says which and where. */
    private static final class NotStrict extends Exception {
        NotStrict(String message) {
            super(message, null, false, false);
        }
    }

    /** One transformation, counting what OpenAI limits. */
    private static final class Walk {
        int properties;
        int enumValues;
        int optional;

        ObjectNode strict(JsonNode schema, int depth) throws NotStrict {
            return strict(schema, depth, "");
        }

        private ObjectNode strict(JsonNode schema, int depth, String at) throws NotStrict {
            if (!schema.isObject()) {
                throw new NotStrict(where(at) + "is a boolean schema");
            }
            ObjectNode out = Json.object();
            if (schema.has("$ref")) {
                for (String key : schema.propertyNames()) {
                    if (!key.equals("$ref") && !LEFT_OUT.contains(key) && !key.equals("description") && !key.equals("title")) {
                        throw new NotStrict(where(at) + "has '" + key + "' beside '$ref'");
                    }
                }
                String ref = schema.get("$ref").asString("");
                if (!ref.equals("#") && !ref.startsWith("#/$defs/") && !ref.startsWith("#/definitions/")) {
                    throw new NotStrict(where(at) + "refers to '" + ref + "', outside the schema's own definitions");
                }
                out.put("$ref", ref);
                return out;
            }
            for (String key : schema.propertyNames()) {
                JsonNode v = schema.get(key);
                if (KEPT.contains(key)) {
                    out.set(key, v.deepCopy());
                    if (key.equals("enum")) {
                        enumValues += v.size();
                    }
                } else if (key.equals("format")) {
                    if (FORMATS.contains(v.asString(""))) {
                        out.set(key, v.deepCopy());
                    }
                } else if (key.equals("const")) {
                    out.set("enum", Json.array().add(v.deepCopy()));
                    enumValues++;
                } else if (!LEFT_OUT.contains(key) && !HANDLED.contains(key)) {
                    throw new NotStrict(where(at) + "uses '" + key + "', which strict mode does not take");
                }
            }
            if (enumValues > MAX_ENUM_VALUES) {
                throw new NotStrict("the schema has more than " + MAX_ENUM_VALUES + " enum values in all");
            }
            if (schema.has("anyOf") && schema.has("oneOf")) {
                throw new NotStrict(where(at) + "has both 'anyOf' and 'oneOf'");
            }
            for (String combinator : List.of("anyOf", "oneOf")) {
                JsonNode branches = schema.get(combinator);
                if (branches == null) {
                    continue;
                }
                if (at.isEmpty()) {
                    throw new NotStrict("the root uses '" + combinator + "'");
                }
                if (!branches.isArray() || branches.isEmpty()) {
                    throw new NotStrict(where(at) + "has an empty '" + combinator + "'");
                }
                ArrayNode sent = out.putArray("anyOf");
                for (int i = 0; i < branches.size(); i++) {
                    sent.add(strict(branches.get(i), depth, at + "/" + combinator + "/" + i));
                }
            }
            for (String defs : List.of("$defs", "definitions")) {
                if (schema.has(defs)) {
                    if (!at.isEmpty() || !schema.get(defs).isObject()) {
                        throw new NotStrict(where(at) + "has '" + defs + "' below the root");
                    }
                    ObjectNode sentDefs = out.putObject(defs);
                    for (var e : schema.get(defs).properties()) {
                        sentDefs.set(e.getKey(), strict(e.getValue(), depth, "/" + defs + "/" + e.getKey()));
                    }
                }
            }
            boolean object = isType(schema, "object") || schema.has("properties");
            boolean array = isType(schema, "array") || schema.has("items");
            if (!schema.has("type") && !schema.has("enum") && !schema.has("const") && !schema.has("anyOf") && !schema.has("oneOf") && !object && !array) {
                throw new NotStrict(where(at) + "accepts any value");
            }
            if (object) {
                if (!schema.has("type")) {
                    out.put("type", "object");
                }
                object(schema, out, depth, at);
            }
            if (array) {
                if (!schema.has("type")) {
                    out.put("type", "array");
                }
                JsonNode items = schema.get("items");
                if (items == null || !items.isObject()) {
                    throw new NotStrict(where(at) + "is an array without an 'items' schema");
                }
                out.set("items", strict(items, depth + 1, at + "/items"));
            }
            return out;
        }

        private void object(JsonNode schema, ObjectNode out, int depth, String at) throws NotStrict {
            if (depth > MAX_DEPTH) {
                throw new NotStrict(where(at) + "nests objects deeper than " + MAX_DEPTH + " levels");
            }
            JsonNode props = schema.get("properties");
            if (props == null || !props.isObject()) {
                throw new NotStrict(where(at) + "is an object without 'properties' (a free-form object)");
            }
            JsonNode extra = schema.get("additionalProperties");
            if (extra != null && !(extra.isBoolean() && !extra.booleanValue())) {
                throw new NotStrict(where(at) + "allows additional properties");
            }
            Set<String> required = names(schema.get("required"));
            for (String name : required) {
                if (!props.has(name)) {
                    throw new NotStrict(where(at) + "requires '" + name + "', which its 'properties' do not describe");
                }
            }
            properties += props.size();
            if (properties > MAX_PROPERTIES) {
                throw new NotStrict("the schema has more than " + MAX_PROPERTIES + " properties in all");
            }
            ObjectNode sentProps = out.putObject("properties");
            ArrayNode all = Json.array();
            for (var e : props.properties()) {
                String p = at + "/properties/" + e.getKey();
                ObjectNode sent = strict(e.getValue(), depth + 1, p);
                if (!required.contains(e.getKey()) && !acceptsNull(e.getValue())) {
                    // Optional becomes required and nullable; restore() takes the null out again.
                    ObjectNode nullable = Json.object();
                    nullable.putArray("anyOf").add(sent).add(Json.object().put("type", "null"));
                    sent = nullable;
                    optional++;
                }
                sentProps.set(e.getKey(), sent);
                all.add(e.getKey());
            }
            out.set("required", all);
            out.put("additionalProperties", false);
        }

        private static boolean isType(JsonNode schema, String type) {
            JsonNode t = schema.get("type");
            return t != null && (t.isString() && t.stringValue().equals(type) || t.isArray() && contains(t, type));
        }

        private static String where(String at) {
            return (at.isEmpty() ? "the root" : at) + " ";
        }

    }

    @Override
    public String toString() {
        return Json.write(sent);
    }
}
