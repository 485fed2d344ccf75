package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * The fallback ladder through real HTTP: the next target of the route, then the declared rungs
 * (cached, rules, draft), each recorded in provenance.fallback_path, ending {@code degraded}.
 */
class FallbackLadderTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup
            .route("pair", "fake/model-a", "fake/model-b")
            .workflow("test/laddered", """
                    workflow: test/laddered
                    version: 1
                    latency: wait
                    input:
                      type: object
                      required: [document]
                      properties:
                        document: { type: string, minLength: 1 }
                        max_points: { type: integer, default: 2 }
                    stages:
                      - id: extract
                        model:
                          prompt: prompts/echo-document.mustache
                          route: [primary]
                          timeout: 2s
                        output:
                          schema:
                            type: object
                            required: [points, confidence]
                            properties:
                              points: { type: array, minItems: 1, items: { type: string } }
                              confidence: { type: number, minimum: 0, maximum: 1 }
                        retry: { attempts: 2, backoff: 10ms, max_backoff: 20ms }
                    fallback: [cached, { rules: extractive-summary }]
                    """)
            .workflow("test/drafted", """
                    workflow: test/drafted
                    version: 1
                    latency: wait
                    input:
                      type: object
                      required: [document]
                      properties:
                        document: { type: string }
                    stages:
                      - id: write
                        model:
                          prompt: prompts/echo-document.mustache
                          route: [pair]
                          timeout: 2s
                        output:
                          schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                        retry: { attempts: 2, backoff: 10ms, max_backoff: 20ms }
                    fallback: [cached, draft]
                    """)
            .file("prompts/echo-document.mustache", "Summarise.\n<document>\n{{input.document}}\n</document>\n"));
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;

    private JsonNode run(String workflow, String body, FaultScript script) {
        fake.script(script);
        Http.Response r = node.http.post("/v1/" + workflow, KEY, body, "Prefer", "wait=30");
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        return node.awaitTerminal(r.json().path("id").asString());
    }

    private static List<String> path(JsonNode job) {
        return job.path("provenance").path("fallback_path").values().stream().map(JsonNode::asString).toList();
    }

    @Test
    void nextTargetOfTheRouteAnswersWhenTheFirstGivesUp() {
        JsonNode job = run("test/drafted", "{\"document\": \"Route me. Elsewhere.\"}",
                FaultScript.perJob(Fault.status(503), Fault.status(503)));
        assertThat(job.path("status").asString()).isEqualTo("degraded");
        assertThat(job.path("result_type").asString()).isEqualTo("full");
        assertThat(job.path("provenance").path("model").asString()).isEqualTo("model-b-fake-0001");
        assertThat(path(job)).containsExactly("fake/model-a: provider_unavailable, switched to fake/model-b");
        List<String> models = fake.requests().stream().filter(r -> r.job().equals(job.path("id").asString()))
                .map(r -> r.body().path("model").asString()).toList();
        assertThat(models).containsExactly("model-a", "model-a", "model-b");
    }

    @Test
    void cachedResultServesTheSameInputWhenEveryTargetFails() {
        String body = "{\"document\": \"Cache this answer. It was good.\"}";
        JsonNode good = run("test/laddered", body, FaultScript.none());
        assertThat(good.path("status").asString()).isEqualTo("completed");
        JsonNode degraded = run("test/laddered", body, FaultScript.always(Fault.status(500)));
        assertThat(degraded.path("status").asString()).isEqualTo("degraded");
        assertThat(degraded.path("result_type").asString()).isEqualTo("fallback");
        assertThat(degraded.path("result")).isEqualTo(good.path("result"));
        assertThat(degraded.path("error").isNull()).isTrue();
        assertThat(path(degraded)).containsExactly("fake/gpt-4o-mini: provider_unavailable", "cached: served the result of " + good.path("id").asString());

        JsonNode diff = node.http.get("/v1/jobs/" + good.path("id").asString() + "/diff/" + degraded.path("id").asString(), KEY).json();
        assertThat(diff.path("same_result").asBoolean()).isTrue();
        assertThat(diff.path("differences").findValuesAsString("field")).containsExactly("status", "result_type", "provenance.fallback_path");
        assertThat(diff.path("explanation").values().stream().map(JsonNode::asString).toList())
                .contains("they took different paths through the fallback ladder");
        assertThat(diff.path("paths").path("b").size()).isEqualTo(2);
    }

    @Test
    void diffExplainsAModelAndPromptChangeAndIsAccountScoped() {
        JsonNode a = run("test/laddered", "{\"document\": \"Diff me. Please.\"}", FaultScript.none());
        JsonNode b = run("test/laddered", "{\"document\": \"Something else entirely.\"}", FaultScript.always(Fault.status(503)));
        JsonNode diff = node.http.get("/v1/jobs/" + a.path("id").asString() + "/diff/" + b.path("id").asString(), KEY).json();
        assertThat(diff.path("differences").findValuesAsString("field")).contains("input_hash", "provenance.provider", "provenance.model");
        String other = node.http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Differ\"}").json().path("api_key").path("secret").asString();
        assertProblem(node.http.get("/v1/jobs/" + a.path("id").asString() + "/diff/" + b.path("id").asString(), other), 404, "not_found");
    }

    @Test
    void extractiveSummaryRulesAnswerANewInputWithoutAModel() {
        JsonNode job = run("test/laddered", "{\"document\": \"Refunds take five days. Refunds need a receipt. The office cat is called Tom. Receipts are emailed.\", \"max_points\": 2}",
                FaultScript.always(Fault.refusal()));
        assertThat(job.path("status").asString()).isEqualTo("degraded");
        assertThat(job.path("result_type").asString()).isEqualTo("fallback");
        assertThat(job.path("result").path("points").size()).isEqualTo(2);
        assertThat(job.path("result").path("points").get(0).asString()).contains("Refunds");
        assertThat(job.path("result").path("confidence").asDouble()).isZero();
        assertThat(job.path("provenance").path("provider").asString()).isEqualTo("mainstay");
        assertThat(job.path("provenance").path("model").asString()).isEqualTo("rules:extractive-summary");
        assertThat(path(job)).containsExactly("fake/gpt-4o-mini: provider_refused", "cached: no earlier full result for this input",
                "rules:extractive-summary: built the result without a model");
    }

    @Test
    void draftHandsOverAnAnswerThatFailedItsContract() {
        JsonNode job = run("test/drafted", "{\"document\": \"Never valid.\"}", FaultScript.always(Fault.invalidOutput()));
        assertThat(job.path("status").asString()).isEqualTo("degraded");
        assertThat(job.path("result_type").asString()).isEqualTo("draft");
        assertThat(job.path("result").has("unexpected")).isTrue();
        assertThat(job.path("provenance").path("validation").asString()).isEqualTo("failed");
        assertThat(path(job)).containsExactly("fake/model-a: invalid_model_output, switched to fake/model-b",
                "fake/model-b: invalid_model_output", "cached: no earlier full result for this input",
                "draft: handed over the model's answer that failed its contract");
    }

    @Test
    void withNothingLeftOnTheLadderTheJobFailsWithTheWholePath() {
        JsonNode job = run("test/drafted", "{\"document\": \"Nothing works.\"}", FaultScript.always(Fault.status(400)));
        assertThat(job.path("status").asString()).isEqualTo("failed");
        assertThat(job.path("error").path("code").asString()).isEqualTo("provider_rejected");
        assertThat(path(job)).containsExactly("fake/model-a: provider_rejected, switched to fake/model-b", "fake/model-b: provider_rejected",
                "cached: no earlier full result for this input", "draft: no model answer of the final stage to hand over");
    }

    @Test
    void shippedLeadClassifierFallsBackToKeywords() {
        fake.script(FaultScript.always(Fault.status(503)));
        Http.Response r = node.http.post("/v1/leads/classify", KEY, "{\"message\": \"Our bank needs pricing for 2000 seats.\"}");
        assertThat(r.status()).isEqualTo(200);
        JsonNode job = r.json();
        assertThat(job.path("status").asString()).isEqualTo("degraded");
        assertThat(job.path("result_type").asString()).isEqualTo("fallback");
        assertThat(job.path("result").path("segment").asString()).isEqualTo("enterprise");
        assertThat(job.path("result").path("intent").asString()).isEqualTo("buy");
        assertThat(job.path("result").path("score").asInt()).isZero();
        assertThat(job.path("provenance").path("model").asString()).isEqualTo("rules:keyword-classifier");
    }

    @Test
    void shippedSupportWorkflowEndsItsLadderWithAPerson() {
        fake.script(FaultScript.perJob(Fault.ok(), Fault.refusal()));
        String id = node.http.post("/v1/support/draft-response", KEY,
                "{\"ticket\": {\"subject\": \"Login broken\", \"body\": \"I cannot log in.\", \"customer_name\": \"Ada\"}}").json().path("id").asString();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                node.http.get("/v1/jobs/" + id, KEY).json().path("status").asString().equals("waiting_for_review"));
        JsonNode waiting = node.http.get("/v1/jobs/" + id, KEY).json();
        assertThat(path(waiting)).containsExactly("fake/gpt-4o-mini: provider_refused", "draft: no model answer of the final stage to hand over",
                "review: sent to a person, who decides within PT24H (then: reject)");
        JsonNode review = node.http.get("/v1/reviews?status=pending&workflow=support/draft-response", KEY).json().path("reviews").get(0);
        assertThat(review.path("job_id").asString()).isEqualTo(id);
        assertThat(review.path("stage").asString()).isEqualTo("draft");
        node.http.post("/v1/reviews/" + review.path("id").asString() + "/decision", KEY,
                "{\"decision\": \"edit\", \"output\": {\"reply\": \"Hello Ada, we reset your login.\", \"confidence\": 1}}");
        JsonNode done = node.awaitTerminal(id);
        assertThat(done.path("status").asString()).isEqualTo("degraded");
        assertThat(done.path("result").path("reply").asString()).isEqualTo("Hello Ada, we reset your login.");
        assertThat(done.path("stages").get(0).path("status").asString()).isEqualTo("completed");
    }
}
