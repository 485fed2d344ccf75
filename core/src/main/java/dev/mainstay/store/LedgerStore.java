package dev.mainstay.store;

import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Counter;
import dev.mainstay.limits.Reservation;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.UsageQuery;
import java.time.Instant;
import java.util.List;

/**
 * Limits and the money behind them: the limits an operator set, budget reservations held before
 * model calls, the usage ledger their charges settle into, and the counters both keep. Which
 * holds fit is decided by {@link Reservation#decide}; a store reads the counters it needs under
 * its locks and writes back what was decided.
 */
public interface LedgerStore {
    /** The limits an operator set on the account ({@link AccountLimits#NONE} when none). */
    AccountLimits limits(String accountId);

    /** Replaces the account's limits, recording who changed them. */
    void setLimits(String accountId, AccountLimits limits, String actor, Instant at);

    /**
     * Records, durably and before a model call is made, that the call is in flight, and holds its
     * budget: in one transaction, either every hold fits its scope ({@code spent + reserved +
     * amount <= max}) and all are taken with the reservation recorded, or none is and nothing is
     * recorded. A reservation without holds (no limit applies) is always granted.
     *
     * @param estimate what the call is charged if its answer is never recorded: an
     *     {@link Charge#unknownOutcome() unknown-outcome} charge of this reservation, whose id is the
     *     id the call's own charge will carry
     */
    Reservation.Outcome reserve(Reservation reservation, Charge estimate);

    /**
     * Records model calls outside a job transition (see {@link JobTransition#charges()}): each
     * once, however often it is sent, settling its reservation if it had one. A charge whose call
     * was already charged at its estimate as an unknown outcome replaces that estimate.
     */
    void charge(List<Charge> charges);

    /**
     * Settles the reservations that expired before {@code now} unsettled, the calls of a node that
     * died: each is charged at its estimate as an unknown outcome (the provider may have billed the
     * call), its holds released. Returns how many.
     */
    int expireReservations(Instant now);

    /** A budget counter, {@link Counter#ZERO} if nothing was spent or held under it. */
    Counter counter(String scope);

    /** Totals from the usage ledger. */
    List<UsageQuery.Row> usage(UsageQuery query);
}
