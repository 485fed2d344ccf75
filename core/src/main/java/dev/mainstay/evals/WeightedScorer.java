package dev.mainstay.evals;

/**
 * A scorer as a suite or case declares it.
 *
 * @param name unique among the scorers that apply to a case; how results and comparisons name it
 * @param weight its share of the case's score, relative to the other scorers that applied
 * @param pass the lowest score at which it counts as passed (a case passes when all its scorers do)
 */
public record WeightedScorer(String name, Scorer scorer, double weight, double pass) {
    public static final double DEFAULT_WEIGHT = 1;
    public static final double DEFAULT_PASS = 1;

    public WeightedScorer {
        if (name == null || name.isBlank() || scorer == null) {
            throw new IllegalArgumentException("a scorer needs a name and its kind");
        }
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("weight must be a number above zero, got " + weight);
        }
        if (!(pass >= 0 && pass <= 1)) {
            throw new IllegalArgumentException("pass must be within [0, 1], got " + pass);
        }
    }

    /** Whether it has something to judge in {@code kase} (a scorer that compares with the expected answer needs one there). */
    public boolean appliesTo(EvalCase kase) {
        return scorer.appliesTo(kase);
    }
}
