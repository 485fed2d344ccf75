package dev.mainstay.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputContractTest {
    private final OutputContract contract = new OutputContract(JsonSchema.compile(Json.parse(
            "{\"type\": \"object\", \"required\": [\"score\"], \"properties\": {\"score\": {\"type\": \"integer\", \"maximum\": 100}}}")));

    @Test
    void validJsonThatSatisfiesTheSchemaIsValid() {
        assertThat(contract.check("  {\"score\": 42}\n")).isEqualTo(new OutputContract.Check.Valid(Json.parse("{\"score\": 42}")));
    }

    @Test
    void schemaViolationsAreListedWithPointers() {
        assertThat(contract.check("{\"score\": 420}")).isInstanceOfSatisfying(OutputContract.Check.Invalid.class,
                i -> assertThat(i.violations()).extracting(Violation::pointer).containsExactly("/score"));
    }

    @Test
    void proseIsInvalidJson() {
        assertThat(contract.check("Sure! The score is 42.")).isInstanceOfSatisfying(OutputContract.Check.Invalid.class, i -> {
            assertThat(i.violations()).singleElement().satisfies(v -> {
                assertThat(v.pointer()).isEmpty();
                assertThat(v.message()).startsWith("output is not valid JSON").doesNotContain("\n");
            });
        });
    }

    @Test
    void trailingTextAfterTheJsonIsInvalid() {
        assertThat(contract.check("{\"score\": 1} and more")).isInstanceOf(OutputContract.Check.Invalid.class);
    }

    @Test
    void emptyOrMissingOutputIsInvalid() {
        assertThat(contract.check("")).isInstanceOf(OutputContract.Check.Invalid.class);
        assertThat(contract.check(null)).isInstanceOf(OutputContract.Check.Invalid.class);
    }

    @Test
    void anInvalidVerdictNeedsAReason() {
        assertThatThrownBy(() -> new OutputContract.Check.Invalid(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
