package dev.mainstay.providers.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.contract.JsonSchema;
import dev.mainstay.provider.Message;
import dev.mainstay.provider.ModelRequest;
import dev.mainstay.provider.ProviderOutcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class DemoProviderTest {
    private static final JsonNode SCHEMA = Json.parse("""
            {"type": "object", "required": ["points", "confidence"], "additionalProperties": false,
             "properties": {
               "points": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 1000}},
               "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}
            """);
    private static final List<String> SENTENCES = List.of(
            "Revenue grew twelve percent in the third quarter.",
            "The Berlin office opens in March.",
            "Hiring is frozen until the audit is complete.");
    private static final String PROMPT = "Extract at most 5 key points from the document below. Report how confident you are.\n\n<document>\n"
            + String.join(" ", SENTENCES) + "\n</document>\n";

    private static DemoProvider demo(double faultRate, Duration latency) {
        return new DemoProvider(new DemoProvider.Config(latency, latency, faultRate), new Random(7));
    }

    private static ModelRequest request(Duration timeout) {
        return new ModelRequest("demo", List.of(Message.system("Answer in JSON."), Message.user(PROMPT)), SCHEMA, "points", 800, timeout, Map.of());
    }

    @Test
    void outputSatisfiesTheSchemaAndQuotesTheDocumentBlock() throws Exception {
        ProviderOutcome outcome = demo(0, Duration.ZERO).call(request(Duration.ofSeconds(5)));
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            JsonNode output = Json.parse(s.content());
            assertThat(JsonSchema.compile(SCHEMA).validate(output)).isEmpty();
            assertThat(output.get("points").values()).extracting(JsonNode::stringValue).containsExactlyElementsOf(SENTENCES);
            assertThat(s.content()).doesNotContain("Extract at most").doesNotContain("<document>");
            assertThat(s.reportedModel()).isEqualTo(DemoProvider.MODEL);
            assertThat(s.inputTokens()).isPositive();
            assertThat(s.outputTokens()).isPositive();
        });
    }

    @Test
    void aFieldThatARuleTiesToAnInputListTakesItsValueFromThatList() throws Exception {
        JsonNode schema = Json.parse("""
                {"type": "object", "required": ["action_items"], "properties": {"action_items": {"type": "array", "items": {
                  "type": "object", "required": ["task", "owner"], "properties": {"task": {"type": "string"}, "owner": {"type": "string"}}}}}}
                """);
        String rule = "output.action_items.all(item, item.owner in input.attendees)";
        String system = "Reply with exactly one JSON object.\nIt must also make each of these CEL expressions true, where `input` is the request's input and `output` is your answer:\n- " + rule;
        String prompt = "<attendees>\n- Ana Lopez\n- Ben Okafor\n</attendees>\n<transcript>\nWe met. Ben sends the notes. Ana books the room.\n</transcript>";
        ProviderOutcome outcome = demo(0, Duration.ZERO).call(new ModelRequest("demo", List.of(Message.system(system), Message.user(prompt)), schema, "items", 800,
                Duration.ofSeconds(5), Map.of()));
        JsonNode input = Json.parse("{\"attendees\": [\"Ana Lopez\", \"Ben Okafor\"]}");
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> {
            var contract = new dev.mainstay.contract.OutputContract(JsonSchema.compile(schema), List.of(dev.mainstay.contract.Rule.compile(rule)), null);
            assertThat(contract.check(s.content(), input)).isInstanceOf(dev.mainstay.contract.OutputContract.Check.Valid.class);
            assertThat(Json.parse(s.content()).path("action_items").findValuesAsString("owner")).containsExactly("Ana Lopez", "Ben Okafor", "Ana Lopez");
        });
    }

    @Test
    void alwaysFaultingDemoIsTransientWithARetryAfter() throws Exception {
        assertThat(demo(1.0, Duration.ZERO).call(request(Duration.ofSeconds(5))))
                .isInstanceOfSatisfying(ProviderOutcome.Transient.class, t -> assertThat(t.retryAfter()).isPresent());
    }

    @Test
    void latencyBeyondTheTimeoutIsTimedOut() throws Exception {
        Duration timeout = Duration.ofMillis(5);
        assertThat(demo(0, Duration.ofMillis(50)).call(request(timeout))).isEqualTo(new ProviderOutcome.TimedOut(timeout,
                "the demo model took longer than the stage timeout"));
    }

    @Test
    void nameIsDemo() {
        assertThat(demo(0, Duration.ZERO).name()).isEqualTo("demo");
    }
}
