package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.job.Job;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Model grading in runs over real HTTP, the testkit fake provider answering both the graded
 * workflow and its judge: a verdict scored {@code (score - 1) / (scale - 1)} with the judge's
 * reason; a verdict that breaks its schema (the fake's score out of range) scored 0, saying why;
 * grading off, the judge skipped and never called; and the judge's calls charged to the eval
 * account, as jobs with provenance, with the graded workflow's redaction applied.
 */
class EvalModelGradingTest {
    private static final String RUBRIC = "The summary says what the text said, and nothing else.";

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup
            .withoutExamples()
            .file("prompts/graded.mustache", "Summarise.\n<text>{{input.text}}</text>\n")
            .workflow("test/graded", """
                    workflow: test/graded
                    version: 1
                    latency: async
                    input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                    stages:
                      - id: only
                        model: { prompt: prompts/graded.mustache, route: [primary], timeout: 5s }
                        output: { schema: { type: object, required: [summary], additionalProperties: false, properties: { summary: { type: string } } } }
                    redact: { kinds: [email], mode: mask }
                    evals: graded.evals.yaml
                    """)
            .file("test/graded.evals.yaml", """
                    suite: test-graded
                    threshold: 0.5
                    scorers:
                      - schema_valid
                      - model_graded: { rubric: "%s", route: primary, scale: 5 }
                        name: judge
                    cases:
                      - id: budget
                        input: { text: The budget was approved on Monday. }
                      - id: contact
                        input: { text: Write to ada@example.com about the launch. }
                    """.formatted(RUBRIC)));
    static final FakeProvider fake = node.fake;

    private static JsonNode run(String body) {
        Http.Response started = node.http.post("/v1/admin/evals/runs", TestNode.ADMIN_KEY, body);
        assertThat(started.status()).as(started.text()).isEqualTo(202);
        String id = started.json().path("runs").get(0).path("id").asString();
        JsonNode[] done = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            done[0] = node.http.get("/v1/admin/evals/runs/" + id, TestNode.ADMIN_KEY).json();
            return done[0].path("status").asString().equals("completed");
        });
        return done[0];
    }

    private static JsonNode judge(JsonNode kase) {
        for (JsonNode s : kase.path("scores")) {
            if (s.path("name").asString().equals("judge")) {
                return s;
            }
        }
        throw new AssertionError("no judge score in " + kase);
    }

    @Test
    void aVerdictIsScoredThroughTheEngineAndABrokenOneScoresZeroSayingWhy() {
        // Every number the fake writes is 4: the graded summary has none, the judge's score is 4 of 5.
        fake.script(FaultScript.always(Fault.ok().numbers("4")));
        fake.clearRequests();
        JsonNode graded = run("{\"workflow\": \"test/graded\", \"model_grading\": true}");
        assertThat(graded.path("model_grading").asBoolean()).isTrue();
        for (JsonNode kase : graded.path("cases")) {
            JsonNode j = judge(kase);
            assertThat(j.path("score").asDouble()).as(kase.toString()).isEqualTo(0.75);
            assertThat(j.path("reason").asString()).startsWith("judged 4/5: ");
            assertThat(kase.path("score").asDouble()).isEqualTo(0.875); // (1 × 1 + 1 × 0.75) / 2
        }
        // Two cases and two judges, all through the fake: the judge's prompt holds the rubric and
        // the answer, and the graded workflow's redaction masked the address in what the judge saw.
        List<String> judgePrompts = new ArrayList<>();
        fake.requests().stream().map(r -> r.body().toString()).filter(b -> b.contains(RUBRIC)).forEach(judgePrompts::add);
        assertThat(judgePrompts).hasSize(2);
        assertThat(String.join("\n", judgePrompts)).doesNotContain("ada@example.com");
        JsonNode usage = node.http.get("/v1/admin/usage?account=acct_evals", TestNode.ADMIN_KEY).json();
        assertThat(usage.path("totals").path("calls").asInt()).as(usage.toString()).isEqualTo(4);
        assertThat(node.http.get("/v1/usage", TestNode.DEMO_KEY).json().path("totals").path("calls").asInt()).isZero();
        List<Job> judges = node.server().store().jobs(new dev.mainstay.job.JobQuery("acct_evals", null, null, null, 100, null)).jobs().stream()
                .filter(j -> j.workflow().startsWith("evals-judge/")).toList();
        assertThat(judges).hasSize(2).allSatisfy(j -> {
            assertThat(j.status().wire()).isEqualTo("completed");
            assertThat(j.provenance().provider()).isEqualTo("fake");
        });

        // A judge whose score is out of range breaks the verdict schema: its job fails its output
        // contract after one repair, and the scorer gives 0 with the reason, never a made-up grade.
        fake.script(FaultScript.always(Fault.ok().numbers("9")));
        JsonNode broken = run("{\"workflow\": \"test/graded\", \"model_grading\": true}");
        for (JsonNode kase : broken.path("cases")) {
            JsonNode j = judge(kase);
            assertThat(j.path("score").asDouble()).as(kase.toString()).isZero();
            assertThat(j.path("reason").asString()).startsWith("no verdict: judge job ").contains("ended failed", "invalid_model_output");
            assertThat(kase.path("score").asDouble()).isEqualTo(0.5);
            assertThat(kase.path("passed").asBoolean()).isFalse();
        }

        // Off by default: the judge is skipped and nothing calls it.
        fake.script(FaultScript.always(Fault.ok().numbers("4")));
        fake.clearRequests();
        JsonNode plain = run("{\"workflow\": \"test/graded\"}");
        assertThat(plain.path("model_grading").asBoolean()).isFalse();
        for (JsonNode kase : plain.path("cases")) {
            assertThat(judge(kase).path("reason").asString()).isEqualTo("not judged: model grading is off for this run");
            assertThat(kase.path("score").asDouble()).isEqualTo(1.0);
        }
        assertThat(fake.requests()).noneMatch(r -> r.body().toString().contains(RUBRIC));

        Http.Response bad = node.http.post("/v1/admin/evals/runs", TestNode.ADMIN_KEY, "{\"workflow\": \"test/graded\", \"model_grading\": \"yes\"}");
        assertProblem(bad, 400, "invalid_input");
        assertThat(bad.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/model_grading");
    }
}
