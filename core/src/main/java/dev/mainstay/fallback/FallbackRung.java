package dev.mainstay.fallback;


/**
 * One rung of a workflow's fallback ladder, tried in the declared order once every target of the
 * failing stage's route has given up. A closed set, handled by exhaustive switches.
 */
public sealed interface FallbackRung {
    /** Wire name as written in YAML and recorded in {@code provenance.fallback_path}. */
    String label();

    /** The last-known-good result of the same workflow version for the same input. */
    record Cached() implements FallbackRung {
        @Override
        public String label() {
            return "cached";
        }
    }

    /** A built-in deterministic path that builds the result from the input (see {@link RulesPath}). */
    record Rules(RulesPath path) implements FallbackRung {
        @Override
        public String label() {
            return "rules:" + path.name();
        }
    }

    /** The best partial output there is, returned as {@code result_type: draft}. */
    record Draft() implements FallbackRung {
        @Override
        public String label() {
            return "draft";
        }
    }

    /**
     * A person decides: the job waits in {@code waiting_for_review} until someone approves, edits
     * or rejects the stage's output, or until {@code expires} passes and {@code onExpiry} applies.
     *
     * @param budgetRefusals whether a job stopped by a budget or token quota of its account or
     *     job ({@code budget_exceeded}, {@code quota_exceeded}) is sent to review too. Off by
     *     default: a person cannot raise a budget from the review queue, and an account over its
     *     budget would otherwise fill that queue with every job it submits.
     */
    record Review(java.time.Duration expires, dev.mainstay.review.Review.Decision onExpiry, boolean budgetRefusals) implements FallbackRung {
        public static final java.time.Duration DEFAULT_EXPIRY = java.time.Duration.ofHours(24);

        public Review {
            if (onExpiry == dev.mainstay.review.Review.Decision.EDIT) {
                throw new IllegalArgumentException("on_expiry must be approve or reject");
            }
        }

        /** A review rung that budget refusals pass over. */
        public Review(java.time.Duration expires, dev.mainstay.review.Review.Decision onExpiry) {
            this(expires, onExpiry, false);
        }

        @Override
        public String label() {
            return "review";
        }
    }
}
