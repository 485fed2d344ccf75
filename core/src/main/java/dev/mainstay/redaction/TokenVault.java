package dev.mainstay.redaction;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The placeholders of one job and the values they stand for, to put the values back into a
 * model's answer. Immutable: each {@link Redactor#redact(String, TokenVault) redaction} returns a
 * new vault that extends the one it was given, so passing the previous vault along gives a value
 * the same token in every prompt of a job.
 *
 * <p>Tokens never collide with text: every token-shaped string found in redacted content is
 * reserved and never issued, and one that equals a token issued for an earlier prompt is itself
 * replaced by a fresh token that restores to it. Restoring is a single left-to-right pass, so a
 * restored value is never restored again.
 *
 * <p>A job has one vault: {@link Redactor#jobVault} derives it from what the job has durably
 * recorded (its input and the outputs of its finished stages), so it is never stored and every
 * prompt of the job, on any node and after any restart, gives a value the same token. Holds the
 * original values in memory only. {@link #toString()} shows the number of tokens, never a value;
 * nothing here is meant to be logged or stored.
 */
public final class TokenVault {
    private static final TokenVault EMPTY = new TokenVault(Map.of(), Map.of(), Map.of(), Set.of());

    /** Token to original text. */
    private final Map<String, String> originals;
    /** {@link #key} of a value to its token: one token per value and category. */
    private final Map<String, String> tokens;
    /** The next number to try per label. */
    private final Map<String, Integer> next;
    /** Token-shaped strings seen in content: never issued. */
    private final Set<String> reserved;

    private TokenVault(Map<String, String> originals, Map<String, String> tokens, Map<String, Integer> next, Set<String> reserved) {
        this.originals = originals;
        this.tokens = tokens;
        this.next = next;
        this.reserved = reserved;
    }

    /** The vault of a job that has redacted nothing yet. */
    public static TokenVault empty() {
        return EMPTY;
    }

    /** How many tokens have been issued. */
    public int size() {
        return originals.size();
    }

    public boolean isEmpty() {
        return originals.isEmpty();
    }

    /**
     * {@code text} with every token of this vault replaced by its value. Tokens a model kept
     * verbatim are restored wherever they stand, including inside JSON written as text; tokens it
     * changed (other case, added spaces) and token-shaped strings this vault never issued are left
     * alone.
     *
     * <p>Use {@link #restore(JsonNode)} for a parsed JSON answer: a value may hold characters (a
     * quote, a line break) that would need escaping inside a JSON string.
     */
    public String restore(String text) {
        if (originals.isEmpty() || text.indexOf("[[") < 0) {
            return text;
        }
        Matcher m = Placeholders.TOKEN.matcher(text);
        StringBuilder out = null;
        int copied = 0;
        while (m.find()) {
            String original = originals.get(m.group());
            if (original != null) {
                if (out == null) {
                    out = new StringBuilder(text.length() + 64);
                }
                out.append(text, copied, m.start()).append(original);
                copied = m.end();
            }
        }
        return out == null ? text : out.append(text, copied, text.length()).toString();
    }

    /**
     * A copy of {@code tree} with tokens restored in every string value and every object key;
     * numbers, booleans and structure are unchanged. A value restored into a string is exactly
     * the original text, whatever characters it holds.
     */
    public JsonNode restore(JsonNode tree) {
        if (tree.isString()) {
            return JsonNodeFactory.instance.stringNode(restore(tree.stringValue()));
        }
        if (tree.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            tree.properties().forEach(e -> out.set(restore(e.getKey()), restore(e.getValue())));
            return out;
        }
        if (tree.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            tree.values().forEach(v -> out.add(restore(v)));
            return out;
        }
        return tree.deepCopy();
    }

    /**
     * The values this vault holds tokens for, by category: what a later prompt of the job must not
     * send in the clear, wherever it stands. Token-shaped text of the content that a token escapes
     * is not a value and is not listed.
     */
    Map<Category, List<String>> values() {
        Map<Category, List<String>> out = new EnumMap<>(Category.class);
        for (String key : tokens.keySet()) {
            int cut = key.indexOf('\u0000');
            if (cut > 0) {
                Category.fromWire(key.substring(0, cut)).ifPresent(c -> out.computeIfAbsent(c, k -> new ArrayList<>()).add(key.substring(cut + 1)));
            }
        }
        return out;
    }

    /** Never shows a value or a token. */
    @Override
    public String toString() {
        return "TokenVault[tokens=" + originals.size() + "]";
    }

    Issuer issuer() {
        return new Issuer(this);
    }

    private static String key(Category category, String value) {
        return category.wire() + '\u0000' + value;
    }

    /**
     * Issues tokens for one redaction, copying the vault's maps on first change so that an
     * earlier vault stays as it was.
     */
    static final class Issuer {
        private final TokenVault base;
        private Map<String, String> originals;
        private Map<String, String> tokens;
        private Map<String, Integer> next;
        private Set<String> reserved;

        private Issuer(TokenVault base) {
            this.base = base;
            this.originals = base.originals;
            this.tokens = base.tokens;
            this.next = base.next;
            this.reserved = base.reserved;
        }

        private void copyOnWrite() {
            if (originals == base.originals) {
                originals = new HashMap<>(base.originals);
                tokens = new HashMap<>(base.tokens);
                next = new HashMap<>(base.next);
                reserved = new HashSet<>(base.reserved);
            }
        }

        /** Marks a token-shaped string of the content as never to be issued. */
        void reserve(String literal) {
            if (!reserved.contains(literal)) {
                copyOnWrite();
                reserved.add(literal);
            }
        }

        /** Whether {@code literal} is a token this vault has issued. */
        boolean issued(String literal) {
            return originals.containsKey(literal);
        }

        /** The token of {@code value}, issuing one on first sight. */
        String token(Category category, String value) {
            String key = key(category, value);
            String token = tokens.get(key);
            if (token == null) {
                token = fresh(category.label(), value);
                tokens.put(key, token);
            }
            return token;
        }

        /**
         * A fresh token for a token-shaped string of the content that equals an issued token; it
         * restores to that string, not to the value behind the issued token.
         */
        String escape(String literal) {
            Matcher m = Placeholders.TOKEN.matcher(literal);
            if (!m.matches()) {
                throw new IllegalArgumentException("not token-shaped. Indicates a bug.");
            }
            String key = "\u0000" + literal;
            String token = tokens.get(key);
            if (token == null) {
                token = fresh(m.group(1), literal);
                tokens.put(key, token);
            }
            return token;
        }

        private String fresh(String label, String original) {
            copyOnWrite();
            int n = next.getOrDefault(label, 1);
            String token = Placeholders.token(label, n);
            while (reserved.contains(token) || originals.containsKey(token)) {
                token = Placeholders.token(label, ++n);
            }
            next.put(label, n + 1);
            originals.put(token, original);
            return token;
        }

        TokenVault vault() {
            if (originals == base.originals) {
                return base;
            }
            return new TokenVault(Map.copyOf(originals), Map.copyOf(tokens), Map.copyOf(next), Set.copyOf(reserved));
        }
    }
}
