package dev.mainstay.usage;

import dev.mainstay.job.Usage;
import java.time.Instant;
import java.util.List;

/**
 * What one model call cost. Recorded once in the usage ledger (keyed by {@code id}), added to
 * every counter in {@code scopes}, and releasing the call's reservation when it had one.
 *
 * <p>Its {@link Basis} says where the counts come from: the provider's report, Mainstay's
 * estimate when that report was unusable ({@link BilledTokens}), or, for a call whose answer was
 * never recorded (its node died mid-call, or its reservation ran out first), the estimate stored
 * with its reservation ({@link dev.mainstay.store.LedgerStore#reserve}): the provider may well have
 * billed it. Both charges of one call carry the same {@code id}, fixed when the budget was
 * reserved, so the call is in the ledger once whichever arrives first; a provider's answer that
 * arrives after the unknown-outcome estimate replaces it.
 *
 * @param reservationId the reservation taken before this call, or {@code null} for a call made
 *     without one
 * @param scopes the counters the spend is added to (see {@link dev.mainstay.limits.Scope})
 * @param basis whether the counts are the provider's, Mainstay's estimate of an answered call
 *     (see {@link BilledTokens}), or the reservation's estimate of a call whose outcome is unknown
 * @param note for a charge not {@link Basis#REPORTED}, why and what was charged instead; {@code null} otherwise
 */
public record Charge(
        String id,
        String reservationId,
        String accountId,
        String jobId,
        String workflow,
        String stageId,
        String provider,
        String model,
        long inputTokens,
        long cachedInputTokens,
        long outputTokens,
        long costMicros,
        Instant at,
        List<CounterScope> scopes,
        Basis basis,
        String note) {

    /** Where a charge's token counts come from. */
    public enum Basis {
        /** The provider's own usage report. */
        REPORTED,
        /** Mainstay's estimate, because the provider's report was missing or not believable. */
        ESTIMATED,
        /**
         * The estimate stored with the call's reservation, because the call's answer was never
         * recorded: it was in flight when its node died, or its reservation ran out first.
         */
        UNKNOWN_OUTCOME;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Charge {
        scopes = List.copyOf(scopes);
        if (inputTokens < 0 || cachedInputTokens < 0 || outputTokens < 0 || costMicros < 0) {
            throw new IllegalArgumentException("a charge is never negative: input " + inputTokens + ", cached " + cachedInputTokens
                    + ", output " + outputTokens + ", cost " + costMicros + " micro-USD for job " + jobId + ". Indicates a bug.");
        }
        if (basis == null) {
            basis = Basis.REPORTED;
        }
    }

    /** A charge of the provider's reported usage. */
    public Charge(String id, String reservationId, String accountId, String jobId, String workflow, String stageId, String provider, String model,
                  long inputTokens, long cachedInputTokens, long outputTokens, long costMicros, Instant at, List<CounterScope> scopes) {
        this(id, reservationId, accountId, jobId, workflow, stageId, provider, model, inputTokens, cachedInputTokens, outputTokens, costMicros, at, scopes,
                Basis.REPORTED, null);
    }

    /** Whether the call's answer was never recorded, so that this charge is its reservation's estimate. */
    public boolean unknownOutcome() {
        return basis == Basis.UNKNOWN_OUTCOME;
    }

    /** A counter to add this charge to, and in which unit. */
    public record CounterScope(String scope, dev.mainstay.limits.Hold.Unit unit) {
    }

    public long tokens() {
        return inputTokens + outputTokens;
    }

    /** The amount this charge adds to a counter of {@code unit}. */
    public long amount(dev.mainstay.limits.Hold.Unit unit) {
        return switch (unit) {
            case MICRO_USD -> costMicros;
            case TOKENS -> tokens();
        };
    }

    public Usage usage() {
        return new Usage(inputTokens, outputTokens, costMicros);
    }

    public static Usage total(List<Charge> charges) {
        Usage u = Usage.ZERO;
        for (Charge c : charges) {
            u = u.plus(c.usage());
        }
        return u;
    }
}
