package dev.mainstay.store;

import dev.mainstay.job.Job;
import dev.mainstay.limits.AccountLimits;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** How nodes take jobs to run: claims, the leases that keep them, and wake-ups when work is due. */
public interface ClaimStore {
    /**
     * Leases up to {@code max} runnable jobs to {@code owner} until {@code leaseUntil}: queued or
     * retrying jobs that are due, and jobs whose previous lease expired before {@code now}. Claimed
     * jobs are {@code processing}. Claims are fair across accounts (each account with due jobs
     * gets its share of the batch first, then priority, then age decide), and never lease more of
     * one account's jobs than its {@code max_concurrent_jobs} allows running at once: the one an
     * operator set on the account, else the one in {@code defaults}.
     */
    List<Job> claim(String owner, int max, Instant now, Instant leaseUntil, AccountLimits defaults);

    /** A claim where only the limits operators set on accounts apply. */
    default List<Job> claim(String owner, int max, Instant now, Instant leaseUntil) {
        return claim(owner, max, now, leaseUntil, AccountLimits.NONE);
    }

    /** Extends the leases {@code owner} still holds on {@code jobIds}; returns how many it holds. */
    int extendLeases(String owner, Collection<String> jobIds, Instant leaseUntil);

    /** Hands every job leased by {@code owner} back to the queue (graceful shutdown). */
    int releaseLeases(String owner, Instant now);

    /**
     * Takes back, at once, what an earlier run of this node left when it stopped without handing
     * its work back (SIGKILL, power loss), instead of waiting for its leases to expire: its leased
     * jobs go back to the queue, due at {@code now}, each with a {@code requeued} event; the
     * reservations of their calls in flight are settled at their estimates as unknown outcomes
     * (see {@link LedgerStore#reserve}). Called once, when the node starts, before it claims anything.
     *
     * <p>Which leases were an earlier run's depends on the store. A store that only one process
     * can open at a time (SQLite) knows that every lease it found when it was opened is an orphan,
     * whatever its owner. A store shared by several nodes (PostgreSQL) takes back only the leases
     * held under {@code node}: a name that stays the same from one run of the node to the next and
     * that no other running node uses. Other nodes' leases expire as before.
     */
    Recovered recoverLeases(String node, Instant now);

    /** What {@link #recoverLeases} took back: jobs requeued and calls in flight charged at their estimates. */
    record Recovered(int jobs, int unknownOutcomes) {
    }

    /** When the earliest waiting job becomes due, if any is waiting. */
    Optional<Instant> nextDueAt();

    /**
     * Registers {@code wake} to run when work may have become claimable: a job was submitted, or
     * put back in the queue, or given a new time to run. A store shared by several nodes reports
     * their writes too (PostgreSQL: {@code LISTEN/NOTIFY}), and also runs {@code wake} once after a
     * lost connection to the database is back, since news may have been missed meanwhile.
     *
     * <p>A hint, never a promise: wake-ups can be lost or come without new work, so the dispatcher
     * still polls. {@code wake} may run on any thread (the store's own, or the one whose write made
     * the work due); it must return quickly and must not call the store. The default registers
     * nothing, for stores that have nothing to report.
     */
    default void onWork(Runnable wake) {
    }
}
