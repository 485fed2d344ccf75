package dev.mainstay.redaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.mainstay.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Values written the way real text writes them rather than the way a form does: Unicode spaces
 * and dashes as separators, digits of other scripts, full-width forms, internationalised
 * addresses, names with apostrophes and accents, values glued to words. Each is found whole, the
 * original characters are what is replaced, and the placeholder restores them exactly.
 */
class UnusualFormsTest {
    private static final Redactor TOKENIZE_ALL = Redactor.of(RedactionPolicy.all(Mode.TOKENIZE));
    private static final Redactor MASK_ALL = Redactor.of(RedactionPolicy.all(Mode.MASK));
    private static final Redactor SUPPORT = Redactor.of(RedactionPolicy.NONE.with(Category.EMAIL, Mode.TOKENIZE)
            .with(Category.PHONE, Mode.TOKENIZE).with(Category.CARD, Mode.TOKENIZE));

    /** {@code category, the sample as written}: found as exactly one value covering exactly the sample. */
    static Stream<Arguments> whole() {
        List<Arguments> out = new ArrayList<>();
        add(out, Category.CARD,
                "4111\u00A01111\u00A01111\u00A01111",          // no-break spaces
                "4111\u202F1111\u202F1111\u202F1111",          // narrow no-break spaces
                "4111\u20091111\u20091111\u20091111",          // thin spaces
                "4111\u20071111\u20071111\u20071111",          // figure spaces
                "4111\u30001111\u30001111\u30001111",          // ideographic spaces
                "4111\u00A01111 1111\u20071111",               // mixed space kinds
                "4111\u20131111\u20131111\u20131111",          // en dashes
                "4111\u20141111\u20141111\u20141111",          // em dashes
                "4111\u20111111\u20111111\u20111111",          // non-breaking hyphens
                "4111\u22121111\u22121111\u22121111",          // minus signs
                "4111\uFF0D1111\uFF0D1111\uFF0D1111",          // full-width hyphen-minus
                "4111-1111\u20101111\u20131111",               // mixed dash kinds
                "4111\u200B1111\u200B1111\u200B1111",          // zero-width spaces
                "4111\u00AD1111\u00AD1111\u00AD1111",          // soft hyphens
                "\uFF14\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11", // full-width digits
                "\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661", // Arabic-Indic
                "\u06F4\u06F0\u06F1\u06F2 \u06F8\u06F8\u06F8\u06F8 \u06F8\u06F8\u06F8\u06F8 \u06F1\u06F8\u06F8\u06F1", // Persian
                "\u096A\u0966\u0967\u0968\u096E\u096E\u096E\u096E\u096E\u096E\u096E\u096E\u0967\u096E\u096E\u0967", // Devanagari
                "\u0E54\u0E51\u0E51\u0E51 \u0E51\u0E51\u0E51\u0E51 \u0E51\u0E51\u0E51\u0E51 \u0E51\u0E51\u0E51\u0E51", // Thai
                "\uD835\uDFD2\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF"
                        + "\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF\uD835\uDFCF", // mathematical bold
                "\u0664\u0661\u0661\u0661\u00A0\u0661\u0661\u0661\u0661\u00A0\u0661\u0661\u0661\u0661\u00A0\u0661\u0661\u0661\u0661"); // both
        add(out, Category.PHONE,
                "+1\u00A0415\u00A0555\u00A00188",
                "+44\u202F20\u202F7946\u202F0958",
                "(415)\u00A0555\u20130188",
                "415\u2011555\u20110188",
                "+\u0661 \u0664\u0661\u0665 \u0665\u0665\u0665 \u0660\u0661\u0668\u0668",
                "\uFF0B\uFF11 \uFF14\uFF11\uFF15 \uFF15\uFF15\uFF15 \uFF10\uFF11\uFF18\uFF18",
                "\uFF08\uFF14\uFF11\uFF15\uFF09 \uFF15\uFF15\uFF15\uFF0D\uFF10\uFF11\uFF18\uFF18",
                "+49 (0)30 / 123 456 78",
                "+1 - 415 - 555 - 0188",
                "+44 (0) 20-7946-0958",
                "+1 415 555 0188 ext. 123");
        add(out, Category.EMAIL,
                "o'neil@example.com",
                "o\u2019neil@example.com",
                "caf\u00E9.owner@example.com",
                "cafe\u0301.owner@example.com",
                "jos\u00E9@example.com",
                "d'angelo.ma\u00EEtre@example.fr",
                "\u7528\u6237@\u4F8B\u5B50.\u5E7F\u544A",
                "\u0438\u0432\u0430\u043D@\u043F\u0440\u0438\u043C\u0435\u0440.\u0440\u0444",
                "user@b\u00FCcher.de",
                "\u03B4\u03BF\u03BA\u03B9\u03BC\u03AE@\u03C0\u03B1\u03C1\u03AC\u03B4\u03B5\u03B9\u03B3\u03BC\u03B1.\u03B4\u03BF\u03BA\u03B9\u03BC\u03AE",
                "\u0905\u091C\u092F@\u0921\u093E\u091F\u093E.\u092D\u093E\u0930\u0924",
                "x@xn--bcher-kva.example",
                "alice@example.xn--p1ai",
                "\uFF41\uFF4C\uFF49\uFF43\uFF45\uFF20\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\uFF0E\uFF43\uFF4F\uFF4D",
                "alice\uFE6Bexample.com",
                "bob&alice!x#y$z^w~v@example.com");
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("whole")
    void anUnusualFormIsFoundWholeAndRestoredExactly(Category category, String sample) {
        String text = "Contact: " + sample + " today.";
        Redaction<String> r = TOKENIZE_ALL.redact(text);
        assertThat(r.value()).isEqualTo("Contact: [[" + category.label() + "_1]] today.");
        assertThat(r.report().counts()).containsExactly(entry(category, 1));
        assertThat(r.restore(r.value())).isEqualTo(text);
        assertThat(MASK_ALL.redact(text).value()).isEqualTo("Contact: [" + category.label() + "] today.");
    }

    /** {@code text, what leaves}: values glued to words, and text that must not be taken for one. */
    static Stream<Arguments> glued() {
        return Stream.of(
                Arguments.of("card4012888888881881end", "card[[CARD_1]]end"),
                Arguments.of("Card:4012888888881881.", "Card:[[CARD_1]]."),
                Arguments.of("number4111 1111 1111 1111please", "number[[CARD_1]]please"),
                Arguments.of("phone+14155550188x", "phone[[PHONE_1]]x"),
                Arguments.of("ref+14155550188", "ref[[PHONE_1]]"),
                Arguments.of("tel:4155550123", "tel:[[PHONE_1]]"),
                Arguments.of("phone4155550123now", "phone[[PHONE_1]]now"),
                Arguments.of("call(415) 555-0188today", "call[[PHONE_1]]today"),
                Arguments.of("reach415-555-0188", "reach[[PHONE_1]]"),
                Arguments.of("Tel020 7946 0958", "Tel[[PHONE_1]]"),
                Arguments.of("mailto:o'neil@example.com", "mailto:[[EMAIL_1]]"),
                Arguments.of("'alice@example.com'", "'[[EMAIL_1]]'"),
                Arguments.of("alice@example.com\u3002\u8C22\u8C22", "[[EMAIL_1]]\u3002\u8C22\u8C22"),
                Arguments.of("alice@example.com\u8C22\u8C22", "[[EMAIL_1]]\u8C22\u8C22"),
                Arguments.of("alice@example.com-foo", "[[EMAIL_1]]-foo"),
                // Not values: a one-letter prefix or unit, a hexadecimal hash, a made-up area code glued to letters.
                Arguments.of("x4111111111111111", "x4111111111111111"),
                Arguments.of("20240115123042Z", "20240115123042Z"),   // Luhn-valid: a timestamp, not a card
                Arguments.of("deadbeef4111111111111111cafe", "deadbeef4111111111111111cafe"),
                Arguments.of("v+15551234567", "v+15551234567"),
                Arguments.of("order4930123456", "order4930123456"),
                Arguments.of("hotel4930123456", "hotel4930123456"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("glued")
    void aValueGluedToAWordIsFoundWhenThereIsEvidence(String text, String expected) {
        Redaction<String> r = TOKENIZE_ALL.redact(text);
        assertThat(r.value()).isEqualTo(expected);
        assertThat(r.restore(r.value())).isEqualTo(text);
    }

    /** Prose in other scripts and with other digits, and ids glued to letters: reading them normalised finds nothing in them. */
    @ParameterizedTest
    @ValueSource(strings = {
            "\u062A\u0645 \u0627\u0644\u0637\u0644\u0628 \u0641\u064A \u0662\u0660\u0662\u0664/\u0660\u0663/\u0661\u0665 \u0628\u0645\u0628\u0644\u063A \u0661\u0662\u0663\u0664\u0665\u066B\u0665\u0660",
            "\uFF12\uFF10\uFF12\uFF14\u5E74\uFF13\u6708\uFF11\uFF15\u65E5\u3001\u7B2C\uFF11\uFF12\uFF13\uFF14\uFF15\u53F7\u3001\u00A5\uFF11\uFF0C\uFF12\uFF19\uFF19",
            "\u0915\u0941\u0932 \u0967\u0968,\u0969\u096A\u096B \u0907\u0915\u093E\u0907\u092F\u093E\u0901 \u0968\u0966\u0968\u096A \u092E\u0947\u0902",
            "Order\u00A0#12345678 shipped\u202F15.01.2024, total\u00A0\u20AC\u00A01\u202F299,99 \u2014 ref\u00A0INV\u20112024\u20110042.",
            "Commit 3f9a2b7c1d4e5f60718293a4b5c6d7e8f9012345 and image sha256:4a5b6c7d8e9f00112233445566778899aabbccddeeff00112233445566778899",
            "Sizes 1920\u00D71080 and 3840\u00D72160; build v2.10.4\u2013rc1; ISO\u00A08601 20240115T123042Z.",
            "The part no. X4111111111111111 and lot L2024011512304 passed QA.",
            "Temperatures \u221212\u00A0\u00B0C to \u22123.5\u00A0\u00B0C; ratio 16\u2236\u200B9."})
    void proseInOtherScriptsAndDigitsIsLeftAlone(String text) {
        Redaction<String> r = MASK_ALL.redact(text);
        assertThat(r.report().isEmpty()).as("found %s", r.report()).isTrue();
        assertThat(r.value()).isSameAs(text);
    }

    @Test
    void theNameInAnAddressNeverLeaksWhateverItsLetters() {
        for (String name : List.of("o'neil", "o\u2019neil", "caf\u00E9.owner", "cafe\u0301.owner", "j\u00FCrgen.m\u00FCller", "\u0161ime", "zo\u00EB+news")) {
            Redaction<String> r = SUPPORT.redact("From " + name + "@example.com, thanks");
            assertThat(r.value()).isEqualTo("From [[EMAIL_1]], thanks");
        }
    }

    @Test
    void detectionsInTheViewReplaceWholeOriginalCharacters() {
        // A ligature, a precomposed and a decomposed accent, a surrogate pair and a lone surrogate
        // around values: what is replaced is whole original characters, nothing else moves.
        String text = "\uFB01ne caf\u00E9 cafe\u0301 \uD835\uDFD2 \uD800 x " + "\uFF4F\uFF4E\uFF45@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\uFF0E\uFF43\uFF4F" + " \uDC00 \uFB01";
        Redaction<String> r = TOKENIZE_ALL.redact(text);
        assertThat(r.value()).isEqualTo("\uFB01ne caf\u00E9 cafe\u0301 \uD835\uDFD2 \uD800 x [[EMAIL_1]] \uDC00 \uFB01");
        assertThat(r.restore(r.value())).isEqualTo(text);
    }

    @Test
    void aCardWithADigitGluedAfterItIsStillNotTakenFromInsideALongerNumber() {
        // 20 digits: no card starts inside a longer run, whatever its script.
        String text = "id \u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661 ok";
        assertThat(MASK_ALL.redact(text).report().count(Category.CARD)).isZero();
    }

    @Test
    void aValueTheJobAlreadyKnowsIsReplacedEvenWhereNoDetectorWouldFindIt() {
        TokenVault vault = SUPPORT.jobVault(Json.parse("{\"ticket\": \"card 4111 1111 1111 1111, call 555-123-4567\"}"), List.of());
        // A digit glued after them hides both from the detectors (a longer number); the job knows them.
        Redaction<String> r = SUPPORT.redact("Summary: card 4111 1111 1111 11112 and 555-123-45678.", vault);
        assertThat(r.value()).isEqualTo("Summary: card [[CARD_1]]2 and [[PHONE_1]]8.");
        assertThat(Redactor.of(SUPPORT.policy()).redact("card 4111 1111 1111 11112 and 555-123-45678.").report().isEmpty())
                .as("the detectors alone do not find them").isTrue();
        assertThat(r.restore(r.value())).isEqualTo("Summary: card 4111 1111 1111 11112 and 555-123-45678.");
    }

    @Test
    void aCategoryTheStageAllowsIsNotReplacedFromTheVault() {
        TokenVault vault = TOKENIZE_ALL.jobVault(Json.parse("{\"t\": \"mail alice@example.com\"}"), List.of());
        Redactor phonesOnly = Redactor.of(RedactionPolicy.NONE.with(Category.PHONE, Mode.TOKENIZE));
        assertThat(phonesOnly.redact("alice@example.com", vault).value()).isEqualTo("alice@example.com");
    }

    @Test
    void theJobVaultGivesAValueTheSamePlaceholderInEveryStageWhateverOrderAPromptShowsItIn() {
        JsonNode input = Json.parse("""
                {"ticket": {"subject": "Refund", "body": "I am jane@example.com, card 4111 1111 1111 1111.", "customer_name": "Jane <j.doe@example.org>"}}""");
        TokenVault first = SUPPORT.jobVault(input, List.of());
        Redaction<String> triage = SUPPORT.redact("Ticket: I am jane@example.com, card 4111 1111 1111 1111.", first);
        assertThat(triage.value()).isEqualTo("Ticket: I am [[EMAIL_1]], card [[CARD_1]].");
        JsonNode triageOutput = Json.parse("{\"summary\": \"jane@example.com wants a refund to +1 415 555 0188 for 4111 1111 1111 1111\"}");
        TokenVault second = SUPPORT.jobVault(input, List.of(triageOutput));
        // The draft prompt names the customer first: without the job's vault, j.doe would be EMAIL_1 here.
        Redaction<String> draft = SUPPORT.redact("Reply to Jane <j.doe@example.org>. Summary: jane@example.com wants a refund to +1 415 555 0188 "
                + "for 4111 1111 1111 1111. Ticket: I am jane@example.com, card 4111 1111 1111 1111.", second);
        assertThat(draft.value()).isEqualTo("Reply to Jane <[[EMAIL_2]]>. Summary: [[EMAIL_1]] wants a refund to [[PHONE_1]] for [[CARD_1]]. "
                + "Ticket: I am [[EMAIL_1]], card [[CARD_1]].");
        assertThat(SUPPORT.jobVault(input, List.of(triageOutput)).values()).as("derived, so the same every time").isEqualTo(second.values());
    }

    @Test
    void maskedAndBlockedValuesGetNoPlaceholderSoNothingCanRestoreThem() {
        Redactor redactor = Redactor.of(RedactionPolicy.NONE.with(Category.EMAIL, Mode.MASK).with(Category.SECRET, Mode.BLOCK)
                .with(Category.CARD, Mode.TOKENIZE));
        TokenVault vault = redactor.jobVault(Json.parse("{\"a\": \"alice@example.com sk-proj-abcDEF1234567890ghijKLMNopqr 4111 1111 1111 1111\"}"), List.of());
        assertThat(vault.size()).isEqualTo(1);
        assertThat(vault.restore("[[EMAIL_1]] [[SECRET_1]] [[CARD_1]]")).isEqualTo("[[EMAIL_1]] [[SECRET_1]] 4111 1111 1111 1111");
    }

    @Test
    void aPolicyThatRedactsNothingHasAnEmptyJobVault() {
        assertThat(Redactor.of(RedactionPolicy.NONE).jobVault(Json.parse("{\"a\": \"alice@example.com\"}"), List.of()).isEmpty()).isTrue();
    }

    /**
     * Generated values in generated renderings (digit script, separator kind, glue): tokenized,
     * none of their digits survive, the text restores exactly, and redacting the redacted text
     * finds nothing more. The seed is in the test name: re-run one by its seed.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void generatedRenderingsNeverLeakAndAlwaysRestore(long seed) {
        Random random = new Random(seed);
        for (int n = 0; n < 50; n++) {
            List<String> digitsOfValues = new ArrayList<>();
            StringBuilder text = new StringBuilder("Note ");
            int values = 1 + random.nextInt(3);
            for (int v = 0; v < values; v++) {
                String digits = random.nextBoolean() ? card(random) : "1415555" + String.format("%04d", random.nextInt(10000));
                digitsOfValues.add(digits);
                String rendered = render(digits, random);
                text.append(switch (random.nextInt(4)) {
                    case 0 -> digits.startsWith("1415") ? "phone +" + rendered + " " : "card " + rendered + " ";
                    case 1 -> digits.startsWith("1415") ? "tel+" + rendered + "x " : "card" + rendered + "end ";
                    default -> digits.startsWith("1415") ? "call +" + rendered + ", " : "pay with " + rendered + ", ";
                });
            }
            String original = text.toString();
            Redaction<String> r = SUPPORT.redact(original);
            String sent = digitsOnly(r.value());
            for (String digits : digitsOfValues) {
                assertThat(sent).as("seed %d, text %s", seed, original).doesNotContain(digits.substring(digits.length() - 7));
            }
            assertThat(r.restore(r.value())).as("seed %d", seed).isEqualTo(original);
            assertThat(SUPPORT.redact(r.value()).report().isEmpty()).as("seed %d: redacting again finds nothing new", seed).isTrue();
        }
    }

    private static String card(Random random) {
        StringBuilder partial = new StringBuilder(random.nextBoolean() ? "4" : "51");
        while (partial.length() < 15) {
            partial.append(random.nextInt(10));
        }
        for (int d = 0; d <= 9; d++) {
            if (Cards.luhn(partial.toString() + d)) {
                return partial.toString() + d;
            }
        }
        throw new AssertionError("no Luhn digit for " + partial);
    }

    private static final int[] ZEROS = {'0', 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10, 0x1D7CE, 0x1D7D8};
    private static final String[] SEPARATORS = {"", " ", "\u00A0", "\u202F", "\u2009", "\u2007", "\u3000", "-", "\u2013", "\u2014", "\u2011", "\u2212", "\u200B"};

    /** The digits in one script, grouped in fours with one kind of separator. */
    private static String render(String digits, Random random) {
        int zero = ZEROS[random.nextInt(ZEROS.length)];
        String sep = SEPARATORS[random.nextInt(SEPARATORS.length)];
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < digits.length(); i++) {
            if (i > 0 && i % 4 == 0 && !digits.startsWith("1415")) {
                out.append(sep);
            }
            out.appendCodePoint(zero + (digits.charAt(i) - '0'));
            if (digits.startsWith("1415") && (i == 0 || i == 3 || i == 6)) {
                out.append(sep.isEmpty() ? " " : sep);
            }
        }
        return out.toString();
    }

    /** Every digit of {@code text} in ASCII, everything else dropped: what a value's digits look like however written. */
    private static String digitsOnly(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER) {
                out.append((char) ('0' + Character.digit(c, 10)));
            } else if (c == '[') {
                out.append(' ');   // placeholders' numbers do not join the digits around them
            }
        });
        return out.toString();
    }

    private static void add(List<Arguments> out, Category category, String... samples) {
        for (String s : samples) {
            out.add(Arguments.of(category, s));
        }
    }
}
