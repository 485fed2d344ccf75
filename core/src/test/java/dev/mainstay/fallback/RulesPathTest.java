package dev.mainstay.fallback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.Json;
import dev.mainstay.contract.JsonSchema;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class RulesPathTest {
    private static final JsonNode POINTS = Json.parse("""
            {"type": "object", "required": ["points", "confidence"], "properties": {
              "points": {"type": "array", "maxItems": 20, "items": {"type": "string"}},
              "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}""");
    private static final JsonNode LEAD = Json.parse("""
            {"type": "object", "required": ["segment", "intent", "score", "reason"], "properties": {
              "segment": {"type": "string", "enum": ["enterprise", "smb", "not_a_lead"]},
              "intent": {"type": "string", "enum": ["buy", "evaluate", "other"]},
              "score": {"type": "integer", "minimum": 0, "maximum": 100},
              "reason": {"type": "string", "minLength": 1}}}""");

    @Test
    void extractiveSummaryKeepsTheMostRepresentativeSentencesInDocumentOrder() {
        JsonNode input = Json.parse("""
                {"document": "The invoice was wrong. Weather was nice. The invoice listed two seats. We paid the invoice twice.", "max_points": 2}""");
        JsonNode out = RulesPath.of("extractive-summary", null).run(input, POINTS).orElseThrow();
        assertThat(out.path("points").values().stream().map(JsonNode::asString))
                .hasSize(2).allMatch(s -> s.contains("invoice"));
        assertThat(out.path("points").get(0).asString()).isEqualTo("The invoice was wrong.");
        assertThat(JsonSchema.compile(POINTS).validate(out)).isEmpty();
    }

    @Test
    void keywordClassifierPicksTheEarliestMatchingValueAndIsValid() {
        RulesPath classifier = RulesPath.of("keyword-classifier", Json.parse("""
                {"rules": "keyword-classifier", "keywords": {"enterprise": ["bank"], "buy": ["pricing"]}, "default": "other"}"""));
        JsonNode out = classifier.run(Json.parse("{\"message\": \"Our bank wants pricing.\"}"), LEAD).orElseThrow();
        assertThat(out.path("segment").asString()).isEqualTo("enterprise");
        assertThat(out.path("intent").asString()).isEqualTo("buy");
        assertThat(JsonSchema.compile(LEAD).validate(out)).isEmpty();
        JsonNode none = classifier.run(Json.parse("{\"message\": \"hello\"}"), LEAD).orElseThrow();
        assertThat(none.path("intent").asString()).isEqualTo("other");
        assertThat(none.path("segment").asString()).isEqualTo("enterprise"); // first value when no default matches
    }

    @Test
    void perFieldDefaultsApplyWhereNoKeywordMatches() {
        RulesPath classifier = RulesPath.of("keyword-classifier", Json.parse("""
                {"rules": "keyword-classifier", "keywords": {"enterprise": ["bank"]}, "default": {"segment": "smb", "intent": "other"}}"""));
        classifier.check(java.util.List.of(LEAD));
        JsonNode none = classifier.run(Json.parse("{\"message\": \"hello\"}"), LEAD).orElseThrow();
        assertThat(none.path("segment").asString()).isEqualTo("smb");
        assertThat(none.path("intent").asString()).isEqualTo("other");
        JsonNode bank = classifier.run(Json.parse("{\"message\": \"a bank\"}"), LEAD).orElseThrow();
        assertThat(bank.path("segment").asString()).isEqualTo("enterprise");
    }

    @Test
    void aDefaultThatFitsNoEnumFieldIsRefused() {
        RulesPath wrongValue = RulesPath.of("keyword-classifier", Json.parse("""
                {"rules": "keyword-classifier", "default": {"segment": "other"}}"""));
        assertThatThrownBy(() -> wrongValue.check(java.util.List.of(LEAD))).hasMessageContaining("default.segment: 'other'");
        RulesPath nowhere = RulesPath.of("keyword-classifier", Json.parse("""
                {"rules": "keyword-classifier", "default": "maybe"}"""));
        assertThatThrownBy(() -> nowhere.check(java.util.List.of(LEAD))).hasMessageContaining("default: 'maybe'");
        assertThatThrownBy(() -> RulesPath.of("keyword-classifier", Json.parse("{\"rules\": \"keyword-classifier\", \"default\": [1]}")))
                .hasMessageContaining("default must be a value");
    }

    @Test
    void templateReplyRendersIntoTheFirstStringField() {
        JsonNode schema = Json.parse("{\"type\": \"object\", \"properties\": {\"reply\": {\"type\": \"string\"}, \"confidence\": {\"type\": \"number\"}}}");
        RulesPath reply = RulesPath.of("template-reply", Json.parse("{\"rules\": \"template-reply\", \"template\": \"Hi {{input.name}}.\"}"));
        JsonNode out = reply.run(Json.parse("{\"name\": \"Ada\"}"), schema).orElseThrow();
        assertThat(out.path("reply").asString()).isEqualTo("Hi Ada.");
        assertThat(out.path("confidence").asDouble()).isZero();
    }

    @Test
    void badOptionsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> RulesPath.of("summarise-everything", null)).hasMessageContaining("unknown rules path 'summarise-everything'");
        assertThatThrownBy(() -> RulesPath.of("template-reply", Json.parse("{\"rules\": \"template-reply\"}"))).hasMessageContaining("needs a 'template'");
        assertThatThrownBy(() -> RulesPath.of("extractive-summary", Json.parse("{\"rules\": \"extractive-summary\", \"form\": \"document\"}")))
                .hasMessageContaining("unknown option 'form'");
        assertThatThrownBy(() -> RulesPath.of("keyword-classifier", Json.parse("{\"rules\": \"keyword-classifier\", \"keywords\": {\"a\": \"b\"}}")))
                .hasMessageContaining("keywords.a must be a list");
    }
}
