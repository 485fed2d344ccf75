package dev.mainstay;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JsonPointer;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The one configured JSON mapper of Mainstay and the few tree helpers every module needs.
 * Parsing limits are deliberately tight: request bodies come from strangers.
 */
public final class Json {
    /** Deepest nesting any JSON document may have, request or stored. */
    public static final int DEFAULT_MAX_DEPTH = 64;

    public static final JsonMapper MAPPER = mapper(DEFAULT_MAX_DEPTH);

    private Json() {
    }

    /** A mapper whose parser refuses documents nested deeper than {@code maxDepth}. */
    public static JsonMapper mapper(int maxDepth) {
        return mapper(maxDepth, 50_000_000);
    }

    /**
     * A mapper whose parser refuses documents nested deeper than {@code maxDepth} and strings
     * (values and field names) longer than {@code maxStringLength} characters.
     */
    public static JsonMapper mapper(int maxDepth, int maxStringLength) {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(maxDepth)
                        .maxStringLength(maxStringLength)
                        .maxNameLength(Math.min(maxStringLength, 50_000))
                        .build())
                .build();
        return JsonMapper.builder(factory)
                .enable(tools.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(tools.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
    }

    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    public static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    public static JsonNode parse(String text) {
        return MAPPER.readTree(text);
    }

    public static String write(JsonNode node) {
        return MAPPER.writeValueAsString(node);
    }

    /** Serialises with object keys sorted, so equal documents give equal bytes and equal hashes. */
    public static String canonical(JsonNode node) {
        return write(sorted(node));
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = object();
            node.propertyNames().stream().sorted().forEach(name -> out.set(name, sorted(node.get(name))));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = array();
            node.values().forEach(v -> out.add(sorted(v)));
            return out;
        }
        return node;
    }

    /**
     * The JSON pointer (RFC 6901) to the member {@code name} of what {@code parent} points to, with
     * {@code ~} and {@code /} in the name escaped: {@code pointer("/prices", "openai/gpt-4o")} is
     * {@code /prices/openai~1gpt-4o}. The one place Mainstay escapes a pointer token.
     */
    public static String pointer(String parent, String name) {
        return JsonPointer.compile(parent).appendProperty(name).toString();
    }

    /** The tokens of a JSON pointer, unescaped: {@code /prices/openai~1gpt-4o} gives {@code prices}, {@code openai/gpt-4o}. */
    public static List<String> tokens(String pointer) {
        List<String> out = new ArrayList<>();
        for (JsonPointer p = JsonPointer.compile(pointer); !p.matches(); p = p.tail()) {
            out.add(p.getMatchingProperty());
        }
        return out;
    }
}
