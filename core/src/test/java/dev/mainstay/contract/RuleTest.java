package dev.mainstay.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.Json;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

class RuleTest {
    private static final JsonNode INPUT = Json.parse("{\"max_points\": 2, \"threshold\": 0.5, \"lang\": \"en\", \"tags\": [\"a\", \"b\"], \"meta\": {\"source\": {\"kind\": \"email\"}}}");

    private static Optional<Violation> eval(String expression, String output) {
        return Rule.compile(expression).evaluate(INPUT, Json.parse(output));
    }

    @Test
    void ruleThatHoldsYieldsNoViolation() {
        assertThat(eval("size(output.points) <= input.max_points", "{\"points\": [\"x\", \"y\"]}")).isEmpty();
    }

    @Test
    void ruleThatIsFalseIsAViolationNamingTheRuleAtTheWholeDocument() {
        assertThat(eval("size(output.points) <= input.max_points", "{\"points\": [\"x\", \"y\", \"z\"]}"))
                .contains(new Violation("", "rule 'size(output.points) <= input.max_points' is false"));
    }

    @Test
    void missingFieldIsAViolationNotAnException() {
        assertThat(eval("size(output.points) <= input.max_points", "{\"other\": 1}")).hasValueSatisfying(v -> {
            assertThat(v.pointer()).isEmpty();
            assertThat(v.message()).startsWith("rule 'size(output.points) <= input.max_points' could not be evaluated: ")
                    .contains("points").doesNotContain("\n");
        });
    }

    @Test
    void integersAndDoublesCompareAcrossTypes() {
        assertThat(eval("output.score >= input.threshold", "{\"score\": 1}")).isEmpty();
        assertThat(eval("output.score >= 1", "{\"score\": 1.5}")).isEmpty();
        assertThat(eval("output.score < input.max_points", "{\"score\": 1.5}")).isEmpty();
        assertThat(eval("output.score > 1", "{\"score\": 0.5}")).isPresent();
    }

    @Test
    void equalityHoldsAcrossIntsAndDoubles() {
        assertThat(eval("output.score == 1", "{\"score\": 1.0}")).isEmpty();
    }

    @Test
    void arithmeticMixingIntsAndDoublesIsAViolation() {
        assertThat(eval("output.score + 1 > 0", "{\"score\": 0.5}")).hasValueSatisfying(v ->
                assertThat(v.message()).startsWith("rule 'output.score + 1 > 0' could not be evaluated: "));
        assertThat(eval("output.score + 1.0 > 0", "{\"score\": 0.5}")).isEmpty();
    }

    @Test
    void stringFunctionsAndMacrosOfTheStandardLibraryAreAvailable() {
        assertThat(eval("output.id.startsWith('T-') && output.id.matches('^T-[0-9]+$') && output.tags.exists_one(t, t == 'a')"
                + " && output.tags.map(t, t + '!').size() == 2 && output.tags.filter(t, t == 'b').size() == 1",
                "{\"id\": \"T-42\", \"tags\": [\"a\", \"b\"]}")).isEmpty();
    }

    @Test
    void jsonIntegersAreCelInts() {
        assertThat(eval("type(output.n) == int && output.n + 1 == 4", "{\"n\": 3}")).isEmpty();
        assertThat(eval("type(output.x) == double", "{\"x\": 3.25}")).isEmpty();
    }

    @Test
    void nestedMapsAndListsAreReadable() {
        assertThat(eval("input.meta.source.kind == 'email' && output.items[1].name == 'b'",
                "{\"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}")).isEmpty();
        assertThat(eval("output.items.all(i, i.name in input.tags)", "{\"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}")).isEmpty();
        assertThat(eval("output.items.exists(i, i.name == 'c')", "{\"items\": [{\"name\": \"a\"}]}")).isPresent();
    }

    @Test
    void hasTellsWhetherAFieldIsPresent() {
        assertThat(eval("!has(output.reason) || size(output.reason) > 0", "{\"label\": \"x\"}")).isEmpty();
        assertThat(eval("has(output.reason)", "{\"label\": \"x\"}")).contains(new Violation("", "rule 'has(output.reason)' is false"));
    }

    @Test
    void jsonNullIsCelNull() {
        assertThat(eval("output.reason == null", "{\"reason\": null}")).isEmpty();
        assertThat(eval("output.reason != null", "{\"reason\": null}")).isPresent();
    }

    @Test
    void dynamicExpressionThatYieldsANonBooleanIsAViolation() {
        assertThat(eval("output.label", "{\"label\": \"spam\"}")).hasValueSatisfying(v ->
                assertThat(v.message()).startsWith("rule 'output.label' ").contains("not a boolean"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"size(output.points) <=", "output.points.", "unknown_var > 1", "nosuchfunction(output)"})
    void unparsableOrUndeclaredExpressionIsRefused(String expression) {
        assertThatThrownBy(() -> Rule.compile(expression)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a valid CEL expression: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void expressionWhoseTypeIsKnownNotToBeBooleanIsRefused() {
        assertThatThrownBy(() -> Rule.compile("size(output.points)")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a valid CEL expression: ").hasMessageContaining("bool");
    }

    @Test
    void blankExpressionIsRefused() {
        assertThatThrownBy(() -> Rule.compile("  ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a valid CEL expression: the rule is empty");
    }
}
