package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.server.metrics.PrometheusText;
import dev.mainstay.server.metrics.Promtool;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Eval quality on {@code /metrics}, to the exact value, over real HTTP with the fake provider:
 * {@code mainstay_eval_score} is the latest finished run's quality per workflow version and suite,
 * {@code mainstay_eval_runs_total} counts the finished runs; and the eval jobs themselves count in
 * no live metric (submits, claims, ends, stage steps, model calls, checks, tokens).
 */
class EvalMetricsTest {
    /** v1 puts the text in its prompt; v2 dropped it, so the fake (which answers from the prompt's tagged text) cannot say what the text said. */
    private static final String WORKFLOW = """
            workflow: test/noted
            version: %d
            latency: async
            input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
            stages:
              - id: only
                model: { prompt: %s, route: [primary], timeout: 5s }
                output: { schema: { type: object, required: [summary], additionalProperties: false, properties: { summary: { type: string } } } }
            evals: noted.evals.yaml
            """;

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup
            .withoutExamples()
            .workflow("test/noted", WORKFLOW.formatted(1, "prompts/noted.mustache"))
            .workflow("test/noted-v2", WORKFLOW.formatted(2, "prompts/noted-v2.mustache"))
            .file("prompts/noted.mustache", "Summarise.\n<text>{{input.text}}</text>\n")
            .file("prompts/noted-v2.mustache", "Summarise.\n<text>Nothing to report.</text>\n")
            .file("test/noted.evals.yaml", """
                    suite: test-noted
                    threshold: 0.9
                    scorers:
                      - schema_valid
                    cases:
                      - id: budget
                        input: { text: The budget was approved on Monday. }
                        expect:
                          - contains: { field: summary, value: budget }
                      - id: hiring
                        input: { text: Hiring is paused until spring. }
                        expect:
                          - contains: { field: summary, value: Hiring }
                      - id: launch
                        input: { text: The launch moved to June. }
                        expect:
                          - contains: { field: summary, value: launch }
                      - id: nothing
                        input: { text: Nothing to report. }
                        expect:
                          - contains: { field: summary, value: Nothing }
                    """));

    private static PrometheusText scrape() {
        Http.Response r = node.http.get("/metrics", TestNode.ADMIN_KEY);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return PrometheusText.parse(r.text());
    }

    private static JsonNode run(int version) {
        Http.Response started = node.http.post("/v1/admin/evals/runs", TestNode.ADMIN_KEY, "{\"workflow\": \"test/noted\", \"version\": " + version + "}");
        assertThat(started.status()).as(started.text()).isEqualTo(202);
        String id = started.json().path("runs").get(0).path("id").asString();
        JsonNode[] done = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            done[0] = node.http.get("/v1/admin/evals/runs/" + id, TestNode.ADMIN_KEY).json();
            return done[0].path("status").asString().equals("completed");
        });
        return done[0];
    }

    @Test
    void theLatestRunsScoreAndTheRunCountArePublishedAndEvalJobsCountInNoLiveMetric() throws Exception {
        Http.Response live = node.http.post("/v1/test/noted", TestNode.DEMO_KEY, "{\"text\": \"One live job.\"}");
        assertThat(live.status()).as(live.text()).isEqualTo(202);
        assertThat(node.awaitTerminal(live.json().path("id").asString()).path("status").asString()).isEqualTo("completed");

        JsonNode good = run(1);
        run(1);
        JsonNode worse = run(2);
        assertThat(good.path("summary").path("quality").asDouble()).isEqualTo(1.0);
        double worseQuality = worse.path("summary").path("quality").asDouble();
        assertThat(worseQuality).isLessThan(1.0).isGreaterThan(0.0);

        // Read from the store at most every two seconds: wait for the third run to show.
        await().atMost(Duration.ofSeconds(30)).until(() -> scrape().sum("mainstay_eval_runs_total") == 3);
        PrometheusText m = scrape();
        assertThat(m.value("mainstay_eval_runs_total", "workflow", "test/noted", "version", "1", "suite", "test-noted")).isEqualTo(2);
        assertThat(m.value("mainstay_eval_runs_total", "workflow", "test/noted", "version", "2", "suite", "test-noted")).isEqualTo(1);
        assertThat(m.value("mainstay_eval_score", "workflow", "test/noted", "version", "1", "suite", "test-noted")).isEqualTo(1.0);
        assertThat(m.value("mainstay_eval_score", "workflow", "test/noted", "version", "2", "suite", "test-noted")).isEqualTo(worseQuality);

        // Twelve eval jobs ran beside the one live job: only the live one is in the live metrics.
        assertThat(m.sum("mainstay_jobs_submitted_total", "workflow", "test/noted")).isEqualTo(1);
        assertThat(m.sum("mainstay_jobs_finished_total", "workflow", "test/noted")).isEqualTo(1);
        assertThat(m.sum("mainstay_job_queue_wait_seconds_count", "workflow", "test/noted")).isEqualTo(1);
        assertThat(m.sum("mainstay_stage_duration_seconds_count", "workflow", "test/noted")).isEqualTo(1);
        assertThat(m.sum("mainstay_model_calls_total", "workflow", "test/noted")).isEqualTo(1);
        assertThat(m.sum("mainstay_output_checks_total", "workflow", "test/noted")).isEqualTo(1);
        assertThat(m.sum("mainstay_model_call_duration_seconds_count")).isEqualTo(1);
        JsonNode liveJob = node.http.get("/v1/jobs/" + live.json().path("id").asString(), TestNode.DEMO_KEY).json();
        assertThat(m.sum("mainstay_model_tokens_total", "kind", "output")).isEqualTo(liveJob.path("usage").path("output_tokens").asLong());

        Promtool.Result check = Promtool.checkMetrics(node.http.get("/metrics", TestNode.ADMIN_KEY).text());
        assertThat(check.exitCode()).as(check.output()).isZero();
    }
}
