package dev.mainstay.redaction;

import dev.mainstay.Json;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the redactor did to the content of one stage before it left for a provider: how many values
 * of each category were masked, tokenized or refused, and which categories the policy let through
 * without looking. Counts and category names only, never a value: it is stored with the stage's
 * provenance and shown to API clients.
 *
 * <pre>{@code
 * {"mask": {}, "tokenize": {"email": 1, "phone": 2}, "block": {}, "not_redacted": ["iban", "ip"]}
 * }</pre>
 *
 * @param masked values replaced by their label, e.g. {@code [EMAIL]}
 * @param tokenized values replaced by placeholders (restored in the answer)
 * @param blocked values that made the redactor refuse the content: nothing was sent
 * @param notRedacted categories the policy allowed in the clear: not looked for, so not counted
 */
public record Egress(Report masked, Report tokenized, Report blocked, Set<Category> notRedacted) {
    /** Nothing redacted and every category allowed: what a stage without a policy sends. */
    public static final Egress NONE = new Egress(Report.EMPTY, Report.EMPTY, Report.EMPTY, EnumSet.allOf(Category.class));

    public Egress {
        EnumSet<Category> copy = EnumSet.noneOf(Category.class);
        copy.addAll(notRedacted);
        notRedacted = Collections.unmodifiableSet(copy);
    }

    /** Splits what a redaction found by the mode {@code policy} gives each category. */
    public static Egress of(RedactionPolicy policy, Report found) {
        Report blocked = found.only(policy.categories(Mode.BLOCK));
        // A refusal sends nothing: the other counts would describe a message that never left.
        if (!blocked.isEmpty()) {
            return new Egress(Report.EMPTY, Report.EMPTY, blocked, policy.categories(Mode.ALLOW));
        }
        return new Egress(found.only(policy.categories(Mode.MASK)), found.only(policy.categories(Mode.TOKENIZE)), Report.EMPTY,
                policy.categories(Mode.ALLOW));
    }

    /** The counts added up (e.g. a repair message after the first call, or the stages of a job); categories not redacted by either. */
    public Egress plus(Egress other) {
        EnumSet<Category> both = EnumSet.noneOf(Category.class);
        both.addAll(notRedacted);
        both.addAll(other.notRedacted);
        return new Egress(masked.plus(other.masked), tokenized.plus(other.tokenized), blocked.plus(other.blocked), both);
    }

    /** Whether nothing was masked, tokenized or blocked. */
    public boolean isEmpty() {
        return masked.isEmpty() && tokenized.isEmpty() && blocked.isEmpty();
    }

    /** The wire and storage form, as in the class comment. */
    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.set(Mode.MASK.wire(), counts(masked));
        o.set(Mode.TOKENIZE.wire(), counts(tokenized));
        o.set(Mode.BLOCK.wire(), counts(blocked));
        var clear = o.putArray("not_redacted");
        notRedacted.forEach(c -> clear.add(c.wire()));
        return o;
    }

    /** Reads {@link #toJson()}; unknown categories (from a newer version) are skipped. */
    public static Egress fromJson(JsonNode o) {
        EnumSet<Category> clear = EnumSet.noneOf(Category.class);
        o.path("not_redacted").values().forEach(v -> Category.fromWire(v.asString("")).ifPresent(clear::add));
        return new Egress(report(o.path(Mode.MASK.wire())), report(o.path(Mode.TOKENIZE.wire())), report(o.path(Mode.BLOCK.wire())), clear);
    }

    private static ObjectNode counts(Report report) {
        ObjectNode o = Json.object();
        report.counts().forEach((c, n) -> o.put(c.wire(), n));
        return o;
    }

    private static Report report(JsonNode o) {
        Map<Category, Integer> counts = new EnumMap<>(Category.class);
        o.properties().forEach(e -> Category.fromWire(e.getKey()).ifPresent(c -> counts.put(c, Math.max(0, e.getValue().asInt(0)))));
        return new Report(counts);
    }

    /** E.g. {@code Egress[tokenize: email: 1; mask: nothing; block: nothing]}. */
    @Override
    public String toString() {
        return "Egress[tokenize: " + tokenized + "; mask: " + masked + "; block: " + blocked + "]";
    }
}
