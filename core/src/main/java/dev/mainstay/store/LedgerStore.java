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
     * Holds budget for one model call: in one transaction, either every hold fits its scope
     * ({@code spent + reserved + amount <= max}) and all are taken, or none is.
     */
    Reservation.Outcome reserve(Reservation reservation);

    /**
     * Records model calls outside a job transition (see {@link JobTransition#charges()}): each
     * once, however often it is sent, settling its reservation if it had one.
     */
    void charge(List<Charge> charges);

    /** Gives up the holds of reservations that expired before {@code now} unsettled; returns how many. */
    int expireReservations(Instant now);

    /** A budget counter, {@link Counter#ZERO} if nothing was spent or held under it. */
    Counter counter(String scope);

    /** Totals from the usage ledger. */
    List<UsageQuery.Row> usage(UsageQuery query);
}
