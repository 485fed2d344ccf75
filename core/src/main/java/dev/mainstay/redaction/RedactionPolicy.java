package dev.mainstay.redaction;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import tools.jackson.databind.JsonNode;

/**
 * What to do with each category of sensitive value: a workflow's {@code redact} block.
 *
 * <pre>{@code
 * redact: { email: tokenize, phone: tokenize, card: tokenize, secret: block }
 * redact: { default: mask, ip: allow }      # every category masked except IP addresses
 * }</pre>
 *
 * A category not named takes the mode of {@code default}, and {@code default} is {@code allow}:
 * a workflow redacts what it names. Before a call, narrow the workflow's policy with the
 * provider's {@link ProviderDataPolicy} ({@link #forProvider}).
 *
 * @param modes the mode of every category (categories missing from the map given to the
 *     constructor are {@link Mode#ALLOW})
 */
public record RedactionPolicy(Map<Category, Mode> modes) {
    /** Redacts nothing. */
    public static final RedactionPolicy NONE = new RedactionPolicy(Map.of());

    /** The key of a {@code redact} block that sets the mode of every category it does not name. */
    static final String DEFAULT_KEY = "default";

    public RedactionPolicy {
        EnumMap<Category, Mode> all = new EnumMap<>(Category.class);
        for (Category c : Category.values()) {
            all.put(c, modes.getOrDefault(c, Mode.ALLOW));
        }
        modes = Collections.unmodifiableMap(all);
    }

    /** Every category in {@code mode}. */
    public static RedactionPolicy all(Mode mode) {
        EnumMap<Category, Mode> all = new EnumMap<>(Category.class);
        for (Category c : Category.values()) {
            all.put(c, mode);
        }
        return new RedactionPolicy(all);
    }

    /** This policy with {@code category} in {@code mode}. */
    public RedactionPolicy with(Category category, Mode mode) {
        EnumMap<Category, Mode> changed = new EnumMap<>(modes);
        changed.put(category, mode);
        return new RedactionPolicy(changed);
    }

    public Mode mode(Category category) {
        return modes.get(category);
    }

    /** The categories in {@code mode}. */
    public Set<Category> categories(Mode mode) {
        EnumSet<Category> out = EnumSet.noneOf(Category.class);
        modes.forEach((c, m) -> {
            if (m == mode) {
                out.add(c);
            }
        });
        return Collections.unmodifiableSet(out);
    }

    /** Whether every category is allowed, so that redacting changes nothing. */
    public boolean isNone() {
        return modes.values().stream().allMatch(m -> m == Mode.ALLOW);
    }

    /**
     * The policy for calls to a provider: a category this policy allows but the provider may not
     * receive in the clear is tokenized instead (the model sees a placeholder, the answer gets the
     * value back). Masking, tokenizing and blocking are kept as they are: a provider's data policy
     * only ever narrows what leaves.
     */
    public RedactionPolicy forProvider(ProviderDataPolicy data) {
        EnumMap<Category, Mode> narrowed = new EnumMap<>(modes);
        narrowed.replaceAll((c, m) -> m == Mode.ALLOW && !data.allows(c) ? Mode.TOKENIZE : m);
        return new RedactionPolicy(narrowed);
    }

    /**
     * Reads a {@code redact} block. A missing or null node is {@link #NONE}.
     *
     * @param pointer the JSON pointer of {@code node} in its document, e.g. {@code /redact}
     * @param error builds the exception for a field given its pointer and the problem;
     *     {@code YamlDocument::error} fits, so messages carry the file and line
     * @throws ConfigException for a node that is not a mapping, an unknown category or an unknown mode
     */
    public static RedactionPolicy parse(JsonNode node, String pointer, BiFunction<String, String, ConfigException> error) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return NONE;
        }
        if (!node.isObject()) {
            throw error.apply(pointer, "must be a mapping of category to mode, e.g. { email: tokenize, secret: block }, got " + ConfigFields.kind(node));
        }
        Mode fallback = Mode.ALLOW;
        EnumMap<Category, Mode> modes = new EnumMap<>(Category.class);
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String field = ConfigFields.child(pointer, e.getKey());
            Mode mode = mode(e.getValue(), field, error);
            if (e.getKey().equals(DEFAULT_KEY)) {
                fallback = mode;
            } else {
                Category category = Category.fromWire(e.getKey()).orElseThrow(() -> error.apply(field,
                        "unknown category '" + e.getKey() + "' (known: " + Category.known() + ", or " + DEFAULT_KEY + " for the others)"));
                modes.put(category, mode);
            }
        }
        for (Category c : Category.values()) {
            modes.putIfAbsent(c, fallback);
        }
        return new RedactionPolicy(modes);
    }

    /**
     * Reads a {@code redact} block that is not in a file; messages read {@code <source>: <key>: <problem>},
     * e.g. {@code tenant policy: emial: unknown category 'emial' (known: ...)}.
     */
    public static RedactionPolicy parse(JsonNode node, String source) {
        return parse(node, "", ConfigFields.errors(source));
    }

    /** Reads a {@code redact} block given as a map, e.g. from a YAML library; see {@link #parse(JsonNode, String)}. */
    public static RedactionPolicy parse(Map<String, ?> block, String source) {
        JsonNode tree = Json.MAPPER.valueToTree(block);
        return parse(tree, source);
    }

    private static Mode mode(JsonNode value, String field, BiFunction<String, String, ConfigException> error) {
        if (!value.isString()) {
            throw error.apply(field, "must be a mode (" + Mode.known() + "), got " + ConfigFields.kind(value));
        }
        return Mode.fromWire(value.stringValue()).orElseThrow(() -> error.apply(field,
                "unknown mode '" + value.stringValue() + "' (known: " + Mode.known() + ")"));
    }

    /** E.g. {@code RedactionPolicy[email=tokenize, secret=block, others allow]}. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("RedactionPolicy[");
        modes.forEach((c, m) -> {
            if (m != Mode.ALLOW) {
                out.append(out.charAt(out.length() - 1) == '[' ? "" : ", ").append(c.wire()).append('=').append(m.wire());
            }
        });
        return out.append(out.charAt(out.length() - 1) == '[' ? "allow all" : ", others allow").append(']').toString();
    }
}
