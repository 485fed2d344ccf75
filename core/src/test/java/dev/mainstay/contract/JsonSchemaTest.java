package dev.mainstay.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.Json;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

class JsonSchemaTest {
    private static final JsonSchema TICKET = JsonSchema.compile(Json.parse("""
            {
              "type": "object",
              "required": ["ticket"],
              "properties": {
                "ticket": {
                  "type": "object",
                  "required": ["subject", "body"],
                  "properties": {
                    "subject": {"type": "string", "minLength": 1},
                    "body": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}}
                  }
                },
                "tone": {"type": "string", "enum": ["friendly", "formal"], "default": "friendly"},
                "a/b~c": {"type": "integer"}
              }
            }
            """));

    private static List<String> pointers(List<Violation> violations) {
        return violations.stream().map(Violation::pointer).toList();
    }

    @Test
    void validDocumentHasNoViolations() {
        assertThat(TICKET.validate(Json.parse("{\"ticket\": {\"subject\": \"Hi\", \"body\": \"text\"}}"))).isEmpty();
    }

    @Test
    void nestedTypeViolationPointsAtTheField() {
        List<Violation> v = TICKET.validate(Json.parse("{\"ticket\": {\"subject\": 42, \"body\": \"x\"}}"));
        assertThat(pointers(v)).containsExactly("/ticket/subject");
        assertThat(v.getFirst().message()).doesNotStartWith("/").doesNotStartWith("$");
    }

    @Test
    void arrayItemViolationPointsAtTheIndex() {
        List<Violation> v = TICKET.validate(Json.parse("{\"ticket\": {\"subject\": \"s\", \"body\": \"b\", \"tags\": [\"ok\", \"fine\", \"far too long\"]}}"));
        assertThat(pointers(v)).containsExactly("/ticket/tags/2");
    }

    @Test
    void missingRequiredPropertyPointsAtTheMissingProperty() {
        List<Violation> v = TICKET.validate(Json.parse("{\"ticket\": {\"subject\": \"s\"}}"));
        assertThat(pointers(v)).containsExactly("/ticket/body");
        assertThat(pointers(TICKET.validate(Json.object()))).containsExactly("/ticket");
    }

    @Test
    void everyViolationIsReportedNotJustTheFirst() {
        List<Violation> v = TICKET.validate(Json.parse("{\"ticket\": {\"subject\": \"\"}, \"tone\": \"rude\"}"));
        assertThat(pointers(v)).containsExactlyInAnyOrder("/ticket/subject", "/ticket/body", "/tone");
    }

    @Test
    void pointerTokensAreEscaped() {
        List<Violation> v = TICKET.validate(Json.parse("{\"ticket\": {\"subject\": \"s\", \"body\": \"b\"}, \"a/b~c\": \"x\"}"));
        assertThat(pointers(v)).containsExactly("/a~1b~0c");
    }

    @Test
    void withDefaultsFillsAbsentPropertiesAtEveryDepth() {
        JsonSchema schema = JsonSchema.compile(Json.parse("""
                {"type": "object", "properties": {
                  "max_points": {"type": "integer", "default": 5},
                  "options": {"type": "object", "properties": {
                     "tone": {"type": "string", "default": "friendly"},
                     "depth": {"type": "object", "properties": {"level": {"type": "integer", "default": 2}}}
                  }},
                  "absent": {"type": "object", "properties": {"x": {"default": 1}}}
                }}
                """));
        JsonNode input = Json.parse("{\"max_points\": 3, \"options\": {\"depth\": {}}}");
        JsonNode filled = schema.withDefaults(input);
        assertThat(filled).isEqualTo(Json.parse("{\"max_points\": 3, \"options\": {\"depth\": {\"level\": 2}, \"tone\": \"friendly\"}}"));
        assertThat(input).as("the input is not modified").isEqualTo(Json.parse("{\"max_points\": 3, \"options\": {\"depth\": {}}}"));
        assertThat(schema.withDefaults(Json.object())).isEqualTo(Json.parse("{\"max_points\": 5}"));
    }

    @Test
    void schemaWithAnUnknownTypeIsRefusedNamingTheKeywordAndQuotingTheValue() {
        assertThatThrownBy(() -> JsonSchema.compile(Json.parse("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"strnig\"}}}")))
                .isInstanceOfSatisfying(InvalidSchemaException.class, e -> assertThat(e.pointer()).isEqualTo("/properties/a/type"))
                .hasMessageStartingWith("not a valid JSON Schema: 'strnig': does not have a value in the enumeration [\"array\", \"boolean\"");
    }

    @Test
    void schemaWithANegativeLengthIsRefused() {
        assertThatThrownBy(() -> JsonSchema.compile(Json.parse("{\"type\": \"string\", \"minLength\": -1}")))
                .isInstanceOfSatisfying(InvalidSchemaException.class, e -> assertThat(e.pointer()).isEqualTo("/minLength"))
                .hasMessage("not a valid JSON Schema: -1: must have a minimum value of 0");
    }

    @Test
    void aBadItemOfATypeListIsNamedByItsIndexAndOtherProblemsElsewhereAreListed() {
        assertThatThrownBy(() -> JsonSchema.compile(Json.parse("{\"type\": \"object\", \"required\": \"a\", \"properties\": {\"a\": {\"type\": [\"string\", \"nul\"]}}}")))
                .isInstanceOfSatisfying(InvalidSchemaException.class, e -> assertThat(e.pointer()).isEqualTo("/properties/a/type/1"))
                .hasMessageContaining("'nul': does not have a value")
                .hasMessageContaining("also /required: 'a': string found, array expected");
    }

    @Test
    void nonObjectSchemaIsRefused() {
        assertThatThrownBy(() -> JsonSchema.compile(Json.parse("[1]"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(JsonSchema.compile(Json.parse("true")).validate(Json.parse("{\"any\": 1}"))).isEmpty();
    }

    @Test
    void hashIgnoresKeyOrder() {
        JsonSchema a = JsonSchema.compile(Json.parse("{\"type\": \"object\", \"required\": [\"x\"]}"));
        JsonSchema b = JsonSchema.compile(Json.parse("{\"required\": [\"x\"], \"type\": \"object\"}"));
        JsonSchema c = JsonSchema.compile(Json.parse("{\"required\": [\"y\"], \"type\": \"object\"}"));
        assertThat(a.hash()).isEqualTo(b.hash()).isNotEqualTo(c.hash());
    }

    @Test
    void additionalPropertyViolationPointsAtTheExtraProperty() {
        JsonSchema closed = JsonSchema.compile(Json.parse("{\"type\": \"object\", \"additionalProperties\": false, \"properties\": {\"a\": {}}}"));
        List<Violation> v = closed.validate(Json.parse("{\"a\": 1, \"b\": 2}"));
        assertThat(pointers(v)).containsExactly("/b");
        List<Violation> nested = TICKET.validate(Json.parse("{\"ticket\": {\"subject\": \"s\", \"body\": \"b\"}}"));
        assertThat(nested).isEmpty();
        JsonSchema closedNested = JsonSchema.compile(Json.parse(
                "{\"type\": \"object\", \"properties\": {\"o\": {\"type\": \"object\", \"additionalProperties\": false}}}"));
        assertThat(pointers(closedNested.validate(Json.parse("{\"o\": {\"x/y\": 1}}")))).containsExactly("/o/x~1y");
    }

    private static final JsonSchema BOUNDED = JsonSchema.compile(Json.parse("""
            {"type": "object", "properties": {
              "score": {"type": "integer", "minimum": 0, "maximum": 100},
              "step": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10, "multipleOf": 2},
              "ratio": {"type": "number", "minimum": 0, "maximum": 1},
              "count": {"type": "integer"}
            }}
            """));

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"1e308", "-1e308", "1e19", "-1e19", "9.999e307", "123456789012345678901234567890", "1E+400", "-1e400"})
    void anyJsonNumberOutOfTheLongRangeIsCheckedAgainstItsBoundsNotThrown(String number) {
        List<Violation> score = BOUNDED.validate(Json.parse("{\"score\": " + number + "}"));
        assertThat(pointers(score)).containsExactly("/score");
        List<Violation> step = BOUNDED.validate(Json.parse("{\"step\": " + number + "}"));
        assertThat(pointers(step)).contains("/step").containsOnly("/step");
        List<Violation> ratio = BOUNDED.validate(Json.parse("{\"ratio\": " + number + "}"));
        assertThat(pointers(ratio)).containsExactly("/ratio");
    }

    @Test
    void aHugeIntegralNumberIsAnIntegerAndPassesWhereNothingBoundsIt() {
        // JSON Schema counts 1e308 as an integer (no fractional part): with no bound it is valid.
        assertThat(BOUNDED.validate(Json.parse("{\"count\": 1e308}"))).isEmpty();
        assertThat(BOUNDED.validate(Json.parse("{\"count\": -1e19}"))).isEmpty();
        assertThat(pointers(BOUNDED.validate(Json.parse("{\"count\": 1.5e0}")))).containsExactly("/count");
        assertThat(BOUNDED.validate(Json.parse("{\"score\": 1e2, \"ratio\": 1e-308, \"step\": 4.0}"))).isEmpty();
    }

    @Test
    void numbersAsStringsAreTypeViolations() {
        for (String text : List.of("\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"1e308\"")) {
            assertThat(pointers(BOUNDED.validate(Json.parse("{\"score\": " + text + ", \"ratio\": " + text + "}"))))
                    .as(text).containsExactlyInAnyOrder("/score", "/ratio");
        }
    }
}
