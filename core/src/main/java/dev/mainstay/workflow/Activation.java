package dev.mainstay.workflow;

import dev.mainstay.config.YamlDocument;
import java.math.BigDecimal;

/**
 * A workflow's activation gate ({@code activation:} in its file): a new version loads as a
 * candidate and serves no traffic until a run of it on {@code suite} scores at least
 * {@code minScore} and falls no more than {@code maxRegression} below the active version's latest
 * run of that suite. Like {@code evals:}, it is policy about versions, not part of one: it changes
 * neither the content hash nor the stored definition.
 *
 * @param suite the name of a suite the workflow names in {@code evals:}
 * @param minScore the quality score (0 to 1) the candidate's run must reach
 * @param maxRegression how far (0 to 1) its quality score may fall below the active version's
 */
public record Activation(String suite, BigDecimal minScore, BigDecimal maxRegression) {
    public Activation {
        if (suite == null || suite.isBlank()) {
            throw new IllegalArgumentException("an activation gate names its suite");
        }
        if (minScore.signum() < 0 || minScore.compareTo(BigDecimal.ONE) > 0 || maxRegression.signum() < 0 || maxRegression.compareTo(BigDecimal.ONE) > 0) {
            throw new IllegalArgumentException("min_score " + minScore + " and max_regression " + maxRegression + " must lie between 0 and 1");
        }
    }

    /** {@code activation: {suite: S, min_score: 0.9, max_regression: 0.02}}; null when absent. */
    static Activation parse(YamlDocument doc) {
        if (!doc.has("/activation")) {
            return null;
        }
        doc.requireObject("/activation");
        doc.onlyKeys("/activation", "suite", "min_score", "max_regression");
        String suite = doc.requireText("/activation/suite");
        return new Activation(suite, fraction(doc, "/activation/min_score", null), fraction(doc, "/activation/max_regression", BigDecimal.ZERO));
    }

    private static BigDecimal fraction(YamlDocument doc, String pointer, BigDecimal defaultValue) {
        if (!doc.has(pointer)) {
            if (defaultValue == null) {
                throw doc.error(pointer, "is required: the quality score (0 to 1) a candidate's run must reach, e.g. 0.9");
            }
            return defaultValue;
        }
        var node = doc.node(pointer);
        if (!node.isNumber() || node.decimalValue().signum() < 0 || node.decimalValue().compareTo(BigDecimal.ONE) > 0) {
            throw doc.error(pointer, "must be a number from 0 to 1, got " + node);
        }
        return node.decimalValue();
    }
}
