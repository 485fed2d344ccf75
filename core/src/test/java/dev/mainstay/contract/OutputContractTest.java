package dev.mainstay.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.Json;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class OutputContractTest {
    private static final JsonNode NO_INPUT = Json.object();
    private final OutputContract contract = new OutputContract(JsonSchema.compile(Json.parse(
            "{\"type\": \"object\", \"required\": [\"score\"], \"properties\": {\"score\": {\"type\": \"integer\", \"maximum\": 100}}}")));

    @Test
    void validJsonThatSatisfiesTheSchemaIsValid() {
        assertThat(contract.check("  {\"score\": 42}\n", NO_INPUT)).isEqualTo(new OutputContract.Check.Valid(Json.parse("{\"score\": 42}")));
    }

    @Test
    void schemaViolationsAreListedWithPointers() {
        assertThat(contract.check("{\"score\": 420}", NO_INPUT)).isInstanceOfSatisfying(OutputContract.Check.Invalid.class,
                i -> assertThat(i.violations()).extracting(Violation::pointer).containsExactly("/score"));
    }

    @Test
    void proseIsInvalidJson() {
        assertThat(contract.check("Sure! The score is 42.", NO_INPUT)).isInstanceOfSatisfying(OutputContract.Check.Invalid.class, i -> {
            assertThat(i.violations()).singleElement().satisfies(v -> {
                assertThat(v.pointer()).isEmpty();
                assertThat(v.message()).startsWith("output is not valid JSON").doesNotContain("\n");
            });
        });
    }

    @Test
    void trailingTextAfterTheJsonIsInvalid() {
        assertThat(contract.check("{\"score\": 1} and more", NO_INPUT)).isInstanceOf(OutputContract.Check.Invalid.class);
    }

    @Test
    void emptyOrMissingOutputIsInvalid() {
        assertThat(contract.check("", NO_INPUT)).isInstanceOf(OutputContract.Check.Invalid.class);
        assertThat(contract.check(null, NO_INPUT)).isInstanceOf(OutputContract.Check.Invalid.class);
    }

    @Test
    void anInvalidVerdictNeedsAReason() {
        assertThatThrownBy(() -> new OutputContract.Check.Invalid(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    private static final JsonSchema POINTS = JsonSchema.compile(Json.parse("""
            {"type": "object", "required": ["points"], "properties": {
              "points": {"type": "array", "items": {"type": "string"}},
              "confidence": {}}}"""));
    private static final String RULE = "size(output.points) <= input.max_points";
    private static final ConfidenceGate GATE = new ConfidenceGate("confidence", 0.6, ConfidenceGate.Action.REVIEW);
    private static final JsonNode MAX_TWO = Json.parse("{\"max_points\": 2}");

    private static OutputContract pointsContract() {
        return new OutputContract(POINTS, List.of(Rule.compile(RULE)), GATE);
    }

    @Test
    void outputThatPassesSchemaRulesAndGateIsValid() {
        String text = "{\"points\": [\"a\", \"b\"], \"confidence\": 0.9}";
        assertThat(pointsContract().check(text, MAX_TWO)).isEqualTo(new OutputContract.Check.Valid(Json.parse(text)));
    }

    @Test
    void ruleThatIsFalseMakesTheOutputInvalidNamingTheRule() {
        assertThat(pointsContract().check("{\"points\": [\"a\", \"b\", \"c\"], \"confidence\": 0.9}", MAX_TWO))
                .isEqualTo(new OutputContract.Check.Invalid(List.of(new Violation("", "rule '" + RULE + "' is false")), true));
    }

    @Test
    void aSchemaFailureIsNotARulesFailure() {
        assertThat(pointsContract().check("{\"points\": \"a\", \"confidence\": 0.9}", MAX_TWO)).isInstanceOfSatisfying(OutputContract.Check.Invalid.class,
                invalid -> assertThat(invalid.byRules()).isFalse());
        assertThat(pointsContract().check("not json", MAX_TWO)).isInstanceOfSatisfying(OutputContract.Check.Invalid.class,
                invalid -> assertThat(invalid.byRules()).isFalse());
    }

    @Test
    void everyFailingRuleIsListedInOrder() {
        OutputContract contract = new OutputContract(POINTS, List.of(Rule.compile(RULE), Rule.compile("size(output.points) > 0"), Rule.compile("output.points.all(p, size(p) < 3)")), null);
        assertThat(contract.check("{\"points\": [\"abc\", \"b\", \"c\"]}", MAX_TWO)).isInstanceOfSatisfying(OutputContract.Check.Invalid.class,
                i -> assertThat(i.violations()).extracting(Violation::message).containsExactly(
                        "rule '" + RULE + "' is false", "rule 'output.points.all(p, size(p) < 3)' is false"));
    }

    @Test
    void rulesAreNotEvaluatedOnOutputThatBreaksTheSchema() {
        assertThat(pointsContract().check("{\"confidence\": 0.9}", MAX_TWO)).isInstanceOfSatisfying(OutputContract.Check.Invalid.class,
                i -> assertThat(i.violations()).singleElement().extracting(Violation::pointer).isEqualTo("/points"));
    }

    @Test
    void ruleReadingAnAbsentInputFieldIsAViolation() {
        assertThat(pointsContract().check("{\"points\": [\"a\"], \"confidence\": 0.9}", Json.object()))
                .isInstanceOfSatisfying(OutputContract.Check.Invalid.class, i -> assertThat(i.violations()).singleElement()
                        .satisfies(v -> assertThat(v.message()).startsWith("rule '" + RULE + "' could not be evaluated: ")));
    }

    @Test
    void confidenceAboveTheMinimumIsValid() {
        assertThat(pointsContract().check("{\"points\": [], \"confidence\": 0.61}", MAX_TWO)).isInstanceOf(OutputContract.Check.Valid.class);
    }

    @Test
    void confidenceEqualToTheMinimumIsValid() {
        assertThat(pointsContract().check("{\"points\": [], \"confidence\": 0.6}", MAX_TWO)).isInstanceOf(OutputContract.Check.Valid.class);
    }

    @Test
    void integerConfidenceIsANumberToo() {
        assertThat(pointsContract().check("{\"points\": [], \"confidence\": 1}", MAX_TWO)).isInstanceOf(OutputContract.Check.Valid.class);
    }

    @Test
    void confidenceBelowTheMinimumIsLowConfidenceWithTheDeclaredAction() {
        String text = "{\"points\": [\"a\"], \"confidence\": 0.59}";
        assertThat(pointsContract().check(text, MAX_TWO))
                .isEqualTo(new OutputContract.Check.LowConfidence(Json.parse(text), 0.59, 0.6, ConfidenceGate.Action.REVIEW));
    }

    @Test
    void missingConfidenceFieldIsAViolationAtThatField() {
        assertThat(pointsContract().check("{\"points\": [\"a\"]}", MAX_TWO)).isInstanceOfSatisfying(OutputContract.Check.Invalid.class,
                i -> assertThat(i.violations()).containsExactly(new Violation("/confidence", "is missing; the confidence gate needs a number here")));
        assertThat(pointsContract().check("{\"points\": [\"a\"], \"confidence\": null}", MAX_TWO)).isInstanceOf(OutputContract.Check.Invalid.class);
    }

    @Test
    void nonNumberConfidenceIsAViolationAtThatField() {
        assertThat(pointsContract().check("{\"points\": [\"a\"], \"confidence\": \"high\"}", MAX_TWO)).isInstanceOfSatisfying(OutputContract.Check.Invalid.class,
                i -> assertThat(i.violations()).containsExactly(new Violation("/confidence", "must be a number for the confidence gate, got \"high\"")));
    }

    @Test
    void failingRuleWinsOverLowConfidence() {
        assertThat(pointsContract().check("{\"points\": [\"a\", \"b\", \"c\"], \"confidence\": 0.1}", MAX_TWO)).isInstanceOf(OutputContract.Check.Invalid.class);
    }

    @Test
    void lowConfidenceVerdictRefusesAValueThatIsNotBelowTheMinimum() {
        assertThatThrownBy(() -> new OutputContract.Check.LowConfidence(Json.object(), 0.6, 0.6, ConfidenceGate.Action.FALLBACK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Indicates a bug");
    }
}
