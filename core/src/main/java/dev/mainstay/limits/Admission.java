package dev.mainstay.limits;

import dev.mainstay.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The limits a submit must pass, judged in the same transaction that accepts the job, so
 * concurrent submits on any number of nodes cannot slip past them together. A repeat of an
 * accepted request (same idempotency key) is answered before any of these are checked.
 *
 * <p>The store reads the {@link Facts} under its locks and writes back the buckets an
 * {@link Decision.Admit} took; {@link #decide} alone says whether the job is admitted.
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
        /** Failures that say the model side is in trouble, as opposed to the request or a person. */
        private static final Set<ErrorCode> UPSTREAM = EnumSet.of(ErrorCode.PROVIDER_TIMEOUT, ErrorCode.PROVIDER_UNAVAILABLE,
                ErrorCode.PROVIDER_RATE_LIMITED, ErrorCode.PROVIDER_REJECTED, ErrorCode.INVALID_MODEL_OUTPUT, ErrorCode.TOOL_FAILED);

        /** Whether a job that failed with {@code code} counts towards its account's failures in a row. */
        public static boolean upstream(ErrorCode code) {
            return code != null && UPSTREAM.contains(code);
        }
    }

    /** An account's jobs that failed upstream in a row (a finished job resets them), and when the last did. */
    public record Health(int failures, Instant lastFailureAt) {
    }

    /**
     * What a store read for this admission.
     *
     * @param health the cooled-down account's record, or {@code null} when it has none (or no cooldown applies)
     * @param counters the counters of the ceilings' scopes; a scope missing is {@link Counter#ZERO}
     * @param buckets the buckets' states by key; a key missing is a full bucket
     */
    public record Facts(Health health, Map<String, Counter> counters, Map<String, TokenBucket.State> buckets) {
    }

    /** Admitted (with the buckets' states after taking a token each, to be written back) or refused. */
    public sealed interface Decision {
        /** @param taken the new state of every bucket, by key, in the admission's order */
        record Admit(Map<String, TokenBucket.State> taken) implements Decision {
        }

        record Refuse(LimitHit hit) implements Decision {
        }
    }

    /**
     * Judges a submit at {@code now}: the cooldown first, then the ceilings, then the buckets, each
     * in order; the first limit that refuses is the one reported. Takes a token from every bucket
     * only when all pass.
     */
    public Decision decide(Facts facts, Instant now) {
        Optional<LimitHit> cooled = cooling(facts.health(), now);
        if (cooled.isPresent()) {
            return new Decision.Refuse(cooled.get());
        }
        for (Ceiling ceiling : ceilings) {
            Optional<LimitHit> hit = ceiling.refusal(facts.counters().getOrDefault(ceiling.scope(), Counter.ZERO), now);
            if (hit.isPresent()) {
                return new Decision.Refuse(hit.get());
            }
        }
        Map<String, TokenBucket.State> taken = new LinkedHashMap<>();
        for (Bucket bucket : buckets) {
            switch (TokenBucket.take(facts.buckets().get(bucket.key()), bucket.capacity(), bucket.period(), now)) {
                case TokenBucket.Take.Taken t -> taken.put(bucket.key(), t.state());
                case TokenBucket.Take.Wait w -> {
                    return new Decision.Refuse(new LimitHit(ErrorCode.RATE_LIMITED, bucket.limit(), bucket.scope(),
                            bucket.scope() + " may submit " + bucket.capacity() + " requests per " + describe(bucket.period()) + "; retry in "
                                    + w.after().toMillis() + " ms", Optional.of(w.after())));
                }
            }
        }
        return new Decision.Admit(taken);
    }

    private Optional<LimitHit> cooling(Health health, Instant now) {
        if (cooldown == null || health == null || health.failures() < cooldown.failures()) {
            return Optional.empty();
        }
        Instant until = health.lastFailureAt().plus(cooldown.duration());
        if (!now.isBefore(until)) {
            return Optional.empty();
        }
        return Optional.of(new LimitHit(ErrorCode.RATE_LIMITED, "failure_cooldown", "account " + cooldown.accountId(),
                "the last " + health.failures() + " jobs of account " + cooldown.accountId() + " failed upstream; new jobs are refused until "
                        + until + " so a failing provider is not hammered", Optional.of(Duration.between(now, until))));
    }

    private static String describe(Duration period) {
        return period.equals(Duration.ofMinutes(1)) ? "minute" : period.toMillis() + " ms";
    }
}
