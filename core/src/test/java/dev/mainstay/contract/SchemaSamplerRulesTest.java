package dev.mainstay.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** The demo model's and the fake provider's answers keep the rules that tie output fields to the input. */
class SchemaSamplerRulesTest {
    private static final JsonNode SCHEMA = Json.parse("""
            {"type": "object", "required": ["action_items"], "additionalProperties": false,
             "properties": {"action_items": {"type": "array", "maxItems": 20, "items": {
               "type": "object", "required": ["task", "owner"], "additionalProperties": false,
               "properties": {"task": {"type": "string", "minLength": 1}, "owner": {"type": "string", "minLength": 1}}}}}}
            """);
    private static final String RULE = "output.action_items.all(item, item.owner in input.attendees)";
    private static final JsonNode INPUT = Json.parse("""
            {"attendees": ["Ana Lopez", "Ben Okafor", "Chen Wei"],
             "transcript": "Budget review. Ben will send the revised budget by Friday. Chen Wei books the venue. Someone updates the wiki."}
            """);

    /** The system text as the engine writes it: the schema, then the rules one a line. */
    private static String instructions(String... rules) {
        return "You are the 'extract' stage of the workflow 'meetings/action-items'. Reply with exactly one JSON object and nothing else. "
                + "It must satisfy this JSON Schema:\n" + Json.write(SCHEMA)
                + "\nIt must also make each of these CEL expressions true, where `input` is the request's input and `output` is your answer:\n"
                + String.join("\n", List.of(rules).stream().map(r -> "- " + r).toList());
    }

    private static String prompt(String attendees) {
        return "List the action items. Each owner is one of the attendees, written as in the list.\n\n<attendees>\n" + attendees
                + "\n</attendees>\n\n<transcript>\n" + INPUT.path("transcript").asString() + "\n</transcript>\n";
    }

    private static OutputContract contract(String... rules) {
        return new OutputContract(JsonSchema.compile(SCHEMA), List.of(rules).stream().map(Rule::compile).toList(), null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"- Ana Lopez\n- Ben Okafor\n- Chen Wei", "Ana Lopez\nBen Okafor\nChen Wei", "Ana Lopez, Ben Okafor, Chen Wei", "[Ana Lopez, Ben Okafor, Chen Wei]",
            "1. Ana Lopez\n2. Ben Okafor\n3. Chen Wei"})
    void anOwnerBoundByARuleIsAnAttendeeMentionedInItsTaskOrTheNextInOrder(String attendees) {
        JsonNode answer = SchemaSampler.answer(SCHEMA, instructions(RULE), prompt(attendees));
        assertThat(contract(RULE).check(Json.write(answer), INPUT)).isInstanceOf(OutputContract.Check.Valid.class);
        assertThat(answer.path("action_items").values()).extracting(i -> i.path("task").asString() + " -> " + i.path("owner").asString()).containsExactly(
                "Budget review. -> Ana Lopez",
                "Ben will send the revised budget by Friday. -> Ben Okafor",
                "Chen Wei books the venue. -> Chen Wei");
        assertThat(SchemaSampler.answer(SCHEMA, instructions(RULE), prompt(attendees))).as("deterministic").isEqualTo(answer);
    }

    @Test
    void withoutTheRuleTheOwnerIsJustASentenceWhichBreaksIt() {
        JsonNode answer = SchemaSampler.answer(SCHEMA, instructions(), prompt("Ana Lopez\nBen Okafor"));
        assertThat(contract(RULE).check(Json.write(answer), INPUT)).isInstanceOf(OutputContract.Check.Invalid.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "input.attendees.exists(a, a == output.action_items[0].owner) && output.action_items.all(i, input.attendees.exists(a, a == i.owner))",
            "output.action_items.all(i, i.owner in input.attendees || i.owner == 'unassigned')",
            "!output.action_items.exists(i, !(i.owner in input.attendees))"})
    void otherWaysOfWritingMembershipAreReadToo(String rule) {
        JsonNode answer = SchemaSampler.answer(SCHEMA, instructions(rule), prompt("Ana Lopez\nBen Okafor\nChen Wei"));
        assertThat(answer.path("action_items").findValuesAsString("owner")).isSubsetOf("Ana Lopez", "Ben Okafor", "Chen Wei").isNotEmpty();
    }

    @Test
    void aValueTheSchemaDoesNotAllowIsNeverDrawnAndANegatedRuleBindsNothing() {
        JsonNode narrow = Json.parse("""
                {"type": "object", "properties": {"owner": {"type": "string", "maxLength": 8}, "team": {"type": "string"}, "not_owner": {"type": "string"}}}
                """);
        String rules = "It must also make each of these CEL expressions true:\n- output.owner in input.attendees\n- output.team == input.team\n- !(output.not_owner in input.attendees)";
        JsonNode answer = SchemaSampler.answer(narrow, rules, "<attendees>Ana Lopez, Ben Li</attendees>\n<team>Platform</team>\n<notes>Ship it. Then rest.</notes>");
        assertThat(answer.path("owner").asString()).as("Ana Lopez is 9 characters").isEqualTo("Ben Li");
        assertThat(answer.path("team").asString()).isEqualTo("Platform");
        assertThat(answer.path("not_owner").asString()).isNotIn("Ana Lopez", "Ben Li");
    }

    @Test
    void theRulesAreTheDashedLinesAfterTheSentenceThatIntroducesThem() {
        assertThat(SchemaSampler.rules(instructions("size(output.action_items) <= 5", RULE) + "\n\nSomething else.\n- not a rule"))
                .containsExactly("size(output.action_items) <= 5", RULE);
        assertThat(SchemaSampler.rules("Answer in JSON.\n- a list item")).isEmpty();
    }

    @Test
    void stringsComeFromTheTaggedBlocksOrElseTheWholePrompt() {
        JsonNode two = Json.parse("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}, \"b\": {\"type\": \"string\"}}}");
        assertThat(SchemaSampler.answer(two, "", "Intro <subject>Refund</subject> and <body>\n Charged twice. \n</body> end"))
                .isEqualTo(Json.parse("{\"a\": \"Refund\", \"b\": \"Charged twice.\"}"));
        assertThat(SchemaSampler.answer(two, "", "No blocks here.").path("a").asString()).isEqualTo("No blocks here.");
    }
}
