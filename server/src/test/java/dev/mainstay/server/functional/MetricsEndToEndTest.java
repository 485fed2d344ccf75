package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.server.metrics.PrometheusText;
import dev.mainstay.server.metrics.Promtool;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * A scripted mix of jobs through the fake provider over real HTTP (successes, a retried 503, an
 * invalid answer repaired, a ladder rescue, a review), then {@code GET /metrics} read with a
 * Prometheus text parser: every counter and histogram holds exactly what the mix did, the token
 * and cost counters agree with the jobs' own usage, and promtool accepts the live exposition.
 */
class MetricsEndToEndTest {
    static final String METERED = """
            workflow: test/metered
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
                  timeout: 5s
                output:
                  schema:
                    type: object
                    required: [points, confidence]
                    properties:
                      points: { type: array, minItems: 1, items: { type: string } }
                      confidence: { type: number, minimum: 0, maximum: 1 }
                retry: { attempts: 2, backoff: 10ms, max_backoff: 20ms }
            fallback: [{ rules: extractive-summary }]
            """;
    static final String REVIEWED = """
            workflow: test/reviewed
            version: 1
            latency: async
            input:
              type: object
              required: [document]
              properties:
                document: { type: string, minLength: 1 }
            stages:
              - id: extract
                model:
                  prompt: prompts/echo-document.mustache
                  route: [primary]
                  timeout: 5s
                output:
                  schema:
                    type: object
                    required: [points, confidence]
                    properties:
                      points: { type: array, minItems: 1, items: { type: string } }
                      confidence: { type: number, minimum: 0, maximum: 1 }
                retry: { attempts: 1, backoff: 10ms, max_backoff: 20ms }
            fallback: [review]
            """;

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup
            .workflow("test/metered", METERED)
            .workflow("test/reviewed", REVIEWED)
            .section("metrics:\n  key: scrape-only-key-0123456789\n")
            .file("prompts/echo-document.mustache", "Summarise.\n<document>\n{{input.document}}\n</document>\n"));
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;

    private JsonNode run(String workflow, String document, FaultScript script) {
        fake.script(script);
        Http.Response r = node.http.post("/v1/" + workflow, KEY, "{\"document\": \"" + document + "\"}");
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        return node.awaitTerminal(r.json().path("id").asString());
    }

    private PrometheusText scrape() {
        Http.Response r = node.http.get("/metrics", TestNode.ADMIN_KEY);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("text/plain; version=0.0.4");
        return PrometheusText.parse(r.text());
    }

    @Test
    void everyCounterAndHistogramHoldsExactlyWhatTheMixDid() throws Exception {
        List<JsonNode> jobs = new ArrayList<>();
        jobs.add(run("test/metered", "One plain success. It passes.", FaultScript.none()));
        jobs.add(run("test/metered", "A 503 first. Then it passes.", FaultScript.perJob(Fault.status(503))));
        jobs.add(run("test/metered", "An invalid answer. Then a repair.", FaultScript.perJob(Fault.invalidOutput())));
        jobs.add(run("test/metered", "Refunds take five days. Refunds need a receipt.", FaultScript.always(Fault.refusal())));
        assertThat(jobs).extracting(j -> j.path("status").asString()).containsExactly("completed", "completed", "completed", "degraded");
        fake.script(FaultScript.always(Fault.refusal()));
        Http.Response submitted = node.http.post("/v1/test/reviewed", KEY, "{\"document\": \"A person decides.\"}");
        String reviewed = submitted.json().path("id").asString();
        await().atMost(Duration.ofSeconds(30)).until(() -> node.http.get("/v1/jobs/" + reviewed, KEY).json().path("status").asString()
                .equals("waiting_for_review"));
        fake.script(FaultScript.none());

        // Gauges come from a store snapshot at most two seconds old: wait for the review to show.
        await().atMost(Duration.ofSeconds(30)).until(() -> scrape().value("mainstay_reviews_open") == 1);
        PrometheusText m = scrape();

        assertThat(m.value("mainstay_jobs_submitted_total", "workflow", "test/metered", "version", "1")).isEqualTo(4);
        assertThat(m.value("mainstay_jobs_submitted_total", "workflow", "test/reviewed", "version", "1")).isEqualTo(1);
        assertThat(m.value("mainstay_jobs_finished_total", "workflow", "test/metered", "status", "completed", "result_type", "full")).isEqualTo(3);
        assertThat(m.value("mainstay_jobs_finished_total", "workflow", "test/metered", "status", "degraded", "result_type", "fallback")).isEqualTo(1);
        assertThat(m.sum("mainstay_jobs_finished_total", "workflow", "test/reviewed")).isZero();
        // Calls: ok for each success, the repair and the retry's second call; one 503; one invalid answer; two refusals.
        assertThat(m.sum("mainstay_model_calls_total", "workflow", "test/metered", "outcome", "ok")).isEqualTo(3);
        assertThat(m.sum("mainstay_model_calls_total", "workflow", "test/metered", "outcome", "server_error")).isEqualTo(1);
        assertThat(m.sum("mainstay_model_calls_total", "workflow", "test/metered", "outcome", "invalid_output")).isEqualTo(1);
        assertThat(m.sum("mainstay_model_calls_total", "workflow", "test/metered", "outcome", "refused")).isEqualTo(1);
        assertThat(m.sum("mainstay_model_calls_total", "workflow", "test/reviewed", "outcome", "refused")).isEqualTo(1);
        assertThat(m.sum("mainstay_model_call_duration_seconds_count")).isEqualTo(7);
        assertThat(m.value("mainstay_retries_total", "workflow", "test/metered", "stage", "extract", "code", "provider_unavailable")).isEqualTo(1);
        assertThat(m.sum("mainstay_retries_total")).isEqualTo(1);
        assertThat(m.value("mainstay_output_checks_total", "workflow", "test/metered", "pass", "first", "result", "passed")).isEqualTo(2);
        assertThat(m.value("mainstay_output_checks_total", "workflow", "test/metered", "pass", "first", "result", "schema_failed")).isEqualTo(1);
        assertThat(m.value("mainstay_output_checks_total", "workflow", "test/metered", "pass", "repair", "result", "passed")).isEqualTo(1);
        assertThat(m.sum("mainstay_output_checks_total")).isEqualTo(4);
        assertThat(m.value("mainstay_fallback_rungs_total", "workflow", "test/metered", "rung", "rules:extractive-summary", "result", "rescued"))
                .isEqualTo(1);
        assertThat(m.value("mainstay_fallback_rungs_total", "workflow", "test/reviewed", "rung", "review", "result", "rescued")).isEqualTo(1);
        assertThat(m.sum("mainstay_fallback_rungs_total")).isEqualTo(2);
        assertThat(m.value("mainstay_stage_duration_seconds_count", "workflow", "test/metered", "outcome", "completed")).isEqualTo(3);
        assertThat(m.value("mainstay_stage_duration_seconds_count", "workflow", "test/metered", "outcome", "retry")).isEqualTo(1);
        assertThat(m.value("mainstay_stage_duration_seconds_count", "workflow", "test/metered", "outcome", "rescued")).isEqualTo(1);
        assertThat(m.value("mainstay_stage_duration_seconds_count", "workflow", "test/reviewed", "outcome", "review")).isEqualTo(1);
        // Six claims: five jobs, and the retried one again.
        assertThat(m.sum("mainstay_job_queue_wait_seconds_count")).isEqualTo(6);
        assertThat(m.value("mainstay_job_queue_wait_seconds_bucket", "workflow", "test/metered", "le", "+Inf")).isEqualTo(5);
        assertThat(m.value("mainstay_job_total_seconds_count", "workflow", "test/metered", "status", "completed")).isEqualTo(3);
        assertThat(m.value("mainstay_job_run_seconds_count", "workflow", "test/metered", "status", "degraded")).isEqualTo(1);
        assertThat(m.value("mainstay_queue_jobs", "status", "waiting_for_review")).isEqualTo(1);
        assertThat(m.value("mainstay_queue_jobs", "status", "queued")).isZero();
        assertThat(m.value("mainstay_reviews_open")).isEqualTo(1);
        assertThat(m.value("mainstay_jobs_in_flight")).isZero();
        assertThat(m.value("mainstay_dead_letter_jobs")).isZero();

        // Tokens and cost: what the jobs' own envelopes say they used, to the token and the micro-dollar.
        long input = 0;
        long output = 0;
        long cost = 0;
        for (JsonNode j : jobs) {
            input += j.path("usage").path("input_tokens").asLong();
            output += j.path("usage").path("output_tokens").asLong();
            cost += TestNode.micros(j.path("usage").path("cost_usd").asString());
        }
        JsonNode review = node.http.get("/v1/jobs/" + reviewed, KEY).json();
        input += review.path("usage").path("input_tokens").asLong();
        output += review.path("usage").path("output_tokens").asLong();
        cost += TestNode.micros(review.path("usage").path("cost_usd").asString());
        assertThat(input).isPositive();
        assertThat(m.sum("mainstay_model_tokens_total", "kind", "input")).isEqualTo(input);
        assertThat(m.sum("mainstay_model_tokens_total", "kind", "output")).isEqualTo(output);
        assertThat(Math.round(m.sum("mainstay_model_cost_usd_total") * 1_000_000)).isEqualTo(cost);

        assertThat(m.sum("mainstay_http_requests_seconds_count", "route", "/v1/jobs/{id}", "status", "200")).isPositive();
        assertThat(m.matching("mainstay_http_requests_seconds_count").stream().map(s -> s.labels().get("route")))
                .as("routes are templates, never concrete paths").noneMatch(r -> r.contains("job_"));
        assertThat(m.value("mainstay_store_commit_duration_seconds_count")).isPositive();

        // The retried job's own timeline: the 503 as server_error, then ok, its first answer passing.
        JsonNode retried = node.http.get("/v1/jobs/" + jobs.get(1).path("id").asString(), KEY).json().path("stages").get(0).path("timeline");
        assertThat(retried.path("attempts").findValuesAsString("outcome")).containsExactly("server_error", "ok");
        assertThat(retried.path("attempts").get(0).path("code").asString()).isEqualTo("provider_unavailable");
        assertThat(retried.path("validation_first_pass").asBoolean()).isTrue();
        assertThat(retried.path("ran_ms").asLong()).isNotNegative();
        assertThat(retried.path("waited_ms").asLong()).isNotNegative();
        JsonNode repaired = node.http.get("/v1/jobs/" + jobs.get(2).path("id").asString(), KEY).json().path("stages").get(0).path("timeline");
        assertThat(repaired.path("attempts").findValuesAsString("outcome")).containsExactly("ok");
        assertThat(repaired.path("validation_first_pass").asBoolean()).isFalse();

        Http.Response live = node.http.get("/metrics", TestNode.ADMIN_KEY);
        Promtool.Result check = Promtool.checkMetrics(live.text());
        assertThat(check.exitCode()).as(check.output()).isZero();
    }

    @Test
    void metricsNeedTheAdminKeyOrTheMetricsKey() {
        assertProblem(node.http.get("/metrics", null), 401, "unauthorized");
        assertProblem(node.http.get("/metrics", KEY), 403, "forbidden");
        assertThat(node.http.get("/metrics", "scrape-only-key-0123456789").status()).isEqualTo(200);
        assertProblem(node.http.get("/v1/jobs", "scrape-only-key-0123456789"), 401, "unauthorized");
    }
}
