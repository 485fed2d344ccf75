package dev.mainstay.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.fallback.FallbackPath;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JobStatsTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final String WF = "briefs/extract-key-points";

    private static JobFact job(JobStatus status, ResultType type, Instant created, long queueMs, long runMs, int retries, List<String> path) {
        Instant started = created.plusMillis(queueMs);
        Instant completed = status.isTerminal() ? started.plusMillis(runMs) : null;
        return new JobFact(WF, 1, status, type, created, started, completed, 100, 20, 1_500, retries, path);
    }

    @Test
    void countsRatesPercentilesAndBuckets() {
        StatsQuery q = new StatsQuery(Optional.empty(), Optional.empty(), T0, T0.plus(Duration.ofHours(3)), StatsQuery.Bucket.HOUR);
        List<JobFact> jobs = List.of(
                job(JobStatus.COMPLETED, ResultType.FULL, T0.plusSeconds(60), 10, 500, 0, List.of()),
                job(JobStatus.COMPLETED, ResultType.FULL, T0.plusSeconds(120), 20, 700, 1, List.of()),
                job(JobStatus.DEGRADED, ResultType.FALLBACK, T0.plusSeconds(3700), 30, 900, 2,
                        List.of("openai/gpt-4o-mini: provider_unavailable, gave up", "cached: no earlier full result for this input",
                                "rules:extractive-summary: built the result without a model")),
                job(JobStatus.DEGRADED, ResultType.FULL, T0.plusSeconds(3800), 40, 300, 0, List.of("openai/gpt-4o-mini: provider_unavailable, gave up")),
                job(JobStatus.FAILED, null, T0.plusSeconds(7300), 50, 100, 3, List.of()),
                job(JobStatus.QUEUED, null, T0.plusSeconds(7400), 0, 0, 0, List.of()));
        List<StageFact> stages = List.of(new StageFact(WF, "extract", 400, "passed"), new StageFact(WF, "extract", 600, "repaired"),
                new StageFact(WF, "extract", 800, "passed"), new StageFact(WF, "notify", 50, null), new StageFact(WF, "extract", -1, "failed"));

        JobStats s = JobStats.of(q, jobs, stages);

        assertThat(s.submitted()).isEqualTo(6);
        assertThat(s.finished()).isEqualTo(5);
        assertThat(s.byStatus()).containsEntry(JobStatus.COMPLETED, 2L).containsEntry(JobStatus.DEGRADED, 2L).containsEntry(JobStatus.FAILED, 1L)
                .containsEntry(JobStatus.QUEUED, 1L);
        assertThat(s.byResultType()).containsEntry(ResultType.FULL, 3L).containsEntry(ResultType.FALLBACK, 1L).doesNotContainKey(ResultType.DRAFT);
        assertThat(s.successRate()).hasValue(0.4);
        assertThat(s.retryRate()).hasValue(0.6);
        assertThat(s.fallbackRate()).hasValue(0.4);
        assertThat(s.fallbackByRung()).containsExactly(java.util.Map.entry("next_target", 0.2), java.util.Map.entry("rules:extractive-summary", 0.2));
        assertThat(s.validationFirstPassRate()).hasValue(0.5);
        assertThat(s.queueMillis().p50()).isEqualTo(20L);
        assertThat(s.runMillis().p99()).isEqualTo(900L);
        assertThat(s.stages()).hasSize(2);
        assertThat(s.stages().getFirst().stage()).isEqualTo("extract");
        assertThat(s.stages().getFirst().count()).isEqualTo(3);
        assertThat(s.stages().getFirst().millis().p50()).isEqualTo(600L);
        assertThat(s.costMicros()).isEqualTo(9_000);
        assertThat(s.inputTokens()).isEqualTo(600);
        assertThat(s.series()).extracting(JobStats.Bucket::start).containsExactly(T0, T0.plusSeconds(3600), T0.plusSeconds(7200));
        assertThat(s.series().get(0).successRate()).hasValue(1.0);
        assertThat(s.series().get(2).submitted()).isEqualTo(2);
        assertThat(s.series().get(2).finished()).isEqualTo(1);
        assertThat(s.series().get(2).failed()).isEqualTo(1);
    }

    @Test
    void ratesAreEmptyWithoutFinishedJobs() {
        StatsQuery q = new StatsQuery(Optional.of("acct_demo"), Optional.of(WF), T0, T0.plus(Duration.ofDays(2)), StatsQuery.Bucket.DAY);
        JobStats s = JobStats.of(q, List.of(), List.of());
        assertThat(s.successRate()).isEmpty();
        assertThat(s.validationFirstPassRate()).isEmpty();
        assertThat(s.series()).isEmpty();
        assertThat(s.queueMillis().p95()).isZero();
    }

    @Test
    void aRangeIsForwardAndBounded() {
        assertThatThrownBy(() -> new StatsQuery(Optional.empty(), Optional.empty(), T0, T0, StatsQuery.Bucket.DAY)).hasMessageContaining("before");
        assertThatThrownBy(() -> new StatsQuery(Optional.empty(), Optional.empty(), T0, T0.plus(Duration.ofDays(40)), StatsQuery.Bucket.HOUR))
                .hasMessageContaining("at most 31 days");
    }

    @Test
    void pathEntriesNameTheirRung() {
        assertThat(FallbackPath.rung("rules:extractive-summary: built the result without a model")).isEqualTo("rules:extractive-summary");
        assertThat(FallbackPath.rung("cached: served the result of job_1")).isEqualTo("cached");
        assertThat(FallbackPath.rung("draft: handed over")).isEqualTo("draft");
        assertThat(FallbackPath.rung("review: sent to a person")).isEqualTo("review");
        assertThat(FallbackPath.rung("anthropic/claude-haiku-4-5: provider_timeout, gave up")).isEqualTo("next_target");
    }
}
