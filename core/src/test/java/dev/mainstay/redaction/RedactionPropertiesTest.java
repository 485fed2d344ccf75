package dev.mainstay.redaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.Json;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Properties of redaction over generated text: prose or arbitrary Unicode (token-shaped strings
 * and bracket fragments included) with generated values of every category embedded. Each value
 * is valid by construction: Luhn and mod-97 check digits are computed, SSN ranges and IP octets
 * drawn inside the valid ones.
 */
class RedactionPropertiesTest {
    private static final Redactor MASK_ALL = Redactor.of(RedactionPolicy.all(Mode.MASK));
    private static final Redactor TOKENIZE_ALL = Redactor.of(RedactionPolicy.all(Mode.TOKENIZE));

    /**
     * One embedded value.
     *
     * @param text what is written into the content
     * @param secret the part that must not leave: the whole text, or the credential of a header
     */
    record Pii(Category category, String text, String secret) {
        @Override
        public String toString() {
            return category.wire() + ":" + text;
        }
    }

    /** Content and the values embedded in it. */
    record Sample(String text, List<Pii> values) {
    }

    // ---- properties --------------------------------------------------------------------------

    @Property(tries = 500)
    void tokenizeThenRestoreIsTheIdentityAcrossTheJobsPrompts(@ForAll("anyTexts") List<Sample> prompts) {
        TokenVault vault = TokenVault.empty();
        for (Sample prompt : prompts) {
            Redaction<String> r = TOKENIZE_ALL.redact(prompt.text(), vault);
            assertThat(r.restore(r.value())).isEqualTo(prompt.text());
            vault = r.vault();
        }
    }

    @Property(tries = 500)
    void afterRedactionNoEmbeddedValueAppearsInTheOutput(@ForAll("prose") Sample sample, @ForAll("hidingModes") Mode mode) {
        Redaction<String> r = Redactor.of(RedactionPolicy.all(mode)).redact(sample.text());
        for (Pii pii : sample.values()) {
            assertThat(r.value()).doesNotContain(pii.secret());
        }
        assertThat(r.report().isEmpty()).isEqualTo(sample.values().isEmpty());
    }

    @Property(tries = 300)
    void aValueGetsOneTokenWhereverItAppearsInAJob(@ForAll("pii") Pii pii, @ForAll("words") String before, @ForAll("words") String after) {
        Assume.that(pii.text().equals(pii.secret()));
        Redaction<String> first = TOKENIZE_ALL.redact(before + " " + pii.text() + " " + after);
        Redaction<String> second = TOKENIZE_ALL.redact(after + " " + pii.text() + ", " + pii.text(), first.vault());
        String token = first.value().substring(before.length() + 1, first.value().length() - after.length() - 1);
        assertThat(token).matches("\\[\\[[A-Z]+_1]]");
        assertThat(second.value()).isEqualTo(after + " " + token + ", " + token);
    }

    @Property(tries = 300)
    void maskedCardsLeaveNoDigitInTextThatHadNoOtherDigits(@ForAll("cardProse") Sample sample) {
        Redaction<String> r = MASK_ALL.redact(sample.text());
        assertThat(r.value()).doesNotContainPattern("[0-9]");
        assertThat(r.report().count(Category.CARD)).isEqualTo(sample.values().size());
    }

    @Property(tries = 500)
    void redactingRedactedTextFindsNothingNew(@ForAll("mixed") Sample sample, @ForAll("hidingModes") Mode mode) {
        Redactor redactor = Redactor.of(RedactionPolicy.all(mode));
        Redaction<String> once = redactor.redact(sample.text());
        Redaction<String> twice = redactor.redact(once.value());
        assertThat(twice.report()).isEqualTo(Report.EMPTY);
        assertThat(twice.value()).isEqualTo(once.value());
    }

    @Property(tries = 500)
    void blockRefusesIfAndOnlyIfABlockedCategoryIsFound(@ForAll("mixed") Sample sample, @ForAll("categorySets") Set<Category> blocked) {
        RedactionPolicy policy = RedactionPolicy.all(Mode.MASK);
        for (Category c : blocked) {
            policy = policy.with(c, Mode.BLOCK);
        }
        Redactor redactor = Redactor.of(policy);
        Redaction<String> masked = MASK_ALL.redact(sample.text());
        Report expected = masked.report().only(blocked);
        if (expected.isEmpty()) {
            assertThat(redactor.redact(sample.text()).value()).isEqualTo(masked.value());
        } else {
            assertThatThrownBy(() -> redactor.redact(sample.text()))
                    .isInstanceOfSatisfying(RedactionBlockedException.class, e -> {
                        assertThat(e.blocked()).isEqualTo(expected);
                        sample.values().forEach(pii -> assertThat(e.getMessage()).doesNotContain(pii.secret()));
                    });
        }
    }

    @Property(tries = 300)
    void aJsonDocumentTokenizedThenRestoredIsTheSameDocument(@ForAll("anyTexts") List<Sample> leaves) {
        ObjectNode doc = Json.object();
        for (int i = 0; i < leaves.size(); i++) {
            if (i % 3 == 2) {
                doc.putArray("list" + i).add(leaves.get(i).text()).add(i).addObject().put("nested", leaves.get(i).text());
            } else {
                doc.put("field" + i, leaves.get(i).text());
            }
        }
        Redaction<JsonNode> r = TOKENIZE_ALL.redact(doc);
        assertThat(r.restore(r.value())).isEqualTo(doc);
    }

    // ---- content -----------------------------------------------------------------------------

    @Provide
    Arbitrary<Mode> hidingModes() {
        return Arbitraries.of(Mode.MASK, Mode.TOKENIZE);
    }

    @Provide
    Arbitrary<Set<Category>> categorySets() {
        return Arbitraries.of(Category.class).set().ofMinSize(1).map(s -> (Set<Category>) EnumSet.copyOf(s));
    }

    @Provide
    Arbitrary<String> words() {
        return Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(9).list().ofMinSize(1).ofMaxSize(4).map(w -> String.join(" ", w));
    }

    /** Letters, spaces and punctuation that never make or join a value. */
    private Arbitrary<String> proseFiller() {
        return Combinators.combine(words(), Arbitraries.of("", ",", ";", ".", "!", "?", " (", ") ", " -", ":"))
                .as((w, p) -> w + p);
    }

    /** Anything: Unicode, digits, brackets, token-shaped strings. */
    private Arbitrary<String> anyFiller() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(20),
                Arbitraries.strings().withChars("[]_ 0123456789EMAILCRD").ofMaxLength(16),
                Arbitraries.of("[[EMAIL_1]]", "[[CARD_1]]", "[[PHONE_2]]", "[[SECRET_1]]", "[[EMAIL_1", "EMAIL_1]]", "[[", "]]", "[[IP_10]]", "[EMAIL]"),
                proseFiller());
    }

    @Provide
    Arbitrary<Sample> prose() {
        return samples(proseFiller(), pii(), " ");
    }

    @Provide
    Arbitrary<Sample> mixed() {
        return samples(Arbitraries.oneOf(proseFiller(), proseFiller(), anyFiller()), pii(), " ");
    }

    @Provide
    Arbitrary<List<Sample>> anyTexts() {
        return samples(anyFiller(), pii(), "").list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<Sample> cardProse() {
        return samples(proseFiller(), cards(), " ");
    }

    /** Filler and values alternating, joined by {@code separator}. */
    private static Arbitrary<Sample> samples(Arbitrary<String> filler, Arbitrary<Pii> values, String separator) {
        Arbitrary<Object> part = Arbitraries.oneOf(filler.map(f -> (Object) f), values.map(v -> (Object) v));
        return part.list().ofMaxSize(12).map(parts -> {
            StringBuilder text = new StringBuilder();
            List<Pii> embedded = new ArrayList<>();
            for (Object p : parts) {
                if (!text.isEmpty()) {
                    text.append(separator);
                }
                if (p instanceof Pii pii) {
                    embedded.add(pii);
                    text.append(pii.text());
                } else {
                    text.append((String) p);
                }
            }
            return new Sample(text.toString(), embedded);
        });
    }

    // ---- values ------------------------------------------------------------------------------

    @Provide
    Arbitrary<Pii> pii() {
        return Arbitraries.oneOf(emails(), phones(), cards(), ibans(), ssns(), ipv4s(), ipv6s(), secrets());
    }

    private static Arbitrary<String> alnum(int min, int max) {
        return Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').withCharRange('0', '9').ofMinLength(min).ofMaxLength(max);
    }

    private static Arbitrary<String> digits(int length) {
        return Arbitraries.strings().numeric().ofLength(length);
    }

    private static Arbitrary<Pii> emails() {
        Arbitrary<String> local = Combinators.combine(alnum(1, 12), Arbitraries.of("", ".", "+", "_", "-"), alnum(1, 6))
                .as((a, sep, b) -> sep.isEmpty() ? a : a + sep + b);
        Arbitrary<String> host = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').ofMinLength(1).ofMaxLength(10)
                .list().ofMinSize(1).ofMaxSize(3).map(l -> String.join(".", l));
        return Combinators.combine(local, host, Arbitraries.of("com", "org", "io", "co.uk", "museum", "de"))
                .as((l, h, tld) -> email(l + "@" + h + "." + tld));
    }

    private static Pii email(String text) {
        return new Pii(Category.EMAIL, text, text);
    }

    private static Arbitrary<Pii> phones() {
        Arbitrary<String> international = Combinators.combine(Arbitraries.of("1", "44", "33", "49", "91", "353", "86"),
                        Arbitraries.integers().between(7, 11).flatMap(RedactionPropertiesTest::digits), Arbitraries.of(" ", "-", "."))
                .as((cc, national, sep) -> "+" + cc + sep + grouped(national, sep));
        Arbitrary<String> northAmerican = Combinators.combine(digits(3), digits(3), digits(4), Arbitraries.of("%s-%s-%s", "(%s) %s-%s", "%s.%s.%s", "%s %s %s"))
                .as((a, b, c, format) -> format.formatted(a, b, c));
        Arbitrary<String> trunk = Combinators.combine(digits(2), Arbitraries.integers().between(7, 9).flatMap(RedactionPropertiesTest::digits), Arbitraries.of(" ", "-", "/"))
                .as((area, rest, sep) -> "0" + area + sep + grouped(rest, sep));
        return Arbitraries.oneOf(international, northAmerican, trunk).map(t -> new Pii(Category.PHONE, t, t));
    }

    /** Digits in groups of 3 or 4 (and a last group of at least 2). */
    private static String grouped(String digits, String sep) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < digits.length()) {
            int size = digits.length() - i <= 5 ? digits.length() - i : 3 + (i % 2);
            out.append(out.isEmpty() ? "" : sep).append(digits, i, i + size);
            i += size;
        }
        return out.toString();
    }

    @Provide
    Arbitrary<Pii> cards() {
        Arbitrary<String> number = Combinators.combine(Arbitraries.of("4", "51", "55", "2221", "6011", "35", "34", "37"), digits(14))
                .as((prefix, body) -> {
                    int length = prefix.startsWith("3") && !prefix.equals("35") ? 15 : 16;
                    String partial = (prefix + body).substring(0, length - 1);
                    return partial + luhnDigit(partial);
                });
        return Combinators.combine(number, Arbitraries.of("", " ", "-")).as((n, sep) -> {
            String text = sep.isEmpty() ? n : n.length() == 15
                    ? n.substring(0, 4) + sep + n.substring(4, 10) + sep + n.substring(10)
                    : String.join(sep, n.substring(0, 4), n.substring(4, 8), n.substring(8, 12), n.substring(12));
            return new Pii(Category.CARD, text, text);
        });
    }

    private static int luhnDigit(String partial) {
        for (int d = 0; d <= 9; d++) {
            if (Cards.luhn(partial + d)) {
                return d;
            }
        }
        throw new AssertionError("no Luhn digit for " + partial);
    }

    private static Arbitrary<Pii> ibans() {
        Arbitrary<String[]> country = Arbitraries.of(new String[] {"DE", "22"}, new String[] {"GB", "22"}, new String[] {"FR", "27"}, new String[] {"NL", "18"},
                new String[] {"BE", "16"}, new String[] {"CH", "21"}, new String[] {"NO", "15"}, new String[] {"IT", "27"}, new String[] {"PL", "28"},
                new String[] {"MT", "31"});
        return country.flatMap(c -> digits(Integer.parseInt(c[1]) - 4).flatMap(bban -> Arbitraries.of(true, false).map(spaced -> {
            int check = 98 - Ibans.mod97(c[0] + "00" + bban);
            String iban = c[0] + (check < 10 ? "0" : "") + check + bban;
            String text = spaced ? iban.replaceAll("(.{4})(?!$)", "$1 ") : iban;
            return new Pii(Category.IBAN, text, text);
        })));
    }

    private static Arbitrary<Pii> ssns() {
        Arbitrary<Integer> area = Arbitraries.integers().between(1, 899).filter(a -> a != 666);
        return Combinators.combine(area, Arbitraries.integers().between(1, 99), Arbitraries.integers().between(1, 9999))
                .as((a, g, s) -> {
                    String text = "%03d-%02d-%04d".formatted(a, g, s);
                    return new Pii(Category.SSN, text, text);
                });
    }

    private static Arbitrary<Pii> ipv4s() {
        return Arbitraries.integers().between(0, 255).list().ofSize(4).map(o -> {
            String text = o.get(0) + "." + o.get(1) + "." + o.get(2) + "." + o.get(3);
            return new Pii(Category.IP, text, text);
        });
    }

    private static Arbitrary<Pii> ipv6s() {
        Arbitrary<String> group = Arbitraries.strings().withChars("0123456789abcdef").ofMinLength(1).ofMaxLength(4);
        return Combinators.combine(group.list().ofSize(7), Arbitraries.integers().between(1, 8), Arbitraries.integers().between(1, 7))
                .as((groups, gapAt, gapLength) -> {
                    List<String> g = new ArrayList<>(groups);
                    g.addFirst("2001");
                    String text;
                    if (gapAt == 8) {
                        text = String.join(":", g);
                    } else {
                        int to = Math.min(8, gapAt + gapLength);
                        text = String.join(":", g.subList(0, gapAt)) + "::" + String.join(":", g.subList(to, 8));
                    }
                    return new Pii(Category.IP, text, text);
                });
    }

    private static Arbitrary<Pii> secrets() {
        Arbitrary<String> urlSafe = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').withCharRange('0', '9').withChars("_-").ofMinLength(24).ofMaxLength(48);
        Arbitrary<String> upper = Arbitraries.strings().withCharRange('A', 'Z').withCharRange('0', '9').ofLength(16);
        Arbitrary<String> base64 = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').withCharRange('0', '9').withChars("+/").ofLength(64);
        Arbitrary<Pii> shaped = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of("sk-", "sk-proj-", "sk-ant-api03-"), urlSafe).as(String::concat),
                Combinators.combine(Arbitraries.of("AKIA", "ASIA"), upper).as(String::concat),
                alnum(36, 36).map(s -> "ghp_" + s),
                alnum(60, 82).map(s -> "github_pat_" + s),
                Combinators.combine(digits(12), alnum(24, 24)).as((d, a) -> "xoxb-" + d + "-" + a),
                urlSafe.map(s -> "AIza" + (s + "x".repeat(35)).substring(0, 35)),
                Combinators.combine(urlSafe, urlSafe, urlSafe).as((h, p, s) -> "eyJ" + h + ".eyJ" + p + "." + s),
                base64.list().ofMinSize(1).ofMaxSize(3).map(lines -> "-----BEGIN RSA PRIVATE KEY-----\n" + String.join("\n", lines) + "\n-----END RSA PRIVATE KEY-----"))
                .map(t -> new Pii(Category.SECRET, t, t));
        Arbitrary<Pii> header = urlSafe.map(token -> new Pii(Category.SECRET, "Authorization: Bearer " + token, token));
        return Arbitraries.oneOf(shaped, header);
    }
}
