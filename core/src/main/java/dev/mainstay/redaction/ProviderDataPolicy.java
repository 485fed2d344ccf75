package dev.mainstay.redaction;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import tools.jackson.databind.JsonNode;

/**
 * Which categories a provider may receive in the clear, from the provider's {@code data} entry in
 * configuration:
 *
 * <pre>{@code
 * data: deny_all_pii          # no category in the clear (secrets included)
 * data: { allow: [email] }    # email in the clear when a workflow allows it; nothing else
 * data: allow_all             # the default: whatever the workflow allows
 * }</pre>
 *
 * It never loosens a workflow's policy, only narrows it: see {@link RedactionPolicy#forProvider}.
 *
 * @param allowed the categories the provider may receive unredacted
 */
public record ProviderDataPolicy(Set<Category> allowed) {
    /** The provider may receive whatever the workflow allows. */
    public static final ProviderDataPolicy UNRESTRICTED = new ProviderDataPolicy(EnumSet.allOf(Category.class));
    /** The provider receives no value of any category in the clear. */
    public static final ProviderDataPolicy DENY_ALL_PII = new ProviderDataPolicy(Set.of());

    static final String DENY_ALL_PII_WIRE = "deny_all_pii";
    static final String ALLOW_ALL_WIRE = "allow_all";

    public ProviderDataPolicy {
        EnumSet<Category> copy = EnumSet.noneOf(Category.class);
        copy.addAll(allowed);
        allowed = Collections.unmodifiableSet(copy);
    }

    public static ProviderDataPolicy allowing(Collection<Category> categories) {
        return new ProviderDataPolicy(Set.copyOf(categories));
    }

    public static ProviderDataPolicy allowing(Category... categories) {
        return allowing(List.of(categories));
    }

    public boolean allows(Category category) {
        return allowed.contains(category);
    }

    /**
     * Reads a provider's {@code data} entry. A missing or null node is {@link #UNRESTRICTED}.
     *
     * @param pointer the JSON pointer of {@code node} in its document, e.g. {@code /providers/openai/data}
     * @param error builds the exception for a field given its pointer and the problem;
     *     {@code YamlDocument::error} fits, so messages carry the file and line
     * @throws ConfigException for an unknown word, an unknown key or an unknown category
     */
    public static ProviderDataPolicy parse(JsonNode node, String pointer, BiFunction<String, String, ConfigException> error) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return UNRESTRICTED;
        }
        String shapes = DENY_ALL_PII_WIRE + ", " + ALLOW_ALL_WIRE + " or { allow: [categories] }";
        if (node.isString()) {
            return switch (node.stringValue()) {
                case DENY_ALL_PII_WIRE -> DENY_ALL_PII;
                case ALLOW_ALL_WIRE -> UNRESTRICTED;
                default -> throw error.apply(pointer, "must be " + shapes + ", got " + ConfigFields.kind(node));
            };
        }
        if (!node.isObject()) {
            throw error.apply(pointer, "must be " + shapes + ", got " + ConfigFields.kind(node));
        }
        for (String key : node.propertyNames()) {
            if (!key.equals("allow")) {
                throw error.apply(ConfigFields.child(pointer, key), "unknown field (allowed here: allow)");
            }
        }
        String allowPointer = ConfigFields.child(pointer, "allow");
        JsonNode allow = node.path("allow");
        if (allow.isMissingNode() || allow.isNull()) {
            throw error.apply(allowPointer, "is required: the categories this provider may receive in the clear, e.g. [email]; [] for none");
        }
        EnumSet<Category> allowed = EnumSet.noneOf(Category.class);
        if (allow.isString()) {
            allowed.add(category(allow, allowPointer, error));
        } else if (allow.isArray()) {
            for (int i = 0; i < allow.size(); i++) {
                allowed.add(category(allow.get(i), allowPointer + "/" + i, error));
            }
        } else {
            throw error.apply(allowPointer, "must be a list of categories, got " + ConfigFields.kind(allow));
        }
        return new ProviderDataPolicy(allowed);
    }

    /**
     * Reads a {@code data} entry that is not in a file; messages read {@code <source>: <key>: <problem>}.
     */
    public static ProviderDataPolicy parse(JsonNode node, String source) {
        return parse(node, "", ConfigFields.errors(source));
    }

    /** Reads a {@code data} entry given as a map ({@code {allow: [email]}}); see {@link #parse(JsonNode, String)}. */
    public static ProviderDataPolicy parse(Map<String, ?> entry, String source) {
        JsonNode tree = Json.MAPPER.valueToTree(entry);
        return parse(tree, source);
    }

    private static Category category(JsonNode value, String pointer, BiFunction<String, String, ConfigException> error) {
        if (!value.isString()) {
            throw error.apply(pointer, "must be a category (" + Category.known() + "), got " + ConfigFields.kind(value));
        }
        return Category.fromWire(value.stringValue()).orElseThrow(() -> error.apply(pointer,
                "unknown category '" + value.stringValue() + "' (known: " + Category.known() + ")"));
    }

    /** E.g. {@code ProviderDataPolicy[allow=email, ip]}. */
    @Override
    public String toString() {
        if (allowed.size() == Category.values().length) {
            return "ProviderDataPolicy[" + ALLOW_ALL_WIRE + "]";
        }
        if (allowed.isEmpty()) {
            return "ProviderDataPolicy[" + DENY_ALL_PII_WIRE + "]";
        }
        return "ProviderDataPolicy[allow=" + String.join(", ", allowed.stream().map(Category::wire).toList()) + "]";
    }
}
