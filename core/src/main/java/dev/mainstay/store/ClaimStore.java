package dev.mainstay.store;

import dev.mainstay.job.Job;
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
     * one account's jobs than its {@code max_concurrent_jobs} allows running at once.
     */
    List<Job> claim(String owner, int max, Instant now, Instant leaseUntil);

    /** Extends the leases {@code owner} still holds on {@code jobIds}; returns how many it holds. */
    int extendLeases(String owner, Collection<String> jobIds, Instant leaseUntil);

    /** Hands every job leased by {@code owner} back to the queue (graceful shutdown). */
    int releaseLeases(String owner, Instant now);

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
