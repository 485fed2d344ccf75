package dev.mainstay.evals;

import dev.mainstay.stats.Percentiles;
import dev.mainstay.job.Usage;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The arithmetic of one run over its case results: the quality score (the mean of the scored
 * cases' weighted scores), the pass rate, what it cost and how long cases took.
 *
 * @param cases every case of the run
 * @param scored the cases some scorer judged; quality and pass rate are over these
 * @param passed the scored cases whose every scorer reached its pass mark
 * @param quality the mean case score, 0 to 1, to nine decimal places; 0 when nothing was scored
 * @param passRate passed / scored; 0 when nothing was scored
 * @param threshold the suite's pass threshold for the quality score
 * @param usage tokens and cost of every case's job together
 * @param latency the spread of the cases' latencies
 * @param costMicros the spread of the cases' costs, in micro-dollars
 */
public record RunSummary(int cases, int scored, int passed, double quality, double passRate, double threshold, Usage usage, Percentiles<Duration> latency,
                         Percentiles<Long> costMicros) {
    public RunSummary {
        if (scored > cases || passed > scored || passed < 0) {
            throw new IllegalArgumentException("counts do not add up: " + cases + " cases, " + scored + " scored, " + passed + " passed. Indicates a bug.");
        }
    }

    /**
     * Sums up {@code results}.
     *
     * @throws IllegalArgumentException when two results share a case id
     */
    public static RunSummary of(List<CaseResult> results, double threshold) {
        Set<String> ids = new HashSet<>();
        for (CaseResult r : results) {
            if (!ids.add(r.caseId())) {
                throw new IllegalArgumentException("case " + r.caseId() + " appears twice in one run");
            }
        }
        int scored = 0;
        int passed = 0;
        Usage usage = Usage.ZERO;
        for (CaseResult r : results) {
            usage = usage.plus(r.observed().usage());
            if (r.scored()) {
                scored++;
                passed += r.passed() ? 1 : 0;
            }
        }
        double passRate = scored == 0 ? 0 : ratio(passed, scored);
        return new RunSummary(results.size(), scored, passed, quality(results), passRate, threshold, usage,
                Percentiles.of(results.stream().map(r -> r.observed().latency()).toList(), Duration.ZERO),
                Percentiles.of(results.stream().map(r -> r.observed().usage().costMicros()).toList(), 0L));
    }

    /**
     * The mean of the scored cases' scores, to nine decimal places; 0 when none was scored.
     * Summed in whole billionths, so that the order of the cases cannot move the last digit.
     */
    static double quality(List<CaseResult> results) {
        long billionths = 0;
        int n = 0;
        for (CaseResult r : results) {
            var s = r.score();
            if (s.isPresent()) {
                billionths += Math.round(s.getAsDouble() * 1e9);
                n++;
            }
        }
        return n == 0 ? 0 : ratio(billionths, n * 1_000_000_000L);
    }

    /** {@code part / whole} to nine decimal places, rounded half to even. */
    static double ratio(long part, long whole) {
        return BigDecimal.valueOf(part).divide(BigDecimal.valueOf(whole), 9, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** Whether the run reached the suite's threshold; a run that scored nothing never does. */
    public boolean meetsThreshold() {
        return scored > 0 && quality >= threshold;
    }

    /** Cases no scorer judged. */
    public int unscored() {
        return cases - scored;
    }

    /** The mean cost of a case, in micro-dollars, rounded down; 0 for a run without cases. */
    public long meanCostMicros() {
        return cases == 0 ? 0 : usage.costMicros() / cases;
    }
}
