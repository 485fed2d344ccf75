package dev.mainstay.evals;

/** What one scorer made of one observed case: a score in [0, 1] with its reason, or why it did not apply. */
public sealed interface Score {
    String reason();

    /**
     * A score, 1 for fully as expected, 0 for not at all.
     *
     * @param reason what was found, in words a reader of the run can act on
     */
    record Scored(double value, String reason) implements Score {
        public Scored {
            if (!(value >= 0 && value <= 1)) {
                throw new IllegalArgumentException("a score is within [0, 1], got " + value + ". Indicates a bug.");
            }
            if (reason == null || reason.isBlank()) {
                throw new IllegalArgumentException("a score needs its reason");
            }
        }

        static Scored pass(String reason) {
            return new Scored(1, reason);
        }

        static Scored fail(String reason) {
            return new Scored(0, reason);
        }
    }

    /** The scorer had nothing to judge: model grading off, or no expected value for this case. Counts for nothing. */
    record Skipped(String reason) implements Score {
        public Skipped {
            if (reason == null || reason.isBlank()) {
                throw new IllegalArgumentException("a skipped score needs its reason");
            }
        }
    }
}
