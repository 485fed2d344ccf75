package dev.mainstay.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
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

    private static String sourceText(SeededRandom random) {
        List<String> sentences = random.list(1, 6, r -> String.join(" ", r.list(2, 9, w -> w.pick(WORDS))) + ".");
        return String.join(random.pick(" ", "\n", "\n\n"), sentences);
    }

    private static ObjectNode stringSchema(SeededRandom random) {
        int lo = random.intBetween(0, 150);
        int more = random.intBetween(0, 300);
        boolean hasMin = random.nextBoolean();
        boolean hasMax = random.nextBoolean();
        ObjectNode s = Json.object().put("type", "string");
        if (hasMin) {
            s.put("minLength", lo);
        }
        if (hasMax) {
            s.put("maxLength", (hasMin ? lo : 0) + more);
        }
        return s;
    }

    private static ObjectNode numberSchema(SeededRandom random, String type) {
        int l = random.intBetween(-1000, 1000);
        int w = random.intBetween(0, 500);
        ObjectNode s = Json.object().put("type", type);
        switch (random.intBetween(0, 5)) { // which bounds, exclusive or not
            case 0 -> { }
            case 1 -> s.put("minimum", l);
            case 2 -> s.put("maximum", l);
            case 3 -> s.put("minimum", l).put("maximum", l + w);
            case 4 -> s.put("exclusiveMinimum", l).put("exclusiveMaximum", l + w + 2);
            default -> s.put("minimum", 0).put("maximum", 1);
        }
        return s;
    }

    private static ObjectNode enumSchema(SeededRandom random) {
        ObjectNode s = Json.object().put("type", "string");
        random.distinct(ENUM_VALUES, 1, 4).forEach(s.putArray("enum")::add);
        return s;
    }

    private static ObjectNode arraySchema(SeededRandom random) {
        int min = random.intBetween(0, 5);
        int more = random.intBetween(0, 4);
        ObjectNode items = stringSchema(random);
        boolean hasMax = random.nextBoolean();
        ObjectNode s = Json.object().put("type", "array").put("minItems", min);
        if (hasMax) {
            s.put("maxItems", min + more);
        }
        s.set("items", items);
        return s;
    }

    private static ObjectNode leafSchema(SeededRandom random) {
        return random.oneOf(SchemaSamplerTest::stringSchema, r -> numberSchema(r, "integer"), r -> numberSchema(r, "number"),
                SchemaSamplerTest::enumSchema, SchemaSamplerTest::arraySchema, r -> Json.object().put("type", "boolean"));
    }

    private static ObjectNode objectOf(SeededRandom random, Function<SeededRandom, ObjectNode> fields) {
        ObjectNode o = Json.object().put("type", "object").put("additionalProperties", false);
        ObjectNode props = o.putObject("properties");
        var required = o.putArray("required");
        for (String name : random.distinct(FIELD_NAMES, 1, 5)) {
            props.set(name, fields.apply(random));
            required.add(name);
        }
        return o;
    }

    private static ObjectNode schema(SeededRandom random) {
        return objectOf(random, r -> r.oneOf(SchemaSamplerTest::leafSchema, SchemaSamplerTest::leafSchema, o -> objectOf(o, SchemaSamplerTest::leafSchema)));
    }

    @Property(tries = 300)
    void sampleSatisfiesTheSchemaAndItsStringsComeFromTheSource(SeededRandom random) {
        ObjectNode schema = random.draw("schema", SchemaSamplerTest::schema);
        String source = random.draw("source", SchemaSamplerTest::sourceText);
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
