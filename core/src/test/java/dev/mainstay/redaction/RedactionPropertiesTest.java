package dev.mainstay.redaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.Json;
import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
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
    void tokenizeThenRestoreIsTheIdentityAcrossTheJobsPrompts(SeededRandom random) {
        List<Sample> prompts = random.draw("prompts", RedactionPropertiesTest::anyTexts);
        TokenVault vault = TokenVault.empty();
        for (Sample prompt : prompts) {
            Redaction<String> r = TOKENIZE_ALL.redact(prompt.text(), vault);
            assertThat(r.restore(r.value())).isEqualTo(prompt.text());
            vault = r.vault();
        }
    }

    @Property(tries = 500)
    void afterRedactionNoEmbeddedValueAppearsInTheOutput(SeededRandom random) {
        Sample sample = random.draw("sample", RedactionPropertiesTest::prose);
        Mode mode = random.draw("mode", RedactionPropertiesTest::hidingMode);
        Redaction<String> r = Redactor.of(RedactionPolicy.all(mode)).redact(sample.text());
        for (Pii pii : sample.values()) {
            assertThat(r.value()).doesNotContain(pii.secret());
        }
        assertThat(r.report().isEmpty()).isEqualTo(sample.values().isEmpty());
    }

    @Property(tries = 300)
    void aValueGetsOneTokenWhereverItAppearsInAJob(SeededRandom random) {
        Pii pii = random.draw("pii", RedactionPropertiesTest::wholeValue);
        String before = random.draw("before", RedactionPropertiesTest::words);
        String after = random.draw("after", RedactionPropertiesTest::words);
        Redaction<String> first = TOKENIZE_ALL.redact(before + " " + pii.text() + " " + after);
        Redaction<String> second = TOKENIZE_ALL.redact(after + " " + pii.text() + ", " + pii.text(), first.vault());
        String token = first.value().substring(before.length() + 1, first.value().length() - after.length() - 1);
        assertThat(token).matches("\\[\\[[A-Z]+_1]]");
        assertThat(second.value()).isEqualTo(after + " " + token + ", " + token);
    }

    @Property(tries = 300)
    void maskedCardsLeaveNoDigitInTextThatHadNoOtherDigits(SeededRandom random) {
        Sample sample = random.draw("sample", RedactionPropertiesTest::cardProse);
        Redaction<String> r = MASK_ALL.redact(sample.text());
        assertThat(r.value()).doesNotContainPattern("[0-9]");
        assertThat(r.report().count(Category.CARD)).isEqualTo(sample.values().size());
    }

    @Property(tries = 500)
    void redactingRedactedTextFindsNothingNew(SeededRandom random) {
        Sample sample = random.draw("sample", RedactionPropertiesTest::mixed);
        Mode mode = random.draw("mode", RedactionPropertiesTest::hidingMode);
        Redactor redactor = Redactor.of(RedactionPolicy.all(mode));
        Redaction<String> once = redactor.redact(sample.text());
        Redaction<String> twice = redactor.redact(once.value());
        assertThat(twice.report()).isEqualTo(Report.EMPTY);
        assertThat(twice.value()).isEqualTo(once.value());
    }

    @Property(tries = 500)
    void blockRefusesIfAndOnlyIfABlockedCategoryIsFound(SeededRandom random) {
        Sample sample = random.draw("sample", RedactionPropertiesTest::mixed);
        Set<Category> blocked = random.draw("blocked", RedactionPropertiesTest::categorySet);
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
    void aJsonDocumentTokenizedThenRestoredIsTheSameDocument(SeededRandom random) {
        List<Sample> leaves = random.draw("leaves", RedactionPropertiesTest::anyTexts);
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

    private static Mode hidingMode(SeededRandom random) {
        return random.pick(Mode.MASK, Mode.TOKENIZE);
    }

    private static Set<Category> categorySet(SeededRandom random) {
        return EnumSet.copyOf(random.distinct(List.of(Category.values()), 1, Category.values().length));
    }

    private static String words(SeededRandom random) {
        return String.join(" ", random.list(1, 4, r -> r.string(1, 9, SeededRandom.LOWERCASE)));
    }

    /** Letters, spaces and punctuation that never make or join a value. */
    private static String proseFiller(SeededRandom random) {
        return words(random) + random.pick("", ",", ";", ".", "!", "?", " (", ") ", " -", ":");
    }

    /** Anything: Unicode, digits, brackets, token-shaped strings. */
    private static String anyFiller(SeededRandom random) {
        return random.oneOf(
                r -> r.anyString(0, 20),
                r -> r.string(0, 16, "[]_ 0123456789EMAILCRD"),
                r -> r.pick("[[EMAIL_1]]", "[[CARD_1]]", "[[PHONE_2]]", "[[SECRET_1]]", "[[EMAIL_1", "EMAIL_1]]", "[[", "]]", "[[IP_10]]", "[EMAIL]"),
                RedactionPropertiesTest::proseFiller);
    }

    private static Sample prose(SeededRandom random) {
        return sample(random, RedactionPropertiesTest::proseFiller, RedactionPropertiesTest::pii, " ");
    }

    private static Sample mixed(SeededRandom random) {
        return sample(random, r -> r.oneOf(RedactionPropertiesTest::proseFiller, RedactionPropertiesTest::proseFiller, RedactionPropertiesTest::anyFiller),
                RedactionPropertiesTest::pii, " ");
    }

    private static List<Sample> anyTexts(SeededRandom random) {
        return random.list(1, 4, r -> sample(r, RedactionPropertiesTest::anyFiller, RedactionPropertiesTest::pii, ""));
    }

    private static Sample cardProse(SeededRandom random) {
        return sample(random, RedactionPropertiesTest::proseFiller, RedactionPropertiesTest::card, " ");
    }

    /** Up to twelve parts, filler or values as likely, joined by {@code separator}. */
    private static Sample sample(SeededRandom random, Function<SeededRandom, String> filler, Function<SeededRandom, Pii> values, String separator) {
        StringBuilder text = new StringBuilder();
        List<Pii> embedded = new ArrayList<>();
        int parts = random.intBetween(0, 12);
        for (int i = 0; i < parts; i++) {
            if (!text.isEmpty()) {
                text.append(separator);
            }
            if (random.nextBoolean()) {
                Pii pii = values.apply(random);
                embedded.add(pii);
                text.append(pii.text());
            } else {
                text.append(filler.apply(random));
            }
        }
        return new Sample(text.toString(), embedded);
    }

    // ---- values ------------------------------------------------------------------------------

    private static Pii pii(SeededRandom random) {
        return random.oneOf(RedactionPropertiesTest::email, RedactionPropertiesTest::phone, RedactionPropertiesTest::card, RedactionPropertiesTest::iban,
                RedactionPropertiesTest::ssn, RedactionPropertiesTest::ipv4, RedactionPropertiesTest::ipv6, RedactionPropertiesTest::secret);
    }

    /** A value whose secret is all of its text (not a header around a credential). */
    private static Pii wholeValue(SeededRandom random) {
        Pii pii;
        do {
            pii = pii(random);
        } while (!pii.text().equals(pii.secret()));
        return pii;
    }

    private static String alnum(SeededRandom random, int min, int max) {
        return random.string(min, max, SeededRandom.LOWERCASE + SeededRandom.UPPERCASE + SeededRandom.DIGITS);
    }

    private static String digits(SeededRandom random, int length) {
        return random.string(length, length, SeededRandom.DIGITS);
    }

    private static Pii email(SeededRandom random) {
        String a = alnum(random, 1, 12);
        String sep = random.pick("", ".", "+", "_", "-");
        String b = alnum(random, 1, 6);
        String local = sep.isEmpty() ? a : a + sep + b;
        String host = String.join(".", random.list(1, 3, r -> r.string(1, 10, SeededRandom.LOWERCASE + SeededRandom.DIGITS)));
        String text = local + "@" + host + "." + random.pick("com", "org", "io", "co.uk", "museum", "de");
        return new Pii(Category.EMAIL, text, text);
    }

    private static Pii phone(SeededRandom random) {
        String text = random.oneOf(
                r -> {
                    String cc = r.pick("1", "44", "33", "49", "91", "353", "86");
                    String national = digits(r, r.intBetween(7, 11));
                    String sep = r.pick(" ", "-", ".");
                    return "+" + cc + sep + grouped(national, sep);
                },
                r -> r.pick("%s-%s-%s", "(%s) %s-%s", "%s.%s.%s", "%s %s %s").formatted(digits(r, 3), digits(r, 3), digits(r, 4)),
                r -> {
                    String area = digits(r, 2);
                    String rest = digits(r, r.intBetween(7, 9));
                    String sep = r.pick(" ", "-", "/");
                    return "0" + area + sep + grouped(rest, sep);
                });
        return new Pii(Category.PHONE, text, text);
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

    private static Pii card(SeededRandom random) {
        String prefix = random.pick("4", "51", "55", "2221", "6011", "35", "34", "37");
        int length = prefix.startsWith("3") && !prefix.equals("35") ? 15 : 16;
        String partial = (prefix + digits(random, 14)).substring(0, length - 1);
        String n = partial + luhnDigit(partial);
        String sep = random.pick("", " ", "-");
        String text = sep.isEmpty() ? n : n.length() == 15
                ? n.substring(0, 4) + sep + n.substring(4, 10) + sep + n.substring(10)
                : String.join(sep, n.substring(0, 4), n.substring(4, 8), n.substring(8, 12), n.substring(12));
        return new Pii(Category.CARD, text, text);
    }

    private static int luhnDigit(String partial) {
        for (int d = 0; d <= 9; d++) {
            if (Cards.luhn(partial + d)) {
                return d;
            }
        }
        throw new AssertionError("no Luhn digit for " + partial);
    }

    /** Countries and their IBAN lengths. */
    private static final List<String[]> IBAN_COUNTRIES = List.of(new String[] {"DE", "22"}, new String[] {"GB", "22"}, new String[] {"FR", "27"},
            new String[] {"NL", "18"}, new String[] {"BE", "16"}, new String[] {"CH", "21"}, new String[] {"NO", "15"}, new String[] {"IT", "27"},
            new String[] {"PL", "28"}, new String[] {"MT", "31"});

    private static Pii iban(SeededRandom random) {
        String[] c = random.pick(IBAN_COUNTRIES);
        String bban = digits(random, Integer.parseInt(c[1]) - 4);
        int check = 98 - Ibans.mod97(c[0] + "00" + bban);
        String iban = c[0] + (check < 10 ? "0" : "") + check + bban;
        String text = random.nextBoolean() ? iban.replaceAll("(.{4})(?!$)", "$1 ") : iban;
        return new Pii(Category.IBAN, text, text);
    }

    private static Pii ssn(SeededRandom random) {
        int area;
        do {
            area = random.intBetween(1, 899);
        } while (area == 666);
        String text = "%03d-%02d-%04d".formatted(area, random.intBetween(1, 99), random.intBetween(1, 9999));
        return new Pii(Category.SSN, text, text);
    }

    private static Pii ipv4(SeededRandom random) {
        List<Integer> o = random.list(4, 4, r -> r.intBetween(0, 255));
        String text = o.get(0) + "." + o.get(1) + "." + o.get(2) + "." + o.get(3);
        return new Pii(Category.IP, text, text);
    }

    private static Pii ipv6(SeededRandom random) {
        List<String> g = random.list(7, 7, r -> r.string(1, 4, "0123456789abcdef"));
        int gapAt = random.intBetween(1, 8);
        int gapLength = random.intBetween(1, 7);
        g.addFirst("2001");
        String text;
        if (gapAt == 8) {
            text = String.join(":", g);
        } else {
            int to = Math.min(8, gapAt + gapLength);
            text = String.join(":", g.subList(0, gapAt)) + "::" + String.join(":", g.subList(to, 8));
        }
        return new Pii(Category.IP, text, text);
    }

    private static final String URL_SAFE = SeededRandom.LOWERCASE + SeededRandom.UPPERCASE + SeededRandom.DIGITS + "_-";

    private static Pii secret(SeededRandom random) {
        if (random.nextBoolean()) {
            String token = random.string(24, 48, URL_SAFE);
            return new Pii(Category.SECRET, "Authorization: Bearer " + token, token);
        }
        String text = random.oneOf(
                r -> r.pick("sk-", "sk-proj-", "sk-ant-api03-") + r.string(24, 48, URL_SAFE),
                r -> r.pick("AKIA", "ASIA") + r.string(16, 16, SeededRandom.UPPERCASE + SeededRandom.DIGITS),
                r -> "ghp_" + alnum(r, 36, 36),
                r -> "github_pat_" + alnum(r, 60, 82),
                r -> "xoxb-" + digits(r, 12) + "-" + alnum(r, 24, 24),
                r -> "AIza" + (r.string(24, 48, URL_SAFE) + "x".repeat(35)).substring(0, 35),
                r -> "eyJ" + r.string(24, 48, URL_SAFE) + ".eyJ" + r.string(24, 48, URL_SAFE) + "." + r.string(24, 48, URL_SAFE),
                r -> "-----BEGIN RSA PRIVATE KEY-----\n"
                        + String.join("\n", r.list(1, 3, line -> line.string(64, 64, SeededRandom.LOWERCASE + SeededRandom.UPPERCASE + SeededRandom.DIGITS + "+/")))
                        + "\n-----END RSA PRIVATE KEY-----");
        return new Pii(Category.SECRET, text, text);
    }
}
