package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.RecordedRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * CEL rules and the confidence gate of the output contract, end to end through the fake provider
 * over real HTTP. The fake answers every call alike (confidence 0.86 on a 0..1 scale), so
 * test/ruled fails its rule when the request asks for more characters than the fake writes, and
 * test/gated always falls below its 0.9 gate.
 */
class OutputRulesAndConfidenceTest {
    private static final String RULE = "size(output.summary) >= input.min_chars";
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> {
        String echo = TestNode.ECHO;
        String ruled = edit(echo, "workflow: test/echo", "workflow: test/ruled");
        ruled = edit(ruled, "    text: { type: string, minLength: 1 }\n", "    text: { type: string, minLength: 1 }\n    min_chars: { type: integer, default: 1 }\n");
        ruled = edit(ruled, "    retry:", "      rules: [\"" + RULE + "\"]\n    retry:");
        String gated = edit(echo, "workflow: test/echo", "workflow: test/gated");
        gated = edit(gated, "        required: [summary]", "        required: [summary, confidence]");
        gated = edit(gated, "          summary: { type: string, minLength: 1 }\n",
                "          summary: { type: string, minLength: 1 }\n          confidence: { type: number, minimum: 0, maximum: 1 }\n");
        gated = edit(gated, "    retry:", "      confidence: { field: confidence, min: 0.9, below: review }\n    retry:");
        String toDraft = edit(gated, "workflow: test/gated", "workflow: test/gated-draft");
        toDraft = edit(toDraft, "below: review }", "below: fallback }") + "fallback: [draft]\n";
        setup.workflow("test/ruled", ruled).workflow("test/gated", gated).workflow("test/gated-draft", toDraft);
    });
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;

    private static String edit(String yaml, String from, String to) {
        if (!yaml.contains(from)) {
            throw new IllegalStateException("test/echo.yaml no longer contains '" + from + "'; update this test's edits");
        }
        return yaml.replace(from, to);
    }

    private static JsonNode run(String workflow, String body) {
        Http.Response r = node.http.post("/v1/" + workflow, KEY, body);
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        return node.awaitTerminal(r.json().path("id").asString());
    }

    private static List<RecordedRequest> callsOf(JsonNode job) {
        return fake.requests().stream().filter(r -> r.job().equals(job.path("id").asString())).toList();
    }

    @Test
    void outputThatKeepsItsRulesCompletesAndTheModelIsToldTheRules() {
        JsonNode job = run("test/ruled", "{\"text\": \"A short text.\"}");
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(job.path("provenance").path("validation").asString()).isEqualTo("passed");
        List<RecordedRequest> calls = callsOf(job);
        assertThat(calls).hasSize(1);
        assertThat(calls.getFirst().body().path("messages").get(0).path("content").asString()).contains("- " + RULE);
    }

    @Test
    void ruleBrokenAfterTheRepairFailsWithInvalidModelOutputNamingTheRule() {
        JsonNode job = run("test/ruled", "{\"text\": \"A short text.\", \"min_chars\": 5000}");
        assertThat(job.path("status").asString()).isEqualTo("failed");
        assertThat(job.path("error").path("code").asString()).isEqualTo("invalid_model_output");
        assertThat(job.path("error").path("message").asString()).contains("rule '" + RULE + "' is false");
        assertThat(job.path("stages").get(0).path("provenance").path("validation").asString()).isEqualTo("failed");
        List<RecordedRequest> calls = callsOf(job);
        assertThat(calls).hasSize(2);
        JsonNode repair = calls.get(1).body().path("messages");
        assertThat(repair.get(repair.size() - 1).path("content").asString()).contains("rule '" + RULE + "' is false");
    }

    @Test
    void confidenceBelowAReviewGateWaitsForAPersonWithTheAnswerProposed() {
        String id = node.http.post("/v1/test/gated", KEY, "{\"text\": \"Unsure about this.\"}").json().path("id").asString();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                node.http.get("/v1/jobs/" + id, KEY).json().path("status").asString().equals("waiting_for_review"));
        JsonNode job = node.http.get("/v1/jobs/" + id, KEY).json();
        JsonNode error = job.path("error");
        assertThat(error.path("code").asString()).isEqualTo("low_confidence");
        assertThat(error.path("retryable").asBoolean()).isFalse();
        assertThat(error.path("message").asString()).contains("confidence 0.86").contains("minimum 0.9").contains("declared action: review");
        assertThat(job.path("dead_letter").asBoolean()).isFalse();
        assertThat(callsOf(job)).as("low confidence is not repaired").hasSize(1);

        JsonNode review = null;
        for (JsonNode r : node.http.get("/v1/reviews?status=pending&workflow=test/gated", KEY).json().path("reviews")) {
            if (r.path("job_id").asString().equals(id)) {
                review = r;
            }
        }
        assertThat(review).isNotNull();
        assertThat(review.path("proposed").path("confidence").asDouble()).isEqualTo(0.86);
        assertThat(node.http.post("/v1/reviews/" + review.path("id").asString() + "/decision", KEY, "{\"decision\": \"approve\"}").status()).isEqualTo(200);
        JsonNode done = node.awaitTerminal(id);
        assertThat(done.path("result").path("confidence").asDouble()).isEqualTo(0.86);
        assertThat(done.path("provenance").path("validation").asString()).isEqualTo("reviewed");
    }

    @Test
    void confidenceBelowAFallbackGateTakesTheLadder() {
        JsonNode job = run("test/gated-draft", "{\"text\": \"Unsure again.\"}");
        assertThat(job.path("status").asString()).isEqualTo("degraded");
        assertThat(job.path("result_type").asString()).isEqualTo("draft");
        assertThat(job.path("result").path("confidence").asDouble()).isEqualTo(0.86);
        assertThat(job.path("provenance").path("fallback_path").get(0).asString()).isEqualTo("fake/gpt-4o-mini: low_confidence");
    }

    @Test
    void theShippedExampleKeepsItsRuleForASmallMaximum() {
        JsonNode job = run("briefs/extract-key-points",
                "{\"document\": \"Invoices failed at two. Finance needs them by noon. Rerun the job. Tell the team.\", \"max_points\": 2}");
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(job.path("result").path("points")).hasSize(2);
        assertThat(job.path("provenance").path("validation").asString()).isEqualTo("passed");
    }
}
