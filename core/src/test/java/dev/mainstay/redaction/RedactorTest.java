package dev.mainstay.redaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class RedactorTest {
    private static final String EMAIL = "alice@example.com";
    private static final String OTHER_EMAIL = "bob@example.org";
    private static final String CARD = "4111 1111 1111 1111";
    private static final String KEY = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    private static final String PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----";

    private static final Redactor TOKENIZE_ALL = Redactor.of(RedactionPolicy.all(Mode.TOKENIZE));
    private static final Redactor MASK_ALL = Redactor.of(RedactionPolicy.all(Mode.MASK));

    @Test
    void maskReplacesEachValueWithItsCategoryLabel() {
        Redaction<String> r = MASK_ALL.redact("Mail " + EMAIL + ", card " + CARD + ", key " + KEY + ", ip 10.1.2.3.");
        assertThat(r.value()).isEqualTo("Mail [EMAIL], card [CARD], key [SECRET], ip [IP].");
        assertThat(r.report().counts()).containsExactly(entry(Category.SECRET, 1), entry(Category.CARD, 1), entry(Category.IP, 1), entry(Category.EMAIL, 1));
        assertThat(r.vault().isEmpty()).isTrue();
    }

    @Test
    void tokenizeGivesTheSameValueTheSameTokenAndNumbersEachLabelInOrderOfAppearance() {
        Redaction<String> r = TOKENIZE_ALL.redact(EMAIL + " wrote to " + OTHER_EMAIL + " and " + EMAIL + " paid with " + CARD);
        assertThat(r.value()).isEqualTo("[[EMAIL_1]] wrote to [[EMAIL_2]] and [[EMAIL_1]] paid with [[CARD_1]]");
        assertThat(r.report().counts()).containsExactly(entry(Category.CARD, 1), entry(Category.EMAIL, 3));
        assertThat(r.vault().size()).isEqualTo(3);
    }

    @Test
    void theVaultCarriesTokensFromOnePromptOfAJobToTheNext() {
        Redaction<String> first = TOKENIZE_ALL.redact("From " + EMAIL);
        Redaction<String> second = TOKENIZE_ALL.redact("To " + OTHER_EMAIL + ", cc " + EMAIL, first.vault());
        assertThat(second.value()).isEqualTo("To [[EMAIL_2]], cc [[EMAIL_1]]");
        assertThat(second.restore("[[EMAIL_1]] and [[EMAIL_2]]")).isEqualTo(EMAIL + " and " + OTHER_EMAIL);
        assertThat(first.vault().size()).as("an earlier vault is not changed").isEqualTo(1);
    }

    @Test
    void restorePutsEveryTokenTheModelKeptVerbatimBackAndLeavesEverythingElse() {
        Redaction<String> r = TOKENIZE_ALL.redact("Reply to " + EMAIL + " about card " + CARD);
        String answer = "Dear [[EMAIL_1]], your card [[CARD_1]] ([[CARD_1]]) is fine.[[EMAIL_1]]] [[email_1]] [[ EMAIL_1 ]] [[EMAIL_7]] [[PHONE_1]]";
        assertThat(r.restore(answer)).isEqualTo("Dear " + EMAIL + ", your card " + CARD + " (" + CARD + ") is fine." + EMAIL
                + "] [[email_1]] [[ EMAIL_1 ]] [[EMAIL_7]] [[PHONE_1]]");
    }

    @Test
    void restoreOfAJsonTreeRestoresStringValuesAndKeysExactlyWhateverCharactersTheValueHolds() {
        Redactor redactor = Redactor.of(RedactionPolicy.NONE.with(Category.SECRET, Mode.TOKENIZE).with(Category.EMAIL, Mode.TOKENIZE));
        Redaction<String> r = redactor.redact("Key:\n" + PEM + "\nOwner: " + EMAIL);
        assertThat(r.value()).isEqualTo("Key:\n[[SECRET_1]]\nOwner: [[EMAIL_1]]");
        JsonNode answer = Json.parse("{\"key\": \"stored: [[SECRET_1]]\", \"[[EMAIL_1]]\": [\"[[EMAIL_1]]\", 3, true, null]}");
        JsonNode restored = r.restore(answer);
        assertThat(restored.get("key").stringValue()).isEqualTo("stored: " + PEM);
        assertThat(restored.get(EMAIL).get(0).stringValue()).isEqualTo(EMAIL);
        assertThat(Json.write(restored.get(EMAIL))).isEqualTo("[\"" + EMAIL + "\",3,true,null]");
        assertThat(Json.parse(Json.write(restored))).isEqualTo(restored);
        assertThat(answer.get("key").stringValue()).as("the answer is not modified").isEqualTo("stored: [[SECRET_1]]");
    }

    @Test
    void tokensNeverEqualTokenShapedTextInTheInputAndSuchTextRestoresToItself() {
        String text = "Template [[EMAIL_1]] and [[EMAIL_2]] for " + EMAIL + " and [[CARD_1]] [[NAME_1]]";
        Redaction<String> r = TOKENIZE_ALL.redact(text);
        assertThat(r.value()).isEqualTo("Template [[EMAIL_1]] and [[EMAIL_2]] for [[EMAIL_3]] and [[CARD_1]] [[NAME_1]]");
        assertThat(r.restore(r.value())).isEqualTo(text);
        // Reserved for the rest of the job: a later value does not get a token the user wrote earlier.
        Redaction<String> later = TOKENIZE_ALL.redact("card " + CARD, r.vault());
        assertThat(later.value()).isEqualTo("card [[CARD_2]]");
    }

    @Test
    void tokenShapedTextEqualToATokenIssuedEarlierInTheJobIsReplacedByAFreshTokenThatRestoresToIt() {
        Redaction<String> first = TOKENIZE_ALL.redact("From " + EMAIL);
        Redaction<String> second = TOKENIZE_ALL.redact("The placeholder [[EMAIL_1]] means " + OTHER_EMAIL, first.vault());
        assertThat(second.value()).isEqualTo("The placeholder [[EMAIL_2]] means [[EMAIL_3]]");
        assertThat(second.restore(second.value())).isEqualTo("The placeholder [[EMAIL_1]] means " + OTHER_EMAIL);
        assertThat(second.restore("[[EMAIL_1]]")).isEqualTo(EMAIL);
    }

    @Test
    void blockRefusesWithTheCategoriesAndCountsAndNeverTheValues() {
        Redactor redactor = Redactor.of(RedactionPolicy.all(Mode.TOKENIZE).with(Category.SECRET, Mode.BLOCK).with(Category.CARD, Mode.BLOCK));
        assertThatThrownBy(() -> redactor.redact("keys " + KEY + " and " + KEY + "x and " + CARD + " from " + EMAIL))
                .isInstanceOfSatisfying(RedactionBlockedException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.REDACTION_BLOCKED);
                    assertThat(e.code().code()).isEqualTo("redaction_blocked");
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.blocked().counts()).containsExactly(entry(Category.SECRET, 2), entry(Category.CARD, 1));
                    assertThat(e.getMessage()).isEqualTo("the redaction policy refuses content holding these categories; found secret: 2, card: 1 (values not shown)");
                    assertThat(e.getStackTrace()).isEmpty();
                });
        assertThat(redactor.redact("only " + EMAIL).value()).isEqualTo("only [[EMAIL_1]]");
    }

    @Test
    void aJsonTreeHasItsStringValuesRedactedAndItsKeysStructureAndOtherScalarsKept() {
        JsonNode input = Json.parse("""
                {"customer": {"email": "%s", "alice@example.com": "key stays"},
                 "notes": ["paid with %s", "nothing here", 42, 4111111111111111, 1.5, true, null],
                 "count": 3}""".formatted(EMAIL, CARD));
        JsonNode before = input.deepCopy();
        Redaction<JsonNode> r = TOKENIZE_ALL.redact(input);
        assertThat(Json.write(r.value())).isEqualTo("""
                {"customer":{"email":"[[EMAIL_1]]","alice@example.com":"key stays"},\
                "notes":["paid with [[CARD_1]]","nothing here",42,"[[CARD_2]]",1.5,true,null],"count":3}""");
        assertThat(r.report().counts()).containsExactly(entry(Category.CARD, 2), entry(Category.EMAIL, 1));
        assertThat(input).as("the input is not modified").isEqualTo(before);
        assertThat(r.restore(r.value()).at("/notes/3").stringValue()).as("a number comes back as its digits, in a string").isEqualTo("4111111111111111");
    }

    @Test
    void aBlockedValueAnywhereInAJsonTreeRefusesTheWholeTreeCountingEveryString() {
        Redactor redactor = Redactor.of(RedactionPolicy.NONE.with(Category.SECRET, Mode.BLOCK).with(Category.EMAIL, Mode.MASK));
        JsonNode input = Json.parse("{\"a\": \"" + KEY + "\", \"b\": [\"" + EMAIL + "\", {\"c\": \"token " + KEY + "z\"}]}");
        assertThatThrownBy(() -> redactor.redact(input))
                .isInstanceOfSatisfying(RedactionBlockedException.class, e -> assertThat(e.blocked().counts()).containsExactly(entry(Category.SECRET, 2)));
    }

    @Test
    void modesMixPerCategoryAndAllowedCategoriesAreNotEvenLookedFor() {
        Redactor redactor = Redactor.of(RedactionPolicy.NONE.with(Category.EMAIL, Mode.TOKENIZE).with(Category.PHONE, Mode.MASK));
        Redaction<String> r = redactor.redact(EMAIL + " / +44 20 7946 0958 / " + CARD + " / 10.0.0.1");
        assertThat(r.value()).isEqualTo("[[EMAIL_1]] / [PHONE] / " + CARD + " / 10.0.0.1");
        assertThat(r.report().counts()).containsExactly(entry(Category.EMAIL, 1), entry(Category.PHONE, 1));
    }

    @Test
    void overlappingDetectionsAreReplacedTogetherUnderTheLongestSoNoDetectedCharacterSurvives() {
        // The international number takes the card's first group before its digit limit; the card
        // overlaps it. Both go, as one stretch labelled by the longer detection.
        Redaction<String> r = MASK_ALL.redact("call +1 555 123 4567 4111 1111 1111 1111 now");
        assertThat(r.value()).isEqualTo("call [PHONE] now");
        assertThat(r.report().counts()).containsExactly(entry(Category.CARD, 1), entry(Category.PHONE, 1));
    }

    @Test
    void aDetectionInsideALongerOneIsPartOfThatValue() {
        Redaction<String> r = MASK_ALL.redact("call +1 555 123 4567 or wire to DE89 3704 0044 0532 0130 00");
        assertThat(r.value()).isEqualTo("call [PHONE] or wire to [IBAN]");
        assertThat(r.report().counts()).containsExactly(entry(Category.IBAN, 1), entry(Category.PHONE, 1));
    }

    @Test
    void betweenEqualSpansTheEarlierCategoryWins() {
        // 012-34-5678 is a valid SSN and has the shape of a trunk-prefixed phone number.
        Redaction<String> r = MASK_ALL.redact("id 012-34-5678");
        assertThat(r.value()).isEqualTo("id [SSN]");
        assertThat(r.report().counts()).containsExactly(entry(Category.SSN, 1));
    }

    @Test
    void textWithNothingToRedactIsReturnedAsItIs() {
        String text = "Nothing sensitive here, not even [[EMAIL_1]].";
        Redaction<String> r = TOKENIZE_ALL.redact(text);
        assertThat(r.value()).isSameAs(text);
        assertThat(r.report()).isEqualTo(Report.EMPTY);
        assertThat(r.vault().isEmpty()).isTrue();
        assertThat(Redactor.of(RedactionPolicy.NONE).redact(EMAIL + " " + KEY).value()).isEqualTo(EMAIL + " " + KEY);
    }

    @Test
    void hostileInputIsScannedAndRestoredWhole() {
        // Digit runs, chains of overlapping phone and card candidates, unterminated key blocks,
        // token-shaped text: each a quarter megabyte. Detection is linear; this test would take
        // minutes if it were not.
        for (String unit : List.of("0 ", "01 23 ", "1 ", "+1 ", "4111 ", "1:", "1.", "DE89 ", "eyJ", "sk-", "a@", "x@y.com ",
                "-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAA\n", "[[EMAIL_1]]", "9".repeat(1000))) {
            String text = unit.repeat(256 * 1024 / unit.length());
            Redaction<String> r = TOKENIZE_ALL.redact(text);
            assertThat(r.restore(r.value())).isEqualTo(text);
        }
    }

    @Test
    void noToStringShowsAValue() {
        Redactor redactor = Redactor.of(RedactionPolicy.all(Mode.TOKENIZE).with(Category.CARD, Mode.ALLOW));
        Redaction<String> r = redactor.redact(KEY + " " + EMAIL + " " + CARD);
        RedactionBlockedException blocked = new RedactionBlockedException(new Report(Map.of(Category.SECRET, 1)));
        List<Object> all = List.of(r, r.vault(), r.report(), redactor, redactor.policy(), ProviderDataPolicy.DENY_ALL_PII, blocked.getMessage());
        for (Object o : all) {
            assertThat(o.toString()).doesNotContain(KEY, "AbCdEf", EMAIL, "alice", CARD, "4111", "[[");
        }
        assertThat(r.toString()).isEqualTo("Redaction[report=secret: 1, email: 1, TokenVault[tokens=2]]");
        assertThat(redactor.toString()).isEqualTo("Redactor[RedactionPolicy[secret=tokenize, iban=tokenize, ssn=tokenize, ip=tokenize, email=tokenize, phone=tokenize, others allow]]");
    }

    @Test
    void reportsAddUpAndFilter() {
        Report a = new Report(Map.of(Category.EMAIL, 2, Category.PHONE, 0));
        Report b = new Report(Map.of(Category.EMAIL, 1, Category.SECRET, 1));
        assertThat(a.counts()).containsExactly(entry(Category.EMAIL, 2));
        assertThat(a.plus(b).counts()).containsExactly(entry(Category.SECRET, 1), entry(Category.EMAIL, 3));
        assertThat(a.plus(b).total()).isEqualTo(4);
        assertThat(a.plus(b).only(Set.of(Category.SECRET))).isEqualTo(b.only(Set.of(Category.SECRET)));
        assertThat(Report.EMPTY.toString()).isEqualTo("nothing");
    }
}
