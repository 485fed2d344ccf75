package dev.mainstay.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.metrics.CallClass;
import dev.mainstay.metrics.CheckResult;
import dev.mainstay.metrics.ModelCall;
import dev.mainstay.metrics.StageEnd;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PrometheusMetricsTest {
    private static final String WF = "briefs/extract-key-points";

    @Test
    void countsAndHistogramsHoldExactlyWhatWasReported() {
        PrometheusMetrics m = new PrometheusMetrics();
        m.submitted(WF, 1);
        m.submitted(WF, 1);
        m.submitted(WF, 2);
        m.refused(WF, 1, "rate_limited");
        m.claimed(WF, 1, Duration.ofMillis(40));
        m.claimed(WF, 1, Duration.ofSeconds(3));
        m.modelCall(new ModelCall(WF, "extract", "openai", "gpt-4o-mini", CallClass.SERVER_ERROR, Duration.ofMillis(120), 0, 0, 0, 0));
        m.modelCall(new ModelCall(WF, "extract", "openai", "gpt-4o-mini", CallClass.OK, Duration.ofMillis(700), 1200, 200, 300, 2_500));
        m.modelCall(new ModelCall(WF, "extract", "openai", "gpt-4o-mini", CallClass.INVALID_OUTPUT, Duration.ofMillis(600), 1000, 0, 100, 1_000));
        m.outputChecked(WF, "extract", false, CheckResult.PASSED);
        m.outputChecked(WF, "extract", false, CheckResult.SCHEMA_FAILED);
        m.outputChecked(WF, "extract", true, CheckResult.PASSED);
        m.retryScheduled(WF, "extract", "provider_unavailable");
        m.fallbackRung(WF, "extract", "cached", false);
        m.fallbackRung(WF, "extract", "rules:extractive-summary", true);
        m.stageEnded(WF, 1, "extract", StageEnd.RETRY, Duration.ofMillis(130));
        m.stageEnded(WF, 1, "extract", StageEnd.COMPLETED, Duration.ofMillis(750));
        m.finished(WF, 1, JobStatus.COMPLETED, ResultType.FULL, Duration.ofMillis(900), Duration.ofSeconds(4));
        m.finished(WF, 1, JobStatus.FAILED, null, Duration.ofMillis(50), Duration.ofMillis(60));
        m.committed(Duration.ofMillis(3), 5);
        m.httpRequest("POST", "/v1/{workflow}", 202, Duration.ofMillis(8));
        AtomicInteger depth = new AtomicInteger(7);
        m.gauge("mainstay.queue.jobs", "Unfinished jobs by status", Tags.of("status", "queued"), depth::get);

        PrometheusText t = PrometheusText.parse(m.scrape());

        assertThat(t.value("mainstay_jobs_submitted_total", "workflow", WF, "version", "1")).isEqualTo(2);
        assertThat(t.value("mainstay_jobs_submitted_total", "workflow", WF, "version", "2")).isEqualTo(1);
        assertThat(t.value("mainstay_jobs_refused_total", "reason", "rate_limited")).isEqualTo(1);
        assertThat(t.value("mainstay_jobs_finished_total", "status", "completed", "result_type", "full")).isEqualTo(1);
        assertThat(t.value("mainstay_jobs_finished_total", "status", "failed", "result_type", "none")).isEqualTo(1);
        // 40 ms falls in the 50 ms bucket, 3 s in the 5 s one; buckets are cumulative.
        assertThat(t.value("mainstay_job_queue_wait_seconds_bucket", "le", "0.025")).isEqualTo(0);
        assertThat(t.value("mainstay_job_queue_wait_seconds_bucket", "le", "0.05")).isEqualTo(1);
        assertThat(t.value("mainstay_job_queue_wait_seconds_bucket", "le", "2.5")).isEqualTo(1);
        assertThat(t.value("mainstay_job_queue_wait_seconds_bucket", "le", "5.0")).isEqualTo(2);
        assertThat(t.value("mainstay_job_queue_wait_seconds_bucket", "le", "+Inf")).isEqualTo(2);
        assertThat(t.value("mainstay_job_queue_wait_seconds_count")).isEqualTo(2);
        assertThat(t.value("mainstay_job_queue_wait_seconds_sum")).isEqualTo(3.04);
        assertThat(t.value("mainstay_model_calls_total", "outcome", "server_error")).isEqualTo(1);
        assertThat(t.value("mainstay_model_calls_total", "outcome", "ok")).isEqualTo(1);
        assertThat(t.value("mainstay_model_calls_total", "outcome", "invalid_output")).isEqualTo(1);
        assertThat(t.value("mainstay_model_tokens_total", "kind", "input")).isEqualTo(2200);
        assertThat(t.value("mainstay_model_tokens_total", "kind", "cached_input")).isEqualTo(200);
        assertThat(t.value("mainstay_model_tokens_total", "kind", "output")).isEqualTo(400);
        assertThat(t.value("mainstay_model_cost_usd_total", "provider", "openai", "model", "gpt-4o-mini")).isEqualTo(0.0035);
        assertThat(t.value("mainstay_model_call_duration_seconds_count", "outcome", "ok")).isEqualTo(1);
        assertThat(t.value("mainstay_model_call_duration_seconds_sum", "outcome", "ok")).isEqualTo(0.7);
        assertThat(t.value("mainstay_output_checks_total", "pass", "first", "result", "passed")).isEqualTo(1);
        assertThat(t.value("mainstay_output_checks_total", "pass", "first", "result", "schema_failed")).isEqualTo(1);
        assertThat(t.value("mainstay_output_checks_total", "pass", "repair", "result", "passed")).isEqualTo(1);
        assertThat(t.value("mainstay_retries_total", "code", "provider_unavailable")).isEqualTo(1);
        assertThat(t.value("mainstay_fallback_rungs_total", "rung", "cached", "result", "passed")).isEqualTo(1);
        assertThat(t.value("mainstay_fallback_rungs_total", "rung", "rules:extractive-summary", "result", "rescued")).isEqualTo(1);
        assertThat(t.value("mainstay_stage_duration_seconds_count", "stage", "extract", "outcome", "retry")).isEqualTo(1);
        assertThat(t.value("mainstay_stage_duration_seconds_bucket", "outcome", "completed", "le", "0.5")).isEqualTo(0);
        assertThat(t.value("mainstay_stage_duration_seconds_bucket", "outcome", "completed", "le", "1.0")).isEqualTo(1);
        assertThat(t.value("mainstay_job_total_seconds_count", "status", "completed")).isEqualTo(1);
        assertThat(t.value("mainstay_job_run_seconds_sum", "status", "failed")).isEqualTo(0.05);
        assertThat(t.value("mainstay_store_commit_changes_sum")).isEqualTo(5);
        assertThat(t.value("mainstay_store_commit_duration_seconds_count")).isEqualTo(1);
        assertThat(t.value("mainstay_http_requests_seconds_count", "route", "/v1/{workflow}", "status", "202")).isEqualTo(1);
        assertThat(t.value("mainstay_queue_jobs", "status", "queued")).isEqualTo(7);
        depth.set(3);
        assertThat(PrometheusText.parse(m.scrape()).value("mainstay_queue_jobs", "status", "queued")).isEqualTo(3);
        assertThat(t.type("mainstay_job_queue_wait_seconds")).isEqualTo("histogram");
        assertThat(t.type("mainstay_model_cost_usd_total")).isEqualTo("counter");
    }

    @Test
    void promtoolAcceptsTheExposition() throws Exception {
        PrometheusMetrics m = new PrometheusMetrics();
        m.submitted(WF, 1);
        m.finished(WF, 1, JobStatus.DEGRADED, ResultType.FALLBACK, Duration.ofSeconds(1), Duration.ofSeconds(2));
        m.modelCall(new ModelCall(WF, "extract", "anthropic", "claude-haiku-4-5", CallClass.OK, Duration.ofMillis(300), 10, 0, 5, 7));
        m.committed(Duration.ofMillis(1), 1);
        m.httpRequest("GET", "/v1/jobs/{id}", 200, Duration.ofMillis(2));
        // A label value that needs escaping, as a workflow name never does but a route template might.
        m.refused("a\"b\\c", 1, "forbidden");

        Promtool.Result r = Promtool.checkMetrics(m.scrape());

        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(PrometheusText.parse(m.scrape()).value("mainstay_jobs_refused_total", "workflow", "a\"b\\c")).isEqualTo(1);
    }

    @Test
    void everyFamilyIsMainstaysOrTheRuntimes() {
        PrometheusText t = PrometheusText.parse(new PrometheusMetrics().scrape());
        assertThat(t.families()).isNotEmpty().allSatisfy(f -> assertThat(f).matches("(mainstay|jvm|process|system)_[a-z0-9_]+"));
        assertThat(t.families()).contains("mainstay_store_commit_duration_seconds", "jvm_memory_used_bytes", "process_uptime_seconds");
    }
}
