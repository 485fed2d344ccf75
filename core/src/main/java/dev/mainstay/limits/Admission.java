package dev.mainstay.limits;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The limits a submit must pass, checked by the store in the same transaction that accepts the
 * job, so concurrent submits on any number of nodes cannot slip past them together. A repeat of
 * an accepted request (same idempotency key) is answered before any of these are checked.
 */
public record Admission(List<Bucket> buckets, List<Ceiling> ceilings, Cooldown cooldown) {
    public static final Admission NONE = new Admission(List.of(), List.of(), null);

    public Admission {
        buckets = List.copyOf(buckets);
        ceilings = List.copyOf(ceilings);
    }

    /**
     * A token bucket: holds at most {@code capacity} tokens, refills {@code capacity} per
     * {@code period} continuously; a submit takes one.
     */
    public record Bucket(String key, long capacity, Duration period, String limit, String scope) {
    }

    /**
     * A period budget a submit must find room in: refused when what is left of {@code max} after
     * the settled spend cannot cover {@code need}, the most the workflow's cheapest possible first
     * model call reserves (see {@code docs/limits.md}). Such a refusal is final until the period
     * resets: the first call's reservation would be refused for good, so accepting the job would
     * only fail it later.
     *
     * <p>What calls in flight hold does not count here: they settle at what the provider reports,
     * usually less, and a job whose call finds the budget held waits for it ({@code budget_wait}).
     * A call whose node died mid-call does count once it is charged at its estimate as an unknown
     * outcome ({@link dev.mainstay.usage.Charge.Basis#UNKNOWN_OUTCOME}): that is settled spend.
     *
     * @param need the first call's worst case in {@code unit}s; 0 when the workflow calls no model,
     *     which is then refused only once the budget is used up
     * @param needFor what needs it, for the refusal, e.g. {@code the cheapest possible first call
     *     of meetings/notes (stage 'extract' on openai/gpt-4o-mini, ...)}; {@code null} when
     *     {@code need} is 0
     */
    public record Ceiling(String scope, long max, Hold.Unit unit, String limit, String label, Instant resetsAt, long need, String needFor) {
        public Ceiling {
            if (max < 0 || need < 0) {
                throw new IllegalArgumentException("a ceiling's max and need are not negative: max " + max + ", need " + need);
            }
        }

        /** A ceiling that only refuses once the budget is used up. */
        public Ceiling(String scope, long max, Hold.Unit unit, String limit, String label, Instant resetsAt) {
            this(scope, max, unit, limit, label, resetsAt, 0, null);
        }

        /** What is left of {@code max} after the settled spend of {@code counter}, never negative. */
        public long remaining(Counter counter) {
            return Math.max(0, max - counter.spent());
        }

        /**
         * The decision on a submit, given the scope's counter as the store holds it now: empty to
         * admit, else the refusal with the time until the period resets.
         */
        public Optional<LimitHit> refusal(Counter counter, Instant now) {
            long left = remaining(counter);
            // Without a model call to cover, a budget still refuses once nothing at all is left.
            if (left >= Math.max(1, need)) {
                return Optional.empty();
            }
            String resets = resetsAt == null ? "" : "; it resets at " + resetsAt;
            String message = left == 0 || need == 0
                    ? label + " has used its " + limit + " of " + unit.describe(max) + resets
                    : label + " has " + unit.describe(left) + " left of its " + limit + " of " + unit.describe(max) + ", less than the "
                            + unit.describe(need) + " needed for " + needFor + resets;
            return Optional.of(new LimitHit(unit.refusal(), limit, label, message,
                    resetsAt == null ? Optional.empty() : Optional.of(Duration.between(now, resetsAt))));
        }
    }

    /**
     * Refuses an account's submits for {@code duration} after its last failure once
     * {@code failures} of its jobs in a row failed for upstream reasons.
     */
    public record Cooldown(String accountId, int failures, Duration duration) {
    }
}
