package dev.mainstay.evals;

import dev.mainstay.stats.Percentiles;
import static dev.mainstay.evals.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The arithmetic of a run and of the comparison of two runs, on hand-made case results. */
class RunArithmeticTest {

    private static ScorerResult scored(String name, double weight, double pass, double value) {
        return new ScorerResult(name, "equals", weight, pass, new Score.Scored(value, "because"));
    }

    private static ScorerResult skipped(String name) {
        return new ScorerResult(name, "model_graded", 1, 1, new Score.Skipped("not judged: model grading is off for this run"));
    }

    private static Observation observed(String output, long millis, long costMicros) {
        return new Observation("job_" + millis, "completed", ResultType.FULL, null, output == null ? null : json(output), Duration.ofMillis(millis),
                new Usage(100, 20, costMicros), Map.of());
    }

    private static CaseResult result(String id, double... values) {
        List<ScorerResult> scores = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            scores.add(scored("s" + i, 1, 1, values[i]));
        }
        return new CaseResult(id, observed("{\"label\": \"" + id + "\"}", 100, 10), scores);
    }

    @Test
    void aCasesScoreIsTheWeightedMeanOfTheScorersThatApplied() {
        CaseResult r = new CaseResult("c", observed("{}", 10, 0), List.of(scored("a", 3, 1, 1), scored("b", 1, 1, 0), skipped("judge")));
        assertThat(r.score()).hasValue(0.75);
        assertThat(r.passed()).isFalse();
        assertThat(r.failures()).extracting(ScorerResult::name).containsExactly("b");
        assertThat(r.scored()).isTrue();
    }

    @Test
    void aCasePassesWhenEveryScorerReachesItsOwnPassMark() {
        CaseResult r = new CaseResult("c", observed("{}", 10, 0), List.of(scored("exact", 1, 1, 1), scored("overlap", 1, 0.6, 0.6)));
        assertThat(r.passed()).isTrue();
        assertThat(r.score()).hasValue(0.8);
    }

    @Test
    void aCaseNoScorerJudgedIsUnscoredAndCountsNeitherWay() {
        CaseResult unscored = new CaseResult("u", observed("{}", 10, 0), List.of(skipped("judge")));
        assertThat(unscored.score()).isEmpty();
        assertThat(unscored.passed()).isFalse();
        RunSummary s = RunSummary.of(List.of(result("a", 1), unscored, result("b", 0)), 0.5);
        assertThat(s.cases()).isEqualTo(3);
        assertThat(s.scored()).isEqualTo(2);
        assertThat(s.unscored()).isEqualTo(1);
        assertThat(s.quality()).isEqualTo(0.5);
        assertThat(s.passRate()).isEqualTo(0.5);
        assertThat(s.meetsThreshold()).isTrue();
    }

    @Test
    void nineGoodCasesOfTenMeetAThresholdOfNineTenths() {
        List<CaseResult> results = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            results.add(result("ok" + i, 1, 1));
        }
        results.add(result("bad", 0, 0));
        RunSummary s = RunSummary.of(results, 0.9);
        assertThat(s.quality()).isEqualTo(0.9);
        assertThat(s.passRate()).isEqualTo(0.9);
        assertThat(s.meetsThreshold()).isTrue();
        assertThat(RunSummary.of(results, 0.9000001).meetsThreshold()).isFalse();
    }

    @Test
    void aRunThatScoredNothingNeverMeetsItsThreshold() {
        RunSummary empty = RunSummary.of(List.of(), 0);
        assertThat(empty.quality()).isZero();
        assertThat(empty.meetsThreshold()).isFalse();
        assertThat(empty.latency().p99()).isEqualTo(Duration.ZERO);
        assertThat(empty.meanCostMicros()).isZero();
    }

    @Test
    void costAndLatencyPercentilesAreValuesSomeCaseHad() {
        List<CaseResult> results = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            results.add(new CaseResult("c" + i, observed("{}", i * 10L, i * 100L), List.of(scored("s", 1, 1, 1))));
        }
        RunSummary s = RunSummary.of(results, 1);
        assertThat(s.latency()).isEqualTo(new Percentiles<>(Duration.ofMillis(100), Duration.ofMillis(180), Duration.ofMillis(190), Duration.ofMillis(200),
                Duration.ofMillis(200)));
        assertThat(s.costMicros()).isEqualTo(new Percentiles<>(1_000L, 1_800L, 1_900L, 2_000L, 2_000L));
        assertThat(s.usage()).isEqualTo(new Usage(2_000, 400, 21_000));
        assertThat(s.meanCostMicros()).isEqualTo(1_050);
    }

    @Test
    void aCaseIdTwiceInOneRunIsRefused() {
        assertThatThrownBy(() -> RunSummary.of(List.of(result("a", 1), result("a", 0)), 1)).hasMessage("case a appears twice in one run");
        assertThatThrownBy(() -> RunComparison.of(List.of(result("a", 1), result("a", 0)), List.of())).hasMessage("case a appears twice in one run");
    }

    @Test
    void theComparisonNamesImprovedRegressedUnchangedAddedAndRemovedCases() {
        List<CaseResult> before = List.of(result("same", 1, 1), result("better", 1, 0), result("worse", 1, 1), result("dropped", 1), result("graded-up", 0.5, 0.5));
        List<CaseResult> after = List.of(result("same", 1, 1), result("better", 1, 1), result("worse", 0, 1), result("graded-up", 0.5, 0.75), result("new", 1));
        RunComparison c = RunComparison.of(before, after);
        assertThat(c.cases()).extracting(RunComparison.CaseChange::caseId, RunComparison.CaseChange::change).containsExactly(
                org.assertj.core.groups.Tuple.tuple("same", RunComparison.Change.UNCHANGED),
                org.assertj.core.groups.Tuple.tuple("better", RunComparison.Change.IMPROVED),
                org.assertj.core.groups.Tuple.tuple("worse", RunComparison.Change.REGRESSED),
                org.assertj.core.groups.Tuple.tuple("dropped", RunComparison.Change.REMOVED),
                // Fails before and after, but by less: improved.
                org.assertj.core.groups.Tuple.tuple("graded-up", RunComparison.Change.IMPROVED),
                org.assertj.core.groups.Tuple.tuple("new", RunComparison.Change.ADDED));
        assertThat(c.regressed()).extracting(RunComparison.CaseChange::caseId).containsExactly("worse");
        assertThat(c.count(RunComparison.Change.IMPROVED)).isEqualTo(2);
        RunComparison.CaseChange worse = c.cases().get(2);
        assertThat(worse.differences()).extracting(RunComparison.Difference::field).containsExactly("/score", "/passed", "/scores/s0");
        assertThat(worse.differences().getFirst().before().doubleValue()).isEqualTo(1);
        assertThat(worse.differences().getFirst().after().doubleValue()).isEqualTo(0.5);
        // before: 1, 0.5, 1, 1, 0.5 -> 0.8; after: 1, 1, 0.5, 0.625, 1 -> 0.825
        assertThat(c.qualityBefore()).isEqualTo(0.8);
        assertThat(c.qualityAfter()).isEqualTo(0.825);
        assertThat(c.qualityDelta()).isEqualTo(0.025);
        assertThat(c.regression()).isZero();
    }

    @Test
    void aCaseThatPassesNowIsImprovedEvenIfItsScoreFell() {
        // Before: one heavy scorer passes, a light one fails (score 0.9, failed).
        CaseResult before = new CaseResult("c", observed("{}", 10, 0), List.of(scored("heavy", 9, 1, 1), scored("light", 1, 1, 0)));
        // After: both pass their own marks, the heavy one lower (score 0.64, passed).
        CaseResult after = new CaseResult("c", observed("{}", 10, 0), List.of(scored("heavy", 9, 0.6, 0.6), scored("light", 1, 1, 1)));
        assertThat(RunComparison.of(List.of(before), List.of(after)).cases().getFirst().change()).isEqualTo(RunComparison.Change.IMPROVED);
        assertThat(RunComparison.of(List.of(after), List.of(before)).cases().getFirst().change()).isEqualTo(RunComparison.Change.REGRESSED);
    }

    @Test
    void theDifferingOutputFieldsAreListedAsPointers() {
        CaseResult before = new CaseResult("c", observed("{\"segment\": \"smb\", \"score\": 40, \"tags\": [\"a\", \"b\"], \"same\": 1}", 10, 0),
                List.of(scored("s", 1, 1, 1)));
        CaseResult after = new CaseResult("c", observed("{\"segment\": \"enterprise\", \"score\": 40.0, \"tags\": [\"a\"], \"same\": 1, \"new/field\": true}", 10, 0),
                List.of(scored("s", 1, 1, 1)));
        RunComparison.CaseChange change = RunComparison.of(List.of(before), List.of(after)).cases().getFirst();
        assertThat(change.change()).isEqualTo(RunComparison.Change.UNCHANGED);
        assertThat(change.differences()).extracting(RunComparison.Difference::field).containsExactly("/output/segment", "/output/tags/1", "/output/new~1field");
        assertThat(change.differences().get(1).after().isMissingNode()).isTrue();
        assertThat(change.differences().get(2).before().isMissingNode()).isTrue();
    }

    @Test
    void aJobThatNowFailsShowsItsStatusResultTypeAndErrorCode() {
        CaseResult before = new CaseResult("c", observed("{\"a\": 1}", 10, 0), List.of(scored("s", 1, 1, 1)));
        CaseResult after = new CaseResult("c", new Observation("job_2", JobStatus.FAILED.wire(), null, "provider_unavailable", null, Duration.ofMillis(5), Usage.ZERO,
                Map.of()), List.of(scored("s", 1, 1, 0)));
        RunComparison.CaseChange change = RunComparison.of(List.of(before), List.of(after)).cases().getFirst();
        assertThat(change.change()).isEqualTo(RunComparison.Change.REGRESSED);
        assertThat(change.differences()).extracting(RunComparison.Difference::field)
                .containsExactly("/status", "/result_type", "/error_code", "/score", "/passed", "/scores/s", "/output");
        assertThat(change.differences().get(2).before().isMissingNode()).isTrue();
        assertThat(change.differences().get(2).after().asString()).isEqualTo("provider_unavailable");
    }

    @Test
    void aCaseOneRunCouldNotScoreIsNeitherBetterNorWorse() {
        CaseResult judged = new CaseResult("c", observed("{}", 10, 0), List.of(new ScorerResult("judge", "model_graded", 1, 1, new Score.Scored(1, "5/5"))));
        CaseResult notJudged = new CaseResult("c", observed("{}", 10, 0), List.of(skipped("judge")));
        RunComparison.CaseChange change = RunComparison.of(List.of(judged), List.of(notJudged)).cases().getFirst();
        assertThat(change.change()).isEqualTo(RunComparison.Change.UNSCORED);
        assertThat(change.differences()).extracting(RunComparison.Difference::field).containsExactly("/score", "/passed", "/scores/judge");
    }

    @Test
    void differencesBeyondTheLimitAreCountedNotListed() {
        StringBuilder a = new StringBuilder("[");
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < 150; i++) {
            a.append(i == 0 ? "" : ",").append(i);
            b.append(i == 0 ? "" : ",").append(i + 1);
        }
        CaseResult before = new CaseResult("c", observed(a + "]", 10, 0), List.of(scored("s", 1, 1, 1)));
        CaseResult after = new CaseResult("c", observed(b + "]", 10, 0), List.of(scored("s", 1, 1, 1)));
        RunComparison.CaseChange change = RunComparison.of(List.of(before), List.of(after)).cases().getFirst();
        assertThat(change.differences()).hasSize(RunComparison.MAX_DIFFERENCES);
        assertThat(change.omitted()).isEqualTo(50);
    }

    @Test
    void aRegressionIsHowFarTheQualityFell() {
        RunComparison c = RunComparison.of(List.of(result("a", 1), result("b", 1)), List.of(result("a", 1), result("b", 0.94)));
        assertThat(c.qualityDelta()).isEqualTo(-0.03);
        assertThat(c.regression()).isEqualTo(0.03);
    }

    @Test
    void scoringACaseAppliesTheSuitesScorersThenTheCasesOwn() {
        WeightedScorer label = new WeightedScorer("equals /label", new Equals(Fixtures.at("/label"), null, false), 2, 1);
        WeightedScorer schema = new WeightedScorer("schema_valid", new SchemaValid(), 1, 1);
        WeightedScorer own = new WeightedScorer("fast", new LatencyCeiling(Duration.ofMillis(50)), 1, 1);
        EvalCase kase = new EvalCase("c", "", json("{}"), json("{\"label\": \"a\"}"), List.of(own), List.of(), "s.yaml:3");
        EvalSuite suite = new EvalSuite("s", "", "s.yaml", java.nio.file.Path.of("s.yaml"), "h", 0.9, true, List.of(label, schema), List.of(kase));
        CaseResult r = suite.score(kase, observed("{\"label\": \"b\"}", 10, 0), Fixtures.SUBJECT);
        assertThat(r.scores()).extracting(ScorerResult::name).containsExactly("equals /label", "schema_valid", "fast");
        assertThat(r.scores()).extracting(s -> s.value().getAsDouble()).containsExactly(0.0, 1.0, 1.0);
        assertThat(r.score()).hasValue(0.5);
        assertThat(suite.summarize(List.of(r)).meetsThreshold()).isFalse();
    }
}
