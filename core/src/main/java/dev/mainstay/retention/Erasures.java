package dev.mainstay.retention;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.Erasure;
import dev.mainstay.store.ErasureScope;
import dev.mainstay.store.ErasureStore.Erased;
import dev.mainstay.store.ErasureStore.JobRef;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.Store;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erasure on request: one job, an account's jobs, or the jobs of one subject. Jobs still in flight
 * are cancelled first (a worker that still holds one finds its next write refused), then every
 * job in scope loses its payloads in bounded batches, and the erasure is audited with its scope
 * and counts: a subject only by its digest. Asking again for the same scope answers the same
 * erasure and erases what has come into the scope since.
 */
public final class Erasures {
    private static final Logger LOG = LoggerFactory.getLogger(Erasures.class);
    private static final Set<JobStatus> ACTIVE = EnumSet.of(JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.WAITING_FOR_TOOL,
            JobStatus.WAITING_FOR_REVIEW, JobStatus.RETRYING);
    /** Jobs per transaction: small enough that submits interleave with a large erasure. */
    static final int BATCH = 100;

    private final Store store;
    private final Clock clock;
    private final Canceller canceller;
    private final java.util.function.Consumer<Erasure> journal;
    private final SubjectDigest digests;

    /**
     * How an erasure cancels a job still in flight: on a node, the engine's cancel, which also
     * stops the worker running it; from the command line, {@link #storeCanceller}.
     */
    @FunctionalInterface
    public interface Canceller {
        /** Cancels {@code job} for {@code actor}; false when it finished on its own meanwhile. */
        boolean cancel(JobRef job, String actor, String erasureId);
    }

    /**
     * A canceller that writes the cancellation to the store alone: a worker elsewhere that still
     * runs the job finds its next write refused and stops there.
     */
    public static Canceller storeCanceller(Store store, Clock clock) {
        return (job, actor, erasureId) -> {
            Instant at = clock.instant();
            boolean applied = store.apply(JobTransition.to(job.jobId(), JobStatus.CANCELLED, at)
                    .from(ACTIVE)
                    .error(JobError.of(ErrorCode.CANCELLED, "cancelled to be erased by erasure " + erasureId))
                    .event("cancelled", null)
                    .audit(new AuditEvent(at, actor, AuditAction.JOB_CANCELLED, job.accountId(), job.jobId(), Json.object().put("erasure", erasureId)))
                    .build());
            if (applied) {
                store.closeReviews(job.jobId(), "system:erasure", at);
            }
            return applied;
        };
    }

    public Erasures(Store store, Clock clock, Canceller canceller) {
        this(store, clock, canceller, erasure -> { });
    }

    /**
     * @param journal told every erasure once it is done, to keep it where a restored backup cannot
     *     lose it (the node's erasure log), so it can be applied again
     */
    public Erasures(Store store, Clock clock, Canceller canceller, java.util.function.Consumer<Erasure> journal) {
        this.store = store;
        this.clock = clock;
        this.canceller = canceller;
        this.journal = journal;
        this.digests = new SubjectDigest(store.subjectKey());
    }

    /** The digests subjects are indexed and erased by, with this database's key. */
    public SubjectDigest digests() {
        return digests;
    }

    /** The scope of an erasure by subject value: by its digest, the value itself is not kept. */
    public ErasureScope subject(String value) {
        return new ErasureScope.Subject(digests.of(value));
    }

    /** Rewrites the tables that held the erased content so none of its bytes stay in their files (see {@link Store#rewrite()}). */
    public void rewrite() {
        store.rewrite();
    }

    /** The erasure with this id. */
    public Optional<Erasure> erasure(String id) {
        return store.erasure(id);
    }

    /**
     * Erases {@code scope} now, on behalf of {@code actor}, and returns the erasure with its counts
     * (the first request's counts plus whatever this one found anew).
     */
    public Erasure erase(ErasureScope scope, String actor) {
        Erasure erasure = store.startErasure(new Erasure(Erasure.idOf(scope), scope, actor, clock.instant(), null, 0, 0, 0, 0));
        // Journaled before any job is touched: a backup restored after a crash mid-erasure still gets it again.
        journal.accept(erasure);
        return run(erasure, actor, erasure.completedAt() != null, false);
    }

    /**
     * Completes every erasure that a process stopped before it finished (killed, or the machine
     * went down): it erases what is left, gives the space back and is audited then, once. Called
     * at start, before any job runs.
     *
     * @return the erasures completed
     */
    public java.util.List<Erasure> resume() {
        java.util.List<Erasure> done = new java.util.ArrayList<>();
        for (Erasure e : store.erasures()) {
            if (e.completedAt() == null) {
                LOG.info("erasure {} of a {} scope did not finish ({} job(s) erased before it stopped); finishing it", e.id(), e.scope().kind(), e.jobs());
                done.add(run(e, e.requestedBy(), false, true));
            }
        }
        return done;
    }

    /**
     * One run of {@code erasure}: cancels its jobs in flight, erases its finished jobs in batches of
     * {@link #BATCH} (each one transaction that also adds to the erasure's counts, so submits take
     * turns with it and a crash loses no count), gives the space back, and only then marks it
     * complete and audits it: complete means the bytes are gone from the files.
     */
    private Erasure run(Erasure erasure, String actor, boolean again, boolean resumed) {
        ErasureScope scope = erasure.scope();
        long cancelledJobs = cancelInFlight(erasure, actor);
        long jobs = 0;
        while (true) {
            long started = System.nanoTime();
            long batch = store.eraseJobs(erasure.id(), scope, clock.instant(), BATCH).jobs();
            jobs += batch;
            if (batch == 0) {
                break;
            }
            if (!Pace.after(started)) {
                // Stopping: what is left is erased when the erasure is resumed at the next start.
                return erasure;
            }
        }
        if (jobs > 0 || cancelledJobs > 0 || resumed) {
            // A resumed erasure may have erased everything before it stopped, but not reclaimed it.
            store.reclaim(true);
        }
        // The erasure's counts, whichever run of it erased what: a resumed run adds to those of the run that stopped.
        Erasure counted = store.erasure(erasure.id()).orElseThrow(() -> new dev.mainstay.store.StoreException("erasure " + erasure.id()
                + " vanished while it ran. Indicates a bug."));
        var details = Json.object().put("erasure", erasure.id()).put("scope", scope.kind()).put(scope.kind().equals("subject") ? "subject_digest" : scope.kind(), scope.target())
                .put("jobs", counted.jobs()).put("rows", counted.rows()).put("characters", counted.characters()).put("cancelled", counted.cancelled())
                .put("again", again).put("resumed", resumed);
        String account = scope instanceof ErasureScope.Account a ? a.accountId() : null;
        Erasure done = store.finishErasure(erasure.id(), Erased.NONE, 0, clock.instant(),
                new AuditEvent(clock.instant(), actor, AuditAction.DATA_ERASED, account, erasure.id(), details));
        if (jobs > 0 || cancelledJobs > 0) {
            // Counts and the scope's kind only: a subject digest is not logged either, it would tie the log to the request.
            LOG.info("erasure {} of a {} scope by {}: {} job(s) this time, {} in all, {} row(s), {} character(s), {} cancelled first", done.id(), scope.kind(), actor,
                    jobs, done.jobs(), done.rows(), done.characters(), done.cancelled());
        }
        return done;
    }

    private long cancelInFlight(Erasure erasure, String actor) {
        long count = 0;
        // A job that neither cancels nor finishes (its cancel refused again and again) is left to
        // the next request for the same scope rather than holding this one forever.
        for (int idle = 0; idle < 3; ) {
            var inFlight = store.unfinishedJobs(erasure.scope(), BATCH);
            if (inFlight.isEmpty()) {
                return count;
            }
            long before = count;
            for (JobRef job : inFlight) {
                if (canceller.cancel(job, actor, erasure.id())) {
                    count++;
                }
            }
            if (count > before) {
                store.countCancelled(erasure.id(), count - before);
            }
            idle = count == before ? idle + 1 : 0;
        }
        LOG.warn("erasure {}: some jobs in scope could neither be cancelled nor finished; asking again erases them once they finish", erasure.id());
        return count;
    }
}
