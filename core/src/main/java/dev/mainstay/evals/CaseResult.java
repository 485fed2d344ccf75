package dev.mainstay.evals;

import java.util.HashSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * One case of a run: what was observed and how every scorer judged it. The case's score is the
 * weighted mean of the scorers that applied; it passes when each of them reached its pass mark. A
 * case no scorer applied to (only a model-graded scorer, with grading off) is unscored: it counts
 * neither for nor against the run.
 */
public record CaseResult(String caseId, Observation observed, List<ScorerResult> scores) {
    public CaseResult {
        if (caseId == null || observed == null) {
            throw new IllegalArgumentException("a case result needs the case id and the observation");
        }
        scores = List.copyOf(scores);
        Set<String> names = new HashSet<>();
        for (ScorerResult s : scores) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("case " + caseId + " has two scorers named '" + s.name() + "'. Indicates a bug.");
            }
        }
    }

    /** Whether any scorer judged the case. */
    public boolean scored() {
        return scores.stream().anyMatch(ScorerResult::applied);
    }

    /** The weighted mean of the scores of the scorers that applied, to nine decimal places; empty when none did. */
    public OptionalDouble score() {
        double weights = 0;
        double sum = 0;
        for (ScorerResult s : scores) {
            if (s.score() instanceof Score.Scored v) {
                weights += s.weight();
                sum += s.weight() * v.value();
            }
        }
        return weights == 0 ? OptionalDouble.empty() : OptionalDouble.of(clamp(round(sum / weights)));
    }

    /** Whether every scorer that applied reached its pass mark (and at least one applied). */
    public boolean passed() {
        return scored() && scores.stream().filter(ScorerResult::applied).allMatch(ScorerResult::passed);
    }

    /** The scorers that applied and fell short of their pass mark. */
    public List<ScorerResult> failures() {
        return scores.stream().filter(s -> s.applied() && !s.passed()).toList();
    }

    /** The scorer named {@code name}, if the case had one. */
    public java.util.Optional<ScorerResult> scorer(String name) {
        return scores.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * Rounded to nine decimal places: a mean of nine cases of 1 and one of 0 is 0.9 exactly, and
     * meets a threshold of 0.9, whatever order floating point added them in.
     */
    static double round(double v) {
        return Math.round(v * 1e9) / 1e9;
    }

    private static double clamp(double v) {
        return Math.min(1, Math.max(0, v));
    }
}
