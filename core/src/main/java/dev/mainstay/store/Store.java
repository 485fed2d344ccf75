package dev.mainstay.store;

import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobTransition;
import dev.mainstay.job.NewJob;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.SubmitOutcome;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Admission;
import dev.mainstay.limits.Counter;
import dev.mainstay.limits.Reservation;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.UsageQuery;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Everything Mainstay keeps durably. Implementations (SQLite, PostgreSQL) pass the same contract
 * suite; the engine relies on the guarantees written on each method, nothing more.
 *
 * <p>Writes are durable when the method returns. Implementations are expected to batch concurrent
 * writes into shared transactions (group commit); callers simply block until theirs is committed.
 */
public interface Store extends AutoCloseable {

    // ---- workflows ------------------------------------------------------------------------

    /**
     * Records a workflow version unless one with that name and version exists.
     *
     * @return the content hash on record: {@code contentHash} if it was inserted now, or the hash of
     *     the version registered earlier, which the caller compares
     */
    String registerWorkflowVersion(String name, int version, String contentHash, String definition, Instant at);

    /** The stored definition document of a workflow version. */
    Optional<String> workflowDefinition(String name, int version);

    // ---- accounts and keys -----------------------------------------------------------------

    void createAccount(Account account);

    Optional<Account> account(String id);

    /** Inserts the key; returns false when a key with that hash already exists. */
    boolean addApiKey(ApiKey key);

    /** The caller behind a key that is not revoked. Expiry is not checked: see {@link #apiKeyByHash}. */
    Optional<Principal> principalForKeyHash(String keyHash);

    /** The key with this hash, whatever its state (revoked and expired keys too). */
    Optional<ApiKey> apiKeyByHash(String keyHash);

    /** One account's keys, oldest first, revoked ones included. */
    List<ApiKey> apiKeys(String accountId);

    /**
     * Revokes one of the account's keys at {@code at}; revoking a revoked key keeps its first
     * revocation time. Empty when the account has no key {@code keyId}.
     */
    Optional<ApiKey> revokeApiKey(String accountId, String keyId, Instant at);

    // ---- jobs ------------------------------------------------------------------------------

    /**
     * Makes a job durable. With an idempotency key, at most one job ever exists per (account,
     * key), however many submits race: the losers get {@link SubmitOutcome.Existing} when their
     * request hash matches and {@link SubmitOutcome.Conflict} when it does not.
     */
    SubmitOutcome submit(NewJob job, Admission admission);

    /** A submit without limits. */
    default SubmitOutcome submit(NewJob job) {
        return submit(job, Admission.NONE);
    }

    Optional<Job> job(String id);

    /** Jobs of one account, newest first. */
    JobPage jobs(JobQuery query);

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
     * (see {@link #reserve}). Called once, when the node starts, before it claims anything.
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

    /** Applies the transition atomically; false if the job was not in a state it applies to. */
    boolean apply(JobTransition transition);

    List<StageRun> stages(String jobId);

    /**
     * The newest job of this workflow version and input hash that completed with a full result:
     * what the {@code cached} fallback rung serves.
     */
    Optional<Job> lastGoodJob(String workflow, int version, String inputHash);

    List<JobEvent> events(String jobId, long afterSeq, int limit);

    // ---- result cache ----------------------------------------------------------------------

    /** A cached stage output that has not expired at {@code now}. */
    Optional<CachedOutput> cachedOutput(String key, Instant now);

    /** Stores (or replaces) a stage output under {@code key} until {@code expiresAt}. */
    void cacheOutput(String key, String workflow, CachedOutput output, Instant now, Instant expiresAt);

    /** A stage output kept in the result cache, with how it was made and by which job. */
    record CachedOutput(JsonNode output, dev.mainstay.job.Provenance provenance, String sourceJob) {
    }

    // ---- reviews ---------------------------------------------------------------------------

    Optional<Review> review(String id);

    /** One account's reviews, newest first, at most {@code query.limit()}. */
    List<Review> reviews(ReviewQuery query);

    /** Pending reviews whose expiry has passed, oldest first. */
    List<Review> expiredReviews(Instant now, int max);

    /**
     * Records a decision on a pending review and applies {@code job} in the same transaction.
     *
     * @return false (and nothing changed) when the review was no longer pending
     * @throws StoreException when the job transition no longer applies; nothing is changed then either
     */
    boolean decideReview(String reviewId, Review.Status outcome, JsonNode output, String reviewer, String note, Instant at, JobTransition job);

    /** Closes a cancelled job's pending reviews as rejected by {@code reviewer}; returns how many. */
    int closeReviews(String jobId, String reviewer, Instant at);

    // ---- tool calls ----------------------------------------------------------------------------

    /** The recorded effect of a job's tool stage, if any. */
    Optional<dev.mainstay.tool.ToolCall> toolCall(String jobId, String stageId);

    /** Records (or replaces) the state of a job's tool stage call, durably, before the method returns. */
    void recordToolCall(dev.mainstay.tool.ToolCall call);

    // ---- audit ---------------------------------------------------------------------------------

    /**
     * Appends events to the hash-chained audit log, durably and in order. Events that belong to a
     * job travel with it instead ({@link NewJob#audit()}, {@link JobTransition#audit()}); the
     * stores add the events a transition stands for ({@link dev.mainstay.audit.AuditTrail}).
     */
    void audit(List<dev.mainstay.audit.AuditEvent> events);

    /** Audit records matching the query, oldest first. */
    List<dev.mainstay.audit.AuditRecord> auditLog(dev.mainstay.audit.AuditQuery query);

    /** Walks the whole chain and reports the first broken link, if any. */
    dev.mainstay.audit.AuditCheck verifyAudit();

    // ---- limits, budgets and usage ------------------------------------------------------------

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

    /** Jobs not yet terminal, for one account or (with {@code null}) all of them. */
    long countUnfinished(String accountId);

    /** When the earliest waiting job becomes due, if any is waiting. */
    Optional<Instant> nextDueAt();

    /** Commits performed since start; the group-commit ratio is commits per job. */
    long commitCount();

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

    @Override
    void close();
}
