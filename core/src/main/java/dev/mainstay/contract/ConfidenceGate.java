package dev.mainstay.contract;

import java.util.Locale;

/**
 * The confidence gate of an output contract: an output whose top-level number {@code field} is
 * below {@code min} is not used as is but handed to the declared {@link Action}, e.g.
 * {@code confidence: { field: confidence, min: 0.6, below: review }}.
 */
public record ConfidenceGate(String field, double min, Action below) {
    public ConfidenceGate {
        if (field == null || field.isBlank()) {
            throw new IllegalArgumentException("a confidence gate needs the name of a top-level output field");
        }
        if (Double.isNaN(min) || Double.isInfinite(min)) {
            throw new IllegalArgumentException("a confidence gate's min must be a finite number, got " + min);
        }
        if (below == null) {
            throw new IllegalArgumentException("a confidence gate needs an action for outputs below min");
        }
    }

    /** What happens to an output below the minimum. */
    public enum Action {
        /** A human decides. */
        REVIEW,
        /** The workflow's fallback ladder takes over. */
        FALLBACK;

        /** The form written in workflow files, e.g. {@code review}. */
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
