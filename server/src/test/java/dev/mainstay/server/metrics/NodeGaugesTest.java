package dev.mainstay.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.job.JobStatus;
import dev.mainstay.stats.QueueSnapshot;
import dev.mainstay.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class NodeGaugesTest {
    @Test
    void gaugesShowTheStoreSnapshotReadAtMostOncePerMaxAge() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-12-03T10:00:00Z"));
        AtomicInteger reads = new AtomicInteger();
        PrometheusMetrics m = new PrometheusMetrics();
        NodeGauges.register(m, () -> new QueueSnapshot(Map.of(JobStatus.QUEUED, 4L + reads.incrementAndGet(), JobStatus.WAITING_FOR_REVIEW, 1L),
                        Duration.ofMillis(2500), 3, 1, Duration.ofMinutes(5), 2, 40_000), () -> 6,
                () -> List.of(new NodeGauges.Breaker("openai", "gpt-4o-mini", true), new NodeGauges.Breaker("demo", "mainstay-demo-1", false)),
                clock, Duration.ofSeconds(2));

        PrometheusText t = PrometheusText.parse(m.scrape());
        assertThat(reads).hasValue(1);
        assertThat(t.value("mainstay_queue_jobs", "status", "queued")).isEqualTo(5);
        assertThat(t.value("mainstay_queue_jobs", "status", "waiting_for_review")).isEqualTo(1);
        assertThat(t.value("mainstay_queue_jobs", "status", "retrying")).isEqualTo(0);
        assertThat(t.matching("mainstay_queue_jobs")).hasSize(5);
        assertThat(t.value("mainstay_queue_oldest_due_age_seconds")).isEqualTo(2.5);
        assertThat(t.value("mainstay_dead_letter_jobs")).isEqualTo(3);
        assertThat(t.value("mainstay_reviews_open")).isEqualTo(1);
        assertThat(t.value("mainstay_reviews_oldest_age_seconds")).isEqualTo(300);
        assertThat(t.value("mainstay_budget_holds")).isEqualTo(2);
        assertThat(t.value("mainstay_budget_held_usd")).isEqualTo(0.04);
        assertThat(t.value("mainstay_jobs_in_flight")).isEqualTo(6);
        assertThat(t.value("mainstay_breakers_open")).isEqualTo(1);
        assertThat(t.value("mainstay_breaker_open", "provider", "openai", "model", "gpt-4o-mini")).isEqualTo(1);
        assertThat(t.value("mainstay_breaker_open", "provider", "demo")).isEqualTo(0);

        clock.advance(Duration.ofSeconds(1));
        assertThat(PrometheusText.parse(m.scrape()).value("mainstay_queue_jobs", "status", "queued")).isEqualTo(5);
        clock.advance(Duration.ofSeconds(1));
        assertThat(PrometheusText.parse(m.scrape()).value("mainstay_queue_jobs", "status", "queued")).isEqualTo(6);
        assertThat(reads).hasValue(2);
        assertThat(Promtool.checkMetrics(m.scrape()).exitCode()).isZero();
    }
}
