package dev.mainstay.stats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class TallyTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final List<String> WORKFLOWS = List.of("briefs/extract-key-points", "support/draft-response");

    @Test
    void binsAreExactBelowSixteenMillisAndAnEighthWideAbove() {
        for (long v = 0; v < 16; v++) {
            assertThat(LatencyBins.high(LatencyBins.bin(v))).isEqualTo(v);
        }
        assertThat(LatencyBins.bin(-1)).isEqualTo(LatencyBins.NONE);
        int previous = LatencyBins.bin(15);
        for (long v = 16; v < 5_000_000; v += 1 + v / 300) {
            int bin = LatencyBins.bin(v);
            assertThat(bin).as("bins rise with the value: %d", v).isGreaterThanOrEqualTo(previous);
            assertThat(LatencyBins.high(bin)).as("the highest value of %d's bin", v).isBetween(v, v + v / 8);
            assertThat(LatencyBins.bin(LatencyBins.high(bin))).isEqualTo(bin);
            assertThat(LatencyBins.bin(LatencyBins.high(bin) + 1)).isEqualTo(bin + 1);
            previous = bin;
        }
        assertThat(LatencyBins.high(LatencyBins.bin(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
    }

    /** The summary of the counts is the summary of the facts, but for percentiles at most an eighth above the exact ones. */
    @RepeatedTest(20)
    void summaryOfTheCountsIsTheSummaryOfTheFacts() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        List<JobFact> jobs = new ArrayList<>();
        List<StageFact> stages = new ArrayList<>();
        for (int i = 0, n = r.nextInt(300); i < n; i++) {
            JobStatus status = JobStatus.values()[r.nextInt(JobStatus.values().length)];
            Instant created = T0.plusMillis(r.nextInt(3 * 86_400_000));
            Instant started = r.nextInt(5) == 0 ? null : created.plusMillis(r.nextInt(20_000));
            Instant completed = status.isTerminal() ? (started == null ? created : started).plusMillis((long) Math.pow(10, r.nextDouble() * 6)) : null;
            ResultType type = r.nextBoolean() ? null : ResultType.values()[r.nextInt(ResultType.values().length)];
            List<String> path = List.of(List.<String>of(), List.of("cached: hit"), List.of("a/b: timeout", "rules:keywords: built")).get(r.nextInt(3));
            String wf = WORKFLOWS.get(r.nextInt(2));
            jobs.add(new JobFact(wf, 1, status, type, created, started, completed, r.nextInt(1000), r.nextInt(1000), r.nextInt(100_000), r.nextInt(3), path));
            stages.add(new StageFact(wf, r.nextBoolean() ? "extract" : "notify", r.nextInt(10) == 0 ? -1 : r.nextInt(60_000),
                    List.of("passed", "repaired", "failed").get(r.nextInt(3))));
        }
        for (StatsQuery.Bucket bucket : StatsQuery.Bucket.values()) {
            StatsQuery q = new StatsQuery(Optional.empty(), Optional.empty(), T0, T0.plus(Duration.ofDays(3)), bucket);
            JobStats exact = JobStats.of(q, jobs, stages);
            JobStats binned = JobStats.of(q, Tally.of(q, jobs, stages));
            String why = "seed " + seed;
            assertThat(binned.submitted()).as(why).isEqualTo(exact.submitted());
            assertThat(binned.finished()).as(why).isEqualTo(exact.finished());
            assertThat(binned.byStatus()).as(why).isEqualTo(exact.byStatus());
            assertThat(binned.byResultType()).as(why).isEqualTo(exact.byResultType());
            assertThat(binned.successRate()).as(why).isEqualTo(exact.successRate());
            assertThat(binned.retryRate()).as(why).isEqualTo(exact.retryRate());
            assertThat(binned.fallbackRate()).as(why).isEqualTo(exact.fallbackRate());
            assertThat(binned.fallbackByRung()).as(why).isEqualTo(exact.fallbackByRung());
            assertThat(binned.validationFirstPassRate()).as(why).isEqualTo(exact.validationFirstPassRate());
            assertThat(binned.inputTokens()).as(why).isEqualTo(exact.inputTokens());
            assertThat(binned.outputTokens()).as(why).isEqualTo(exact.outputTokens());
            assertThat(binned.costMicros()).as(why).isEqualTo(exact.costMicros());
            assertThat(binned.series()).as(why).isEqualTo(exact.series());
            within(why, binned.queueMillis(), exact.queueMillis());
            within(why, binned.runMillis(), exact.runMillis());
            within(why, binned.totalMillis(), exact.totalMillis());
            assertThat(binned.stages()).hasSameSizeAs(exact.stages());
            for (int i = 0; i < exact.stages().size(); i++) {
                assertThat(binned.stages().get(i).workflow()).isEqualTo(exact.stages().get(i).workflow());
                assertThat(binned.stages().get(i).stage()).isEqualTo(exact.stages().get(i).stage());
                assertThat(binned.stages().get(i).count()).as(why).isEqualTo(exact.stages().get(i).count());
                within(why, binned.stages().get(i).millis(), exact.stages().get(i).millis());
            }
            for (String wf : WORKFLOWS) {
                StatsQuery one = new StatsQuery(Optional.empty(), Optional.of(wf), q.from(), q.to(), bucket);
                assertThat(Tally.of(q, jobs, stages).only(wf)).as(why)
                        .isEqualTo(Tally.of(one, jobs.stream().filter(j -> j.workflow().equals(wf)).toList(), stages.stream().filter(s -> s.workflow().equals(wf)).toList()));
            }
        }
    }

    @Test
    void countsThatCancelOutLeaveNothing() {
        StatsQuery q = new StatsQuery(Optional.empty(), Optional.empty(), T0, T0.plus(Duration.ofDays(1)), StatsQuery.Bucket.HOUR);
        Tally t = new Tally();
        t.add(WORKFLOWS.getFirst(), T0, Tally.STATUS, "failed", 1);
        t.add(WORKFLOWS.getFirst(), T0, Tally.RUNG, "cached", 1);
        t.add(WORKFLOWS.getFirst(), T0, Tally.STATUS, "failed", -1);
        t.add(WORKFLOWS.getFirst(), T0, Tally.RUNG, "cached", -1);
        assertThat(t).isEqualTo(new Tally());
        JobStats s = JobStats.of(q, t);
        assertThat(s.series()).isEmpty();
        assertThat(s.fallbackByRung()).isEmpty();
        assertThat(s.successRate()).isEmpty();
    }

    private static void within(String why, Percentiles<Long> binned, Percentiles<Long> exact) {
        assertThat(binned.p50()).as(why).isBetween(exact.p50(), exact.p50() + exact.p50() / 8);
        assertThat(binned.p90()).as(why).isBetween(exact.p90(), exact.p90() + exact.p90() / 8);
        assertThat(binned.p95()).as(why).isBetween(exact.p95(), exact.p95() + exact.p95() / 8);
        assertThat(binned.p99()).as(why).isBetween(exact.p99(), exact.p99() + exact.p99() / 8);
        assertThat(binned.max()).as(why).isBetween(exact.max(), exact.max() + exact.max() / 8);
    }
}
