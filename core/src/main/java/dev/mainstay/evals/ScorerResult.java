package dev.mainstay.evals;

/**
 * One scorer's judgement of one case, with the weight and pass mark it was declared with.
 *
 * @param name the scorer's name, unique within the case
 * @param kind the scorer's kind, e.g. {@code equals}
 */
public record ScorerResult(String name, String kind, double weight, double pass, Score score) {
    public ScorerResult {
        if (name == null || kind == null || score == null) {
            throw new IllegalArgumentException("a scorer result needs a name, a kind and a score");
        }
        if (!(weight > 0) || Double.isInfinite(weight) || !(pass >= 0 && pass <= 1)) {
            throw new IllegalArgumentException("weight " + weight + " or pass " + pass + " out of range for scorer " + name + ". Indicates a bug.");
        }
    }

    /** Whether it judged the case (it was not skipped). */
    public boolean applied() {
        return score instanceof Score.Scored;
    }

    /** Whether it judged the case at or above its pass mark. */
    public boolean passed() {
        return score instanceof Score.Scored s && s.value() >= pass;
    }

    /** The score, when it judged the case. */
    public java.util.OptionalDouble value() {
        return score instanceof Score.Scored s ? java.util.OptionalDouble.of(s.value()) : java.util.OptionalDouble.empty();
    }
}
