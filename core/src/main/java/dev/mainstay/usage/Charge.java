package dev.mainstay.usage;

import dev.mainstay.job.Usage;
import java.time.Instant;
import java.util.List;

/**
 * What one model call cost, as the provider reported it. Recorded once in the usage ledger
 * (keyed by {@code id}), added to every counter in {@code scopes}, and releasing the call's
 * reservation when it had one.
 *
 * <p>A call whose answer was never recorded (its node died mid-call, or its reservation ran out
 * first) is charged at its reservation's {@link dev.mainstay.limits.Reservation#estimate estimate}
 * with {@code unknownOutcome} set: the provider may well have billed it. Both charges of one call
 * carry the same {@code id}, fixed when the budget was reserved, so the call is in the ledger once
 * whichever arrives first; a provider's answer that arrives after the estimate replaces it.
 *
 * @param reservationId the reservation taken before this call, or {@code null} for a call made
 *     without one
 * @param scopes the counters the spend is added to (see {@link dev.mainstay.limits.Scope})
 * @param unknownOutcome the call's answer was never recorded; the amounts are the estimate
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
        boolean unknownOutcome) {

    public Charge {
        scopes = List.copyOf(scopes);
        if (inputTokens < 0 || cachedInputTokens < 0 || outputTokens < 0 || costMicros < 0) {
            throw new IllegalArgumentException("a charge is never negative");
        }
    }

    /** A charge as the provider reported it. */
    public Charge(String id, String reservationId, String accountId, String jobId, String workflow, String stageId, String provider, String model,
                  long inputTokens, long cachedInputTokens, long outputTokens, long costMicros, Instant at, List<CounterScope> scopes) {
        this(id, reservationId, accountId, jobId, workflow, stageId, provider, model, inputTokens, cachedInputTokens, outputTokens, costMicros, at, scopes, false);
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
