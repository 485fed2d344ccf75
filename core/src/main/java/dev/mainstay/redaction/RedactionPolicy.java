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
 * redact: { kinds: [email, phone, card], mode: tokenize }
 * redact: { email: tokenize, phone: tokenize, card: tokenize, secret: block }
 * redact: { kinds: [email, phone], mode: tokenize, secret: block }
 * redact: { default: mask, ip: allow }      # every category masked except IP addresses
 * }</pre>
 *
 * {@code kinds} and {@code mode} go together: every category listed takes that mode. A category
 * not named takes the mode of {@code default}, and {@code default} is {@code allow}: a workflow
 * redacts what it names. A stage's block is read {@linkplain #parse(JsonNode, String, BiFunction,
 * RedactionPolicy) over} the workflow's: it changes the categories it names and keeps the rest. Before a call, narrow the workflow's policy with the
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
    /** With {@link #MODE_KEY}: the categories that take that mode, as in {@code { kinds: [email], mode: tokenize }}. */
    static final String KINDS_KEY = "kinds";
    static final String MODE_KEY = "mode";

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
        return parse(node, pointer, error, NONE);
    }

    /**
     * Reads a {@code redact} block over {@code base}: categories the block does not name keep
     * their mode in {@code base}, unless the block sets a {@code default}. A missing or null node
     * is {@code base}. Used for a stage's block over its workflow's.
     */
    public static RedactionPolicy parse(JsonNode node, String pointer, BiFunction<String, String, ConfigException> error, RedactionPolicy base) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return base;
        }
        if (!node.isObject()) {
            throw error.apply(pointer, "must be a mapping, e.g. { kinds: [email, phone], mode: tokenize } or { email: tokenize, secret: block }, got " + ConfigFields.kind(node));
        }
        Mode fallback = null;
        EnumMap<Category, Mode> modes = new EnumMap<>(Category.class);
        JsonNode kinds = node.get(KINDS_KEY);
        JsonNode kindsMode = node.get(MODE_KEY);
        if (kinds != null || kindsMode != null) {
            String kindsPointer = ConfigFields.child(pointer, KINDS_KEY);
            String modePointer = ConfigFields.child(pointer, MODE_KEY);
            if (kinds == null) {
                throw error.apply(kindsPointer, "is required with mode: the categories it applies to, e.g. [email, phone] (or write default: <mode> for every category)");
            }
            if (kindsMode == null) {
                throw error.apply(modePointer, "is required with kinds (" + Mode.known() + ")");
            }
            Mode mode = mode(kindsMode, modePointer, error);
            if (!kinds.isArray()) {
                throw error.apply(kindsPointer, "must be a list of categories, e.g. [email, phone, card], got " + ConfigFields.kind(kinds));
            }
            for (int i = 0; i < kinds.size(); i++) {
                String item = kindsPointer + "/" + i;
                JsonNode k = kinds.get(i);
                if (!k.isString()) {
                    throw error.apply(item, "must be a category (" + Category.known() + "), got " + ConfigFields.kind(k));
                }
                Category category = Category.fromWire(k.stringValue()).orElseThrow(() -> error.apply(item,
                        "unknown category '" + k.stringValue() + "' (known: " + Category.known() + ")"));
                if (modes.put(category, mode) != null) {
                    throw error.apply(item, "category '" + category.wire() + "' is listed twice");
                }
            }
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (e.getKey().equals(KINDS_KEY) || e.getKey().equals(MODE_KEY)) {
                continue;
            }
            String field = ConfigFields.child(pointer, e.getKey());
            Mode mode = mode(e.getValue(), field, error);
            if (e.getKey().equals(DEFAULT_KEY)) {
                fallback = mode;
            } else {
                Category category = Category.fromWire(e.getKey()).orElseThrow(() -> error.apply(field,
                        "unknown category '" + e.getKey() + "' (known: " + Category.known() + ", or " + DEFAULT_KEY + " for the others, or "
                                + KINDS_KEY + " with " + MODE_KEY + ")"));
                if (modes.put(category, mode) != null) {
                    throw error.apply(field, "category '" + category.wire() + "' is also listed in " + KINDS_KEY + "; name it once");
                }
            }
        }
        for (Category c : Category.values()) {
            modes.putIfAbsent(c, fallback == null ? base.mode(c) : fallback);
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
