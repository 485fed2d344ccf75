package dev.mainstay.providers.openai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.workflow.WorkflowLoader;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

class StrictSchemaTest {
    private static StrictSchema strict(String schema) {
        StrictSchema.Result r = StrictSchema.of(Json.parse(schema));
        assertThat(r.schema()).as(r.whyNot()).isPresent();
        return r.schema().get();
    }

    private static String whyNot(String schema) {
        StrictSchema.Result r = StrictSchema.of(Json.parse(schema));
        assertThat(r.schema()).isEmpty();
        return r.whyNot();
    }

    @Test
    void theShippedExampleSchemasFitOnceTheLengthsAreLeftOut() {
        StrictSchema s = strict("""
                {"type": "object", "required": [segment, "intent", "score", "reason"], "additionalProperties": false,
                 "properties": {
                   "segment": {"type": "string", "enum": ["enterprise", "smb"]},
                   "intent": {"type": "string", "enum": ["buy", "other"]},
                   "score": {"type": "integer", "minimum": 0, "maximum": 100},
                   "reason": {"type": "string", "minLength": 1, "maxLength": 500}}}
                """.replace("[segment", "[\"segment\""));
        assertThat(s.sent()).isEqualTo(Json.parse("""
                {"type": "object", "additionalProperties": false, "required": ["segment", "intent", "score", "reason"],
                 "properties": {
                   "segment": {"type": "string", "enum": ["enterprise", "smb"]},
                   "intent": {"type": "string", "enum": ["buy", "other"]},
                   "score": {"type": "integer", "minimum": 0, "maximum": 100},
                   "reason": {"type": "string"}}}
                """));
        StrictSchema points = strict("""
                {"type": "object", "required": ["points", "confidence"], "additionalProperties": false,
                 "properties": {
                   "points": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 1000}},
                   "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}
                """);
        assertThat(points.sent().at("/properties/points")).isEqualTo(Json.parse("{\"type\": \"array\", \"minItems\": 1, \"maxItems\": 20, \"items\": {\"type\": \"string\"}}"));
    }

    @Test
    void everyShippedWorkflowHasAStrictFormForEveryStage() throws Exception {
        var loaded = WorkflowLoader.load(Path.of("..", "examples", "workflows"), java.util.Set.of("primary", "small"));
        assertThat(loaded).hasSizeGreaterThanOrEqualTo(3);
        for (var wf : loaded) {
            for (var stage : wf.stages()) {
                if (stage instanceof dev.mainstay.workflow.ModelStage m) {
                    StrictSchema.Result r = StrictSchema.of(m.output().schema().node());
                    assertThat(r.schema()).as(wf.name() + " stage " + m.id() + ": " + r.whyNot()).isPresent();
                }
            }
        }
    }

    @Test
    void anOpenObjectIsClosedAndConstBecomesAOneValueEnum() {
        StrictSchema s = strict("""
                {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "ticket", "description": "always ticket"}},
                 "$schema": "https://json-schema.org/draft/2020-12/schema", "default": {}, "examples": [{"kind": "ticket"}]}
                """);
        assertThat(s.sent()).isEqualTo(Json.parse("""
                {"type": "object", "additionalProperties": false, "required": ["kind"],
                 "properties": {"kind": {"enum": ["ticket"], "description": "always ticket"}}}
                """));
    }

    @Test
    void onlyTheFormatsStrictModeKnowsAreKept() {
        StrictSchema s = strict("""
                {"type": "object", "required": ["at", "site", "mail"], "properties": {
                  "at": {"type": "string", "format": "date-time"}, "site": {"type": "string", "format": "uri"},
                  "mail": {"type": "string", "format": "email", "pattern": "@"}}}
                """);
        assertThat(s.sent().at("/properties/at")).isEqualTo(Json.parse("{\"type\": \"string\", \"format\": \"date-time\"}"));
        assertThat(s.sent().at("/properties/site")).isEqualTo(Json.parse("{\"type\": \"string\"}"));
        assertThat(s.sent().at("/properties/mail")).isEqualTo(Json.parse("{\"type\": \"string\", \"format\": \"email\", \"pattern\": \"@\"}"));
    }

    @Test
    void aPropertyThatAcceptsNullAlreadyIsOnlyMadeRequiredAndItsNullStays() {
        StrictSchema s = strict("""
                {"type": "object", "required": ["a"], "properties": {
                  "a": {"type": "string"}, "b": {"type": ["string", "null"]}, "c": {"type": "string", "enum": ["x", "y"]}}}
                """);
        assertThat(s.sent().at("/properties/b")).isEqualTo(Json.parse("{\"type\": [\"string\", \"null\"]}"));
        assertThat(s.sent().at("/properties/c")).isEqualTo(Json.parse("{\"anyOf\": [{\"type\": \"string\", \"enum\": [\"x\", \"y\"]}, {\"type\": \"null\"}]}"));
        assertThat(Json.parse(s.restore("{\"a\": \"1\", \"b\": null, \"c\": null}"))).isEqualTo(Json.parse("{\"a\": \"1\", \"b\": null}"));
        assertThat(s.restore("{\"a\": \"1\", \"b\": \"2\", \"c\": \"x\"}")).as("nothing to take out: the text is kept as it came").isEqualTo("{\"a\": \"1\", \"b\": \"2\", \"c\": \"x\"}");
        assertThat(s.restore("not JSON")).isEqualTo("not JSON");
        assertThat(s.restore("{\"a\": ")).isEqualTo("{\"a\": ");
    }

    @Test
    void definitionsAndReferencesAreCarriedAndRestoredThrough() {
        StrictSchema s = strict("""
                {"type": "object", "required": ["steps"], "$defs": {"step": {"type": "object", "required": ["text"],
                   "properties": {"text": {"type": "string"}, "note": {"type": "string"}}}},
                 "properties": {"steps": {"type": "array", "items": {"$ref": "#/$defs/step"}}}}
                """);
        assertThat(s.sent().at("/$defs/step/required")).isEqualTo(Json.parse("[\"text\", \"note\"]"));
        assertThat(s.sent().at("/properties/steps/items")).isEqualTo(Json.parse("{\"$ref\": \"#/$defs/step\"}"));
        assertThat(Json.parse(s.restore("{\"steps\": [{\"text\": \"a\", \"note\": null}, {\"text\": \"b\", \"note\": \"n\"}]}")))
                .isEqualTo(Json.parse("{\"steps\": [{\"text\": \"a\"}, {\"text\": \"b\", \"note\": \"n\"}]}"));
    }

    static Stream<Arguments> schemasWithoutAStrictForm() {
        return Stream.of(
                Arguments.of("{\"type\": \"array\", \"items\": {\"type\": \"string\"}}", "the root is not a schema of type object"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}}, \"additionalProperties\": true}", "the root allows additional properties"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"m\": {\"type\": \"object\", \"additionalProperties\": {\"type\": \"string\"}}}}", "/properties/m is an object without 'properties'"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {}}}", "/properties/a accepts any value"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"array\"}}}", "/properties/a is an array without an 'items' schema"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"not\": {\"const\": \"x\"}}}}", "/properties/a uses 'not'"),
                Arguments.of("{\"type\": \"object\", \"properties\": {}, \"allOf\": [{}]}", "the root uses 'allOf'"),
                Arguments.of("{\"type\": \"object\", \"patternProperties\": {\"^x\": {}}, \"properties\": {}}", "the root uses 'patternProperties'"),
                Arguments.of("{\"type\": \"object\", \"required\": [\"ghost\"], \"properties\": {}}", "the root requires 'ghost'"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"other.json#/x\"}}}", "refers to 'other.json#/x'"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#/$defs/x\", \"minimum\": 1}}}", "has 'minimum' beside '$ref'"),
                Arguments.of("{\"type\": \"object\", \"anyOf\": [{\"properties\": {}}], \"properties\": {}}", "the root uses 'anyOf'"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("schemasWithoutAStrictForm")
    void aSchemaThatNeedsMoreThanTheSubsetHasNoStrictFormAndSaysWhy(String schema, String reason) {
        assertThat(whyNot(schema)).contains(reason);
    }

    @Test
    void openAiLimitsOnDepthAndEnumsAreKept() {
        String deep = "{\"type\": \"string\"}";
        for (int i = 0; i < StrictSchema.MAX_DEPTH; i++) {
            deep = "{\"type\": \"object\", \"required\": [\"x\"], \"properties\": {\"x\": " + deep + "}}";
        }
        assertThat(StrictSchema.of(Json.parse(deep)).schema()).isPresent();
        assertThat(whyNot("{\"type\": \"object\", \"required\": [\"x\"], \"properties\": {\"x\": " + deep + "}}")).contains("deeper than 10 levels");
        StringBuilder values = new StringBuilder();
        for (int i = 0; i <= StrictSchema.MAX_ENUM_VALUES; i++) {
            values.append(i == 0 ? "" : ",").append('"').append(i).append('"');
        }
        assertThat(whyNot("{\"type\": \"object\", \"properties\": {\"e\": {\"enum\": [" + values + "]}}}")).contains("more than 1000 enum values");
    }

    @Test
    void theOriginalSchemaIsNotChanged() {
        JsonNode schema = Json.parse("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"maxLength\": 3}}}");
        JsonNode copy = schema.deepCopy();
        strict(Json.write(schema));
        StrictSchema.of(schema);
        assertThat(schema).isEqualTo(copy);
    }
}
