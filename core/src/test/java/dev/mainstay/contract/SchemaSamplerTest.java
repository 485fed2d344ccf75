package dev.mainstay.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

class SchemaSamplerTest {
    private static final List<String> WORDS = List.of(
            "the", "invoice", "was", "charged", "twice", "billing", "refund", "please", "urgent", "login",
            "fails", "after", "update", "café", "naïve", "größe", "🚀launch", "tomorrow", "support", "team",
            "𝄞music", "deadline", "enterprise", "account", "locked");
    private static final List<String> FIELD_NAMES = List.of(
            "title", "summary", "confidence", "score", "reply", "count", "category", "points", "detail", "ratio", "draft_body");
    private static final List<String> ENUM_VALUES = List.of("billing", "bug", "account", "how_to", "other", "enterprise", "smb", "not_a_lead");

    @Provide
    Arbitrary<String> sourceTexts() {
        Arbitrary<String> sentence = Arbitraries.of(WORDS).list().ofMinSize(2).ofMaxSize(9)
                .map(words -> String.join(" ", words) + ".");
        return sentence.list().ofMinSize(1).ofMaxSize(6)
                .flatMap(sentences -> Arbitraries.of(" ", "\n", "\n\n").map(sep -> String.join(sep, sentences)));
    }

    private static Arbitrary<ObjectNode> stringSchema() {
        Arbitrary<Integer> min = Arbitraries.integers().between(0, 150);
        Arbitrary<Integer> extra = Arbitraries.integers().between(0, 300);
        return Combinators.combine(min, extra, Arbitraries.of(true, false), Arbitraries.of(true, false)).as((lo, more, hasMin, hasMax) -> {
            ObjectNode s = Json.object().put("type", "string");
            if (hasMin) {
                s.put("minLength", lo);
            }
            if (hasMax) {
                s.put("maxLength", (hasMin ? lo : 0) + more);
            }
            return s;
        });
    }

    private static Arbitrary<ObjectNode> numberSchema(String type) {
        Arbitrary<Integer> lo = Arbitraries.integers().between(-1000, 1000);
        Arbitrary<Integer> width = Arbitraries.integers().between(0, 500);
        Arbitrary<Integer> bounds = Arbitraries.integers().between(0, 5); // which bounds, exclusive or not
        return Combinators.combine(lo, width, bounds).as((l, w, b) -> {
            ObjectNode s = Json.object().put("type", type);
            switch (b) {
                case 0 -> { }
                case 1 -> s.put("minimum", l);
                case 2 -> s.put("maximum", l);
                case 3 -> s.put("minimum", l).put("maximum", l + w);
                case 4 -> s.put("exclusiveMinimum", l).put("exclusiveMaximum", l + w + 2);
                default -> s.put("minimum", 0).put("maximum", 1);
            }
            return s;
        });
    }

    private static Arbitrary<ObjectNode> enumSchema() {
        return Arbitraries.of(ENUM_VALUES).set().ofMinSize(1).ofMaxSize(4).map(values -> {
            ObjectNode s = Json.object().put("type", "string");
            values.forEach(s.putArray("enum")::add);
            return s;
        });
    }

    private static Arbitrary<ObjectNode> arraySchema() {
        return Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 4), stringSchema(), Arbitraries.of(true, false))
                .as((min, more, items, hasMax) -> {
                    ObjectNode s = Json.object().put("type", "array").put("minItems", min);
                    if (hasMax) {
                        s.put("maxItems", min + more);
                    }
                    s.set("items", items);
                    return s;
                });
    }

    private static Arbitrary<ObjectNode> leafSchema() {
        return Arbitraries.oneOf(stringSchema(), numberSchema("integer"), numberSchema("number"), enumSchema(), arraySchema(),
                Arbitraries.just(Json.object().put("type", "boolean")));
    }

    private static Arbitrary<ObjectNode> objectOf(Arbitrary<ObjectNode> fields) {
        return Combinators.combine(Arbitraries.of(FIELD_NAMES).set().ofMinSize(1).ofMaxSize(5), fields.list().ofSize(5))
                .as((names, schemas) -> {
                    ObjectNode o = Json.object().put("type", "object").put("additionalProperties", false);
                    ObjectNode props = o.putObject("properties");
                    var required = o.putArray("required");
                    int i = 0;
                    for (String name : names) {
                        props.set(name, schemas.get(i++));
                        required.add(name);
                    }
                    return o;
                });
    }

    @Provide
    Arbitrary<ObjectNode> schemas() {
        return objectOf(Arbitraries.oneOf(leafSchema(), leafSchema(), objectOf(leafSchema())));
    }

    @Property(tries = 300)
    void sampleSatisfiesTheSchemaAndItsStringsComeFromTheSource(@ForAll("schemas") ObjectNode schema, @ForAll("sourceTexts") String source) {
        JsonNode sample = SchemaSampler.sample(schema, source);
        assertThat(JsonSchema.compile(schema).validate(sample)).as("sample %s for schema %s", sample, schema).isEmpty();
        List<String> strings = new ArrayList<>();
        collectFreeStrings(schema, sample, strings);
        for (String s : strings) {
            assertWellFormed(s);
            for (String token : s.split("\\s+")) {
                assertThat(source).as("string %s of sample %s", s, sample).contains(token);
            }
        }
    }

    /** Strings the sampler wrote itself (not enum picks), walking schema and sample together. */
    private static void collectFreeStrings(JsonNode schema, JsonNode value, List<String> out) {
        if (schema.has("enum")) {
            return;
        }
        switch (schema.path("type").asString("")) {
            case "string" -> out.add(value.stringValue());
            case "array" -> value.values().forEach(v -> collectFreeStrings(schema.get("items"), v, out));
            case "object" -> schema.get("properties").properties().forEach(e -> collectFreeStrings(e.getValue(), value.get(e.getKey()), out));
            default -> { }
        }
    }

    private static void assertWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertThat(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))).as("lone high surrogate in %s", s).isTrue();
                i++;
            } else {
                assertThat(Character.isLowSurrogate(c)).as("lone low surrogate in %s", s).isFalse();
            }
        }
    }

    @Test
    void enumPicksTheValueTheTextMentionsFirst() {
        JsonNode schema = Json.parse("{\"type\": \"string\", \"enum\": [\"billing\", \"how_to\", \"bug\"]}");
        assertThat(SchemaSampler.sample(schema, "I found a bug. Also a billing question.").stringValue()).isEqualTo("bug");
        assertThat(SchemaSampler.sample(schema, "How to export my data?").stringValue()).isEqualTo("how_to");
        assertThat(SchemaSampler.sample(schema, "Nothing relevant here.").stringValue()).isEqualTo("billing");
    }

    @Test
    void stringsTakeSentencesInOrder() {
        JsonNode schema = Json.parse("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}, \"b\": {\"type\": \"string\"}}}");
        JsonNode sample = SchemaSampler.sample(schema, "First point here. Second point there! Third one?");
        assertThat(sample).isEqualTo(Json.parse("{\"a\": \"First point here.\", \"b\": \"Second point there!\"}"));
    }

    @Test
    void confidenceLikeNumbersSitHighInTheirRange() {
        JsonNode schema = Json.parse("{\"type\": \"object\", \"properties\": {\"confidence\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 1},"
                + " \"score\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 100}}}");
        JsonNode sample = SchemaSampler.sample(schema, "Some text.");
        assertThat(sample.get("confidence").doubleValue()).isEqualTo(0.86);
        assertThat(sample.get("score").longValue()).isEqualTo(86);
    }

    @Test
    void lengthsCountCodePointsAndCutsNeverSplitAnEmoji() {
        JsonNode exact = Json.parse("{\"type\": \"string\", \"minLength\": 6, \"maxLength\": 6}");
        JsonNode sample = SchemaSampler.sample(exact, "the 🚀launch.");
        assertThat(sample.stringValue()).isEqualTo("the 🚀l");
        JsonNode cut = Json.parse("{\"type\": \"string\", \"maxLength\": 5}");
        assertThat(SchemaSampler.sample(cut, "the 🚀launch.").stringValue()).isEqualTo("the 🚀");
    }

    @Test
    void emptySourceStillGivesAValidDocument() {
        JsonNode schema = Json.parse("{\"type\": \"object\", \"required\": [\"s\"], \"properties\": {\"s\": {\"type\": \"string\", \"minLength\": 1}}}");
        assertThat(JsonSchema.compile(schema).validate(SchemaSampler.sample(schema, ""))).isEmpty();
        assertThat(JsonSchema.compile(schema).validate(SchemaSampler.sample(schema, null))).isEmpty();
    }

    @Test
    void constAndAnyOfAreHonoured() {
        JsonNode schema = Json.parse("{\"type\": \"object\", \"properties\": {\"v\": {\"const\": 2}, \"u\": {\"anyOf\": [{\"type\": \"integer\", \"minimum\": 10}, {\"type\": \"string\"}]}}}");
        JsonNode sample = SchemaSampler.sample(schema, "x y z.");
        assertThat(sample.get("v").intValue()).isEqualTo(2);
        assertThat(sample.get("u").isIntegralNumber()).isTrue();
        assertThat(sample.get("u").intValue()).isEqualTo(10);
    }

    @Test
    void atMostInTheInstructionsBoundsArrays() {
        JsonNode schema = Json.parse("{\"type\": \"object\", \"properties\": {\"points\": {\"type\": \"array\", \"maxItems\": 20, \"items\": {\"type\": \"string\"}}}}");
        String document = "One. Two is here. Three is there. Four at last.";
        assertThat(SchemaSampler.sample(schema, document, "Extract at most 2 key points from the document below.").get("points")).hasSize(2);
        assertThat(SchemaSampler.sample(schema, document, "Extract the key points.").get("points")).hasSize(3);
    }

    @Test
    void atMostNeverGoesBelowMinItems() {
        JsonNode schema = Json.parse("{\"type\": \"array\", \"minItems\": 2, \"items\": {\"type\": \"string\"}}");
        assertThat(SchemaSampler.sample(schema, "One. Two is here. Three is there.", "Give at most 1 answer.")).hasSize(2);
    }
}
