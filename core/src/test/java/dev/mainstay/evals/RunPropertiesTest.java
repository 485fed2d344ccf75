package dev.mainstay.evals;

import dev.mainstay.stats.Percentiles;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The run arithmetic over generated runs: the summary does not depend on the order of cases,
 * stays within its bounds and agrees with a plain recount; a comparison of a run with itself
 * finds nothing, and swapping the two runs swaps every verdict.
 */
class RunPropertiesTest {
    private static final List<String> LABELS = List.of("a", "b", "c", "é", "🚀");

    private static JsonNode output(SeededRandom r) {
        if (r.nextInt(8) == 0) {
            return null;
        }
        ObjectNode o = Json.object().put("label", r.pick(LABELS));
        if (r.nextBoolean()) {
            o.put("score", r.intBetween(0, 3));
        }
        if (r.nextBoolean()) {
            var tags = o.putArray("tags");
            r.list(0, 3, x -> x.pick(LABELS)).forEach(tags::add);
        }
        return o;
    }

    private static Score score(SeededRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> new Score.Skipped("skipped");
            case 1 -> new Score.Scored(0, "no");
            case 2 -> new Score.Scored(1, "yes");
            default -> new Score.Scored(r.intBetween(0, 1000) / 1000.0, "partly");
        };
    }

    private static CaseResult result(SeededRandom r, String id) {
        JsonNode out = output(r);
        Observation o = new Observation("job_" + id, out == null ? "failed" : "completed", out == null ? null : ResultType.FULL, out == null ? "internal" : null, out,
                Duration.ofMillis(r.longBetween(0, 60_000)), new Usage(r.longBetween(0, 5_000), r.longBetween(0, 2_000), r.longBetween(0, 50_000)), Map.of());
        List<ScorerResult> scores = new ArrayList<>();
        int n = r.intBetween(0, 4);
        for (int i = 0; i < n; i++) {
            scores.add(new ScorerResult("s" + i, "equals", r.pick(0.5, 1.0, 2.0, 3.0), r.pick(0.0, 0.5, 1.0), score(r)));
        }
        return new CaseResult(id, o, scores);
    }

    private static List<CaseResult> run(SeededRandom r, List<String> ids) {
        return ids.stream().map(id -> result(r, id)).toList();
    }

    private static List<String> ids(SeededRandom r) {
        return new ArrayList<>(new LinkedHashSet<>(r.list(0, 40, x -> "case-" + x.intBetween(0, 60))));
    }

    @Property(tries = 500)
    void theSummaryIsWithinBoundsAndAgreesWithARecount(SeededRandom random) {
        List<CaseResult> results = random.draw("run", r -> run(r, ids(r)));
        double threshold = random.draw("threshold", r -> r.intBetween(0, 100) / 100.0);
        RunSummary s = RunSummary.of(results, threshold);

        List<Double> caseScores = results.stream().filter(CaseResult::scored).map(c -> c.score().getAsDouble()).toList();
        assertThat(s.scored()).isEqualTo(caseScores.size());
        assertThat(s.passed()).isEqualTo((int) results.stream().filter(CaseResult::passed).count());
        assertThat(s.quality()).isBetween(0.0, 1.0);
        assertThat(s.passRate()).isBetween(0.0, 1.0);
        if (caseScores.isEmpty()) {
            assertThat(s.quality()).isZero();
            assertThat(s.meetsThreshold()).isFalse();
        } else {
            assertThat(s.quality()).isBetween(Collections.min(caseScores) - 1e-9, Collections.max(caseScores) + 1e-9);
            assertThat(s.quality()).isCloseTo(caseScores.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), org.assertj.core.data.Offset.offset(1e-8));
            assertThat(s.meetsThreshold()).isEqualTo(s.quality() >= threshold);
        }
        for (CaseResult c : results) {
            // A case's score lies between its lowest and highest applied scorer.
            List<Double> applied = c.scores().stream().filter(ScorerResult::applied).map(x -> x.value().getAsDouble()).toList();
            if (!applied.isEmpty()) {
                assertThat(c.score().getAsDouble()).isBetween(Collections.min(applied) - 1e-9, Collections.max(applied) + 1e-9);
            }
            assertThat(c.passed()).isEqualTo(!applied.isEmpty() && c.failures().isEmpty());
        }
        List<Duration> latencies = results.stream().map(c -> c.observed().latency()).toList();
        Percentiles<Duration> p = s.latency();
        assertThat(List.of(p.p50(), p.p90(), p.p95(), p.p99(), p.max())).isSorted();
        if (!latencies.isEmpty()) {
            assertThat(latencies).contains(p.p50(), p.p90(), p.p95(), p.p99(), p.max());
            assertThat(p.max()).isEqualTo(Collections.max(latencies));
            // At least half the cases took no longer than the median.
            assertThat(latencies.stream().filter(l -> l.compareTo(p.p50()) <= 0).count() * 2).isGreaterThanOrEqualTo(latencies.size());
        }
        assertThat(s.usage().costMicros()).isEqualTo(results.stream().mapToLong(c -> c.observed().usage().costMicros()).sum());
    }

    @Property(tries = 300)
    void theSummaryDoesNotDependOnTheOrderOfCases(SeededRandom random) {
        List<CaseResult> results = random.draw("run", r -> run(r, ids(r)));
        List<CaseResult> shuffled = new ArrayList<>(results);
        Collections.shuffle(shuffled, new java.util.Random(random.nextLong()));
        assertThat(RunSummary.of(shuffled, 0.5)).isEqualTo(RunSummary.of(results, 0.5));
    }

    @Property(tries = 300)
    void aRunComparedWithItselfFindsNothing(SeededRandom random) {
        List<CaseResult> results = random.draw("run", r -> run(r, ids(r)));
        RunComparison c = RunComparison.of(results, results);
        assertThat(c.cases()).hasSize(results.size());
        assertThat(c.cases()).allSatisfy(change -> {
            assertThat(change.change()).isIn(RunComparison.Change.UNCHANGED, RunComparison.Change.UNSCORED);
            assertThat(change.differences()).isEmpty();
        });
        assertThat(c.qualityDelta()).isZero();
    }

    @Property(tries = 500)
    void swappingTheRunsSwapsEveryVerdict(SeededRandom random) {
        List<String> before = random.draw("ids before", RunPropertiesTest::ids);
        List<String> after = random.draw("ids after", RunPropertiesTest::ids);
        List<CaseResult> a = run(random, before);
        List<CaseResult> b = run(random, after);
        RunComparison forth = RunComparison.of(a, b);
        RunComparison back = RunComparison.of(b, a);

        Set<String> union = new HashSet<>(before);
        union.addAll(after);
        assertThat(forth.cases()).hasSize(union.size());
        Function<RunComparison.Change, RunComparison.Change> mirror = ch -> switch (ch) {
            case IMPROVED -> RunComparison.Change.REGRESSED;
            case REGRESSED -> RunComparison.Change.IMPROVED;
            case ADDED -> RunComparison.Change.REMOVED;
            case REMOVED -> RunComparison.Change.ADDED;
            case UNCHANGED, UNSCORED -> ch;
        };
        for (RunComparison.CaseChange change : forth.cases()) {
            RunComparison.CaseChange other = back.cases().stream().filter(x -> x.caseId().equals(change.caseId())).findFirst().orElseThrow();
            assertThat(other.change()).as(change.caseId()).isEqualTo(mirror.apply(change.change()));
            assertThat(other.differences()).extracting(RunComparison.Difference::field)
                    .containsExactlyInAnyOrderElementsOf(change.differences().stream().map(RunComparison.Difference::field).toList());
            for (RunComparison.Difference d : change.differences()) {
                RunComparison.Difference o = other.differences().stream().filter(x -> x.field().equals(d.field())).findFirst().orElseThrow();
                assertThat(o.before()).isEqualTo(d.after());
                assertThat(o.after()).isEqualTo(d.before());
            }
        }
        assertThat(back.qualityDelta()).isEqualTo(-forth.qualityDelta());
        int counted = 0;
        for (RunComparison.Change ch : RunComparison.Change.values()) {
            counted += forth.count(ch);
        }
        assertThat(counted).isEqualTo(union.size());
    }
}
