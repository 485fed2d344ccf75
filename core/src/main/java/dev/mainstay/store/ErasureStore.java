package dev.mainstay.store;

import dev.mainstay.audit.AuditEvent;
import dev.mainstay.store.RetentionStore.Removed;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Erasure on request and the cut of the audit log: finds the jobs of a scope by index (a subject
 * by its digest, never by reading payloads), removes their payloads in bounded batches, and
 * records each erasure so that asking again finds the same one.
 */
public interface ErasureStore {
    /**
     * The key subject digests are made with: 32 random bytes made once per database, so every node
     * and the command line digest a subject alike, and a restored backup keeps the key of its digests.
     */
    byte[] subjectKey();

    /**
     * Records {@code erasure} unless one with its id is on record, and marks it running (not
     * complete) until {@link #finishErasure} says otherwise; answers the erasure as it was on record
     * before this call ({@code completedAt} set when it had run to the end before).
     */
    Erasure startErasure(Erasure erasure);

    /** The erasure with this id. */
    Optional<Erasure> erasure(String id);

    /** Every erasure on record, oldest first. */
    List<Erasure> erasures();

    /** At most {@code max} jobs in {@code scope} not finished yet, with their accounts: erasure cancels them first. */
    List<JobRef> unfinishedJobs(ErasureScope scope, int max);

    /**
     * Erases at most {@code max} finished jobs in {@code scope} not erased yet: their input (unless a
     * job outside the erasure shares it), result, stage outputs and errors, event data, tool bodies,
     * review proposals and notes, cached results made from them, webhook payloads about them, eval
     * case results and their subject index. The job rows keep their metadata, marked erased at {@code now}.
     *
     * @return how many jobs, and the rows and characters removed
     */
    Erased eraseJobs(ErasureScope scope, Instant now, int max);

    /**
     * {@link #eraseJobs(ErasureScope, Instant, int)} for the erasure {@code erasureId}, adding what
     * the batch erased to its counts in the same transaction: the counts stay right whenever the
     * process stops, and a resumed erasure counts only what it erases itself.
     */
    Erased eraseJobs(String erasureId, ErasureScope scope, Instant now, int max);

    /** Adds {@code cancelled} jobs to the erasure's count of jobs cancelled before they were erased. */
    void countCancelled(String erasureId, long cancelled);

    /** Adds {@code erased} to the erasure's counts, marks it complete at {@code now} and appends {@code audit}, in one transaction. */
    Erasure finishErasure(String id, Erased erased, long cancelled, Instant now, AuditEvent audit);

    /**
     * Cuts the audit log: removes the records written before {@code before}, keeps the head hash at
     * the cut as a checkpoint, and appends the event {@code cut} makes of the checkpoint, all in one
     * transaction, so the chain verifies from the checkpoint on.
     *
     * @return the checkpoint made, or empty when no record was old enough
     */
    Optional<AuditCheckpoint> cutAudit(Instant before, java.util.function.Function<AuditCheckpoint, AuditEvent> cut);

    /**
     * Gives the space of deleted rows back: SQLite frees their pages (incremental vacuum);
     * PostgreSQL leaves it to autovacuum. After an erasure ({@code erased}) it also makes sure the
     * old bytes leave the files now: SQLite truncates its write-ahead log (deleted content is
     * already zeroed, {@code secure_delete}); PostgreSQL runs a plain VACUUM of the tables erasure
     * touches, which prunes the erased rows' dead versions without blocking reads or writes.
     */
    void reclaim(boolean erased);

    /**
     * Rewrites the tables that hold job content so that no byte of a removed row is left in their
     * files: PostgreSQL's plain VACUUM makes a dead row's space reusable but leaves its bytes in the
     * page until something overwrites them, so this runs {@code VACUUM FULL}, which locks each table
     * against reads and writes while it is copied. SQLite needs nothing more than
     * {@link #reclaim(boolean) reclaim(true)}, which this then is.
     */
    void rewrite();

    /** A job and its account. */
    record JobRef(String jobId, String accountId) {
    }

    /** What one erasure batch removed. */
    record Erased(long jobs, Removed removed) {
        public static final Erased NONE = new Erased(0, Removed.NONE);

        public Erased plus(Erased other) {
            return new Erased(jobs + other.jobs, removed.plus(other.removed));
        }
    }

    /**
     * The chain's head at a cut: the records up to {@code throughSeq} are gone, and the record after
     * it links to {@code headHash}.
     */
    record AuditCheckpoint(long throughSeq, String headHash, long removed, Instant at) {
    }
}
