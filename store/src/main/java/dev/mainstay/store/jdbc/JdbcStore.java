package dev.mainstay.store.jdbc;

import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import dev.mainstay.audit.AuditCheck;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import dev.mainstay.job.EventCursor;
import dev.mainstay.job.FeedEvent;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.StageRun;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Admission;
import dev.mainstay.limits.Counter;
import dev.mainstay.limits.Reservation;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import dev.mainstay.store.DriftSample;
import dev.mainstay.store.EvalRun;
import dev.mainstay.store.ShadowRun;
import dev.mainstay.store.EvalRunCase;
import dev.mainstay.store.StoredEvalCase;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.NewJob;
import dev.mainstay.stats.JobFact;
import dev.mainstay.stats.QueueSnapshot;
import dev.mainstay.stats.StageFact;
import dev.mainstay.stats.StatsQuery;
import dev.mainstay.store.Store;
import dev.mainstay.store.SubmitOutcome;
import dev.mainstay.tool.ToolCall;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.UsageQuery;
import dev.mainstay.webhook.AttemptResult;
import dev.mainstay.webhook.Delivery;
import dev.mainstay.webhook.DeliveryQuery;
import dev.mainstay.webhook.DueDelivery;
import dev.mainstay.webhook.WebhookEndpoint;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * The store on a SQL database: each feature's one JDBC implementation, wired over a
 * {@link Dialect}. A dialect's store ({@code SqliteStore}, {@code PostgresStore}) extends this
 * class with how it is opened.
 */
public class JdbcStore implements Store {
    private final Dialect dialect;
    private final JdbcWorkflowVersions workflows;
    private final JdbcAccounts accounts;
    private final JdbcJobs jobs;
    private final JdbcClaims claims;
    private final JdbcReviews reviews;
    private final JdbcToolCalls toolCalls;
    private final JdbcResultCache cache;
    private final JdbcAudit audit;
    private final JdbcLedger ledger;
    private final JdbcStats stats;
    private final JdbcEventFeed feed;
    private final JdbcWebhooks webhooks;
    private final JdbcInbound inbound;
    private final JdbcEvalRuns evalRuns;
    private final JdbcLiveEvals liveEvals;
    private final JdbcRetention retention;
    private final JdbcWorkflowActivations activations;
    private final JdbcEvalCases evalCases;
    private final JdbcErasure erasure;
    private final JdbcRefusals refusals;

    protected JdbcStore(Dialect dialect) {
        this.dialect = dialect;
        Sql sql = new Sql(dialect);
        this.ledger = new JdbcLedger(sql, dialect);
        this.webhooks = new JdbcWebhooks(sql, dialect);
        this.liveEvals = new JdbcLiveEvals(sql);
        Transitions transitions = new Transitions(sql, dialect, ledger, webhooks, liveEvals);
        this.workflows = new JdbcWorkflowVersions(sql);
        this.accounts = new JdbcAccounts(sql);
        this.jobs = new JdbcJobs(sql, dialect, ledger, transitions);
        this.claims = new JdbcClaims(sql, dialect, ledger);
        this.reviews = new JdbcReviews(sql, transitions);
        this.toolCalls = new JdbcToolCalls(sql);
        this.cache = new JdbcResultCache(sql);
        this.audit = new JdbcAudit(sql);
        this.stats = new JdbcStats(sql, new JdbcStatsFold(sql, dialect));
        this.feed = new JdbcEventFeed(sql, dialect);
        this.inbound = new JdbcInbound(sql, transitions);
        this.evalRuns = new JdbcEvalRuns(sql);
        this.retention = new JdbcRetention(sql, dialect);
        this.activations = new JdbcWorkflowActivations(sql);
        this.evalCases = new JdbcEvalCases(sql);
        this.erasure = new JdbcErasure(sql, dialect);
        this.refusals = new JdbcRefusals(sql);
    }

    // ---- the event feed ------------------------------------------------------------------------
    @Override public FeedPage feed(EventCursor after, String accountId, int limit) { return feed.feed(after, accountId, limit); }
    @Override public List<FeedEvent> jobFeed(String jobId, long afterSeq, int limit) { return feed.jobFeed(jobId, afterSeq, limit); }
    @Override public EventCursor feedHead() { return feed.feedHead(); }
    @Override public void onEvents(Runnable wake) { feed.onEvents(wake); }

    // ---- workflow versions ---------------------------------------------------------------------
    @Override public String registerWorkflowVersion(String name, int version, String contentHash, String definition, Instant at) {
        return workflows.registerWorkflowVersion(name, version, contentHash, definition, at);
    }
    @Override public Optional<String> workflowDefinition(String name, int version) { return workflows.workflowDefinition(name, version); }

    // ---- accounts and keys ---------------------------------------------------------------------
    @Override public void createAccount(Account account) { accounts.createAccount(account); }
    @Override public Optional<Account> account(String id) { return accounts.account(id); }
    @Override public boolean addApiKey(ApiKey key) { return accounts.addApiKey(key); }
    @Override public Optional<Principal> principalForKeyHash(String keyHash) { return accounts.principalForKeyHash(keyHash); }
    @Override public Optional<ApiKey> apiKeyByHash(String keyHash) { return accounts.apiKeyByHash(keyHash); }
    @Override public List<ApiKey> apiKeys(String accountId) { return accounts.apiKeys(accountId); }
    @Override public Optional<ApiKey> revokeApiKey(String accountId, String keyId, Instant at) { return accounts.revokeApiKey(accountId, keyId, at); }

    // ---- jobs ----------------------------------------------------------------------------------
    @Override public SubmitOutcome submit(NewJob job, Admission admission) { return jobs.submit(job, admission); }
    @Override public boolean apply(JobTransition transition) { return jobs.apply(transition); }
    @Override public Optional<Job> job(String id) { return jobs.job(id); }
    @Override public JobPage jobs(JobQuery query) { return jobs.jobs(query); }
    @Override public List<StageRun> stages(String jobId) { return jobs.stages(jobId); }
    @Override public List<JobEvent> events(String jobId, long afterSeq, int limit) { return jobs.events(jobId, afterSeq, limit); }
    @Override public Optional<Job> lastGoodJob(String workflow, int version, String inputHash) { return jobs.lastGoodJob(workflow, version, inputHash); }
    @Override public long countUnfinished(String accountId) { return jobs.countUnfinished(accountId); }

    // ---- claims and leases ---------------------------------------------------------------------
    @Override public List<Job> claim(String owner, int max, Instant now, Instant leaseUntil, AccountLimits defaults) {
        return claims.claim(owner, max, now, leaseUntil, defaults);
    }
    @Override public int extendLeases(String owner, Collection<String> jobIds, Instant leaseUntil) { return claims.extendLeases(owner, jobIds, leaseUntil); }
    @Override public int releaseLeases(String owner, Instant now) { return claims.releaseLeases(owner, now); }
    @Override public Recovered recoverLeases(String node, Instant now) { return claims.recoverLeases(node, now); }
    @Override public Optional<Instant> nextDueAt() { return claims.nextDueAt(); }
    @Override public void onWork(Runnable wake) { claims.onWork(wake); }

    // ---- reviews -------------------------------------------------------------------------------
    @Override public Optional<Review> review(String id) { return reviews.review(id); }
    @Override public List<Review> reviews(ReviewQuery query) { return reviews.reviews(query); }
    @Override public List<Review> expiredReviews(Instant now, int max) { return reviews.expiredReviews(now, max); }
    @Override public boolean decideReview(String reviewId, Review.Status outcome, JsonNode output, String reviewer, String note, Instant at, JobTransition job) {
        return reviews.decideReview(reviewId, outcome, output, reviewer, note, at, job);
    }
    @Override public int closeReviews(String jobId, String reviewer, Instant at) { return reviews.closeReviews(jobId, reviewer, at); }

    // ---- tool calls, result cache, audit -------------------------------------------------------
    @Override public Optional<ToolCall> toolCall(String jobId, String stageId) { return toolCalls.toolCall(jobId, stageId); }
    @Override public void recordToolCall(ToolCall call) { toolCalls.recordToolCall(call); }
    @Override public Optional<CachedOutput> cachedOutput(String key, Instant now) { return cache.cachedOutput(key, now); }
    @Override public void cacheOutput(String key, String workflow, CachedOutput output, Instant now, Instant expiresAt) {
        cache.cacheOutput(key, workflow, output, now, expiresAt);
    }
    @Override public void audit(List<AuditEvent> events) { audit.audit(events); }
    @Override public List<AuditRecord> auditLog(AuditQuery query) { return audit.auditLog(query); }
    @Override public AuditCheck verifyAudit() { return audit.verifyAudit(); }

    // ---- limits, budgets and usage -------------------------------------------------------------
    @Override public AccountLimits limits(String accountId) { return ledger.limits(accountId); }
    @Override public void setLimits(String accountId, AccountLimits limits, String actor, Instant at) { ledger.setLimits(accountId, limits, actor, at); }
    @Override public Reservation.Outcome reserve(Reservation reservation, Charge estimate) { return ledger.reserve(reservation, estimate); }
    @Override public void charge(List<Charge> charges) { ledger.charge(charges); }
    @Override public int expireReservations(Instant now) { return ledger.expireReservations(now); }
    @Override public Counter counter(String scope) { return ledger.counter(scope); }
    @Override public List<UsageQuery.Row> usage(UsageQuery query) { return ledger.usage(query); }

    // ---- stats ---------------------------------------------------------------------------------
    @Override public QueueSnapshot queueSnapshot(Instant now) { return stats.queueSnapshot(now); }
    @Override public List<JobFact> jobFacts(StatsQuery query) { return stats.jobFacts(query); }
    @Override public List<StageFact> stageFacts(StatsQuery query) { return stats.stageFacts(query); }
    @Override public dev.mainstay.stats.Tally tally(StatsQuery query) { return stats.tally(query); }
    @Override public int foldStats(Instant now, int max) { return stats.foldStats(now, max); }
    // ---- webhooks out, events and callbacks in ------------------------------------------------
    @Override public void syncWorkflowEndpoint(WebhookEndpoint endpoint, DueDelivery.SealedSecret secret) { webhooks.syncWorkflowEndpoint(endpoint, secret); }
    @Override public void createEndpoint(WebhookEndpoint endpoint, DueDelivery.SealedSecret secret) { webhooks.createEndpoint(endpoint, secret); }
    @Override public Optional<WebhookEndpoint> endpoint(String accountId, String endpointId) { return webhooks.endpoint(accountId, endpointId); }
    @Override public List<WebhookEndpoint> endpoints(String accountId) { return webhooks.endpoints(accountId); }
    @Override public Optional<WebhookEndpoint> updateEndpoint(WebhookEndpoint endpoint) { return webhooks.updateEndpoint(endpoint); }
    @Override public boolean deleteEndpoint(String accountId, String endpointId) { return webhooks.deleteEndpoint(accountId, endpointId); }
    @Override public void rotateSecret(DueDelivery.SealedSecret secret, Instant at, Instant oldUntil) { webhooks.rotateSecret(secret, at, oldUntil); }
    @Override public List<DueDelivery.SealedSecret> secrets(String endpointId, Instant now) { return webhooks.secrets(endpointId, now); }
    @Override public Delivery enqueue(String endpointId, String messageId, String eventType, String payload, Instant at) {
        return webhooks.enqueue(endpointId, messageId, eventType, payload, at);
    }
    @Override public List<DueDelivery> claimDeliveries(String owner, int max, Instant now, Instant leaseUntil) { return webhooks.claimDeliveries(owner, max, now, leaseUntil); }
    @Override public boolean recordAttempt(String owner, AttemptResult result) { return webhooks.recordAttempt(owner, result); }
    @Override public List<Delivery> deliveries(DeliveryQuery query) { return webhooks.deliveries(query); }
    @Override public Optional<Delivery> delivery(String accountId, String deliveryId) { return webhooks.delivery(accountId, deliveryId); }
    @Override public List<Delivery.Attempt> attempts(String deliveryId) { return webhooks.attempts(deliveryId); }
    @Override public int replayDeliveries(String accountId, String endpointId, List<String> deliveryIds, Instant now) {
        return webhooks.replayDeliveries(accountId, endpointId, deliveryIds, now);
    }
    @Override public int recoverDeliveryLeases(String owner) { return webhooks.recoverDeliveryLeases(owner); }
    @Override public Optional<Instant> nextDeliveryAt() { return webhooks.nextDeliveryAt(); }
    @Override public Optional<String> inboundJob(String source, String webhookId) { return inbound.inboundJob(source, webhookId); }
    @Override public void recordInbound(String source, String webhookId, String eventType, String jobId, Instant at) {
        inbound.recordInbound(source, webhookId, eventType, jobId, at);
    }
    @Override public void saveCallbackToken(CallbackToken token) { inbound.saveCallbackToken(token); }
    @Override public Optional<CallbackToken> callbackToken(String tokenHash) { return inbound.callbackToken(tokenHash); }
    @Override public boolean useCallbackToken(String tokenHash, Instant at, JsonNode result, JobTransition job) { return inbound.useCallbackToken(tokenHash, at, result, job); }
    @Override public List<CallbackToken> expiredCallbacks(Instant now, int max) { return inbound.expiredCallbacks(now, max); }
    // ---- eval runs -----------------------------------------------------------------------------
    @Override public void createEvalRun(EvalRun run, List<String> caseIds) { evalRuns.createEvalRun(run, caseIds); }
    @Override public Optional<EvalRun> evalRun(String id) { return evalRuns.evalRun(id); }
    @Override public List<EvalRunCase> evalRunCases(String runId) { return evalRuns.evalRunCases(runId); }
    @Override public List<EvalRun> runningEvalRuns() { return evalRuns.runningEvalRuns(); }
    @Override public List<EvalRun> finishedEvalRuns(String workflow, int limit) { return evalRuns.finishedEvalRuns(workflow, limit); }
    @Override public void evalCaseSubmitted(String runId, String caseId, String jobId) { evalRuns.evalCaseSubmitted(runId, caseId, jobId); }
    @Override public boolean evalCaseScored(String runId, String caseId, JsonNode result) { return evalRuns.evalCaseScored(runId, caseId, result); }
    @Override public boolean finishEvalRun(String runId, JsonNode summary, Instant at) { return evalRuns.finishEvalRun(runId, summary, at); }

    // ---- workflow activation -------------------------------------------------------------------
    @Override public Map<String, WorkflowActivation> workflowActivations() { return activations.workflowActivations(); }
    @Override public WorkflowActivation firstActivation(String workflow, int version, Instant at, String by, AuditEvent audit) {
        return activations.firstActivation(workflow, version, at, by, audit);
    }
    @Override public boolean activateWorkflowVersion(String workflow, int version, Integer expectedActive, Instant at, String by, AuditEvent audit) {
        return activations.activateWorkflowVersion(workflow, version, expectedActive, at, by, audit);
    }
    @Override public boolean openActivationGate(ActivationGate gate) { return activations.openActivationGate(gate); }
    @Override public Optional<ActivationGate> activationGate(String workflow, int version) { return activations.activationGate(workflow, version); }
    @Override public List<ActivationGate> activationGates(String workflow) { return activations.activationGates(workflow); }
    @Override public List<ActivationGate> undecidedActivationGates() { return activations.undecidedActivationGates(); }
    @Override public boolean decideActivationGate(String workflow, int version, boolean activate, JsonNode detail, Instant at, AuditEvent audit) {
        return activations.decideActivationGate(workflow, version, activate, detail, at, audit);
    }
    // ---- live traffic evals: shadow runs and drift ---------------------------------------------
    @Override public List<ShadowRun> pendingShadowRuns(int limit) { return liveEvals.pendingShadowRuns(limit); }
    @Override public void shadowSubmitted(String liveJobId, String shadowJobId) { liveEvals.shadowSubmitted(liveJobId, shadowJobId); }
    @Override public boolean shadowScored(String liveJobId, JsonNode result, Instant at) { return liveEvals.shadowScored(liveJobId, result, at); }
    @Override public List<ShadowRun> shadowRuns(String workflow, Instant since, int limit) { return liveEvals.shadowRuns(workflow, since, limit); }
    @Override public List<DriftSample> driftSamples(String workflow, String excludedAccount, Instant from, Instant to, int limit) {
        return liveEvals.driftSamples(workflow, excludedAccount, from, to, limit);
    }
    @Override public List<EvalRunTally> evalRunTallies() { return evalRuns.evalRunTallies(); }
    // ---- stored eval cases ---------------------------------------------------------------------
    @Override public boolean addEvalCase(StoredEvalCase kase) { return evalCases.addEvalCase(kase); }
    @Override public List<StoredEvalCase> evalCases(String suite, String after, int limit) { return evalCases.evalCases(suite, after, limit); }
    @Override public Optional<StoredEvalCase> evalCase(String suite, String name) { return evalCases.evalCase(suite, name); }
    @Override public boolean deleteEvalCase(String suite, String id) { return evalCases.deleteEvalCase(suite, id); }
    // ---- admission refusals --------------------------------------------------------------------
    @Override public void addRefusals(List<dev.mainstay.limits.RefusalCount> counts) { refusals.addRefusals(counts); }
    @Override public List<dev.mainstay.limits.RefusalCount> refusals(String accountId, java.time.LocalDate from, java.time.LocalDate to) {
        return refusals.refusals(accountId, from, to);
    }
    // ---- erasure -------------------------------------------------------------------------------
    @Override public byte[] subjectKey() { return erasure.subjectKey(); }
    @Override public dev.mainstay.store.Erasure startErasure(dev.mainstay.store.Erasure e) { return erasure.startErasure(e); }
    @Override public Optional<dev.mainstay.store.Erasure> erasure(String id) { return erasure.erasure(id); }
    @Override public List<dev.mainstay.store.Erasure> erasures() { return erasure.erasures(); }
    @Override public List<JobRef> unfinishedJobs(dev.mainstay.store.ErasureScope scope, int max) { return erasure.unfinishedJobs(scope, max); }
    @Override public Erased eraseJobs(dev.mainstay.store.ErasureScope scope, Instant now, int max) { return erasure.eraseJobs(scope, now, max); }
    @Override public Erased eraseJobs(String erasureId, dev.mainstay.store.ErasureScope scope, Instant now, int max) { return erasure.eraseJobs(erasureId, scope, now, max); }
    @Override public void countCancelled(String erasureId, long cancelled) { erasure.countCancelled(erasureId, cancelled); }
    @Override public dev.mainstay.store.Erasure finishErasure(String id, Erased erased, long cancelled, Instant now, AuditEvent audit) {
        return erasure.finishErasure(id, erased, cancelled, now, audit);
    }
    @Override public Optional<AuditCheckpoint> cutAudit(Instant before, java.util.function.Function<AuditCheckpoint, AuditEvent> cut) {
        return erasure.cutAudit(before, cut);
    }
    @Override public void reclaim(boolean erased) { erasure.reclaim(erased); }
    @Override public void rewrite() { erasure.rewrite(); }

    // ---- retention -----------------------------------------------------------------------------
    @Override public boolean leaseSweep(String owner, Instant now, Instant until) { return retention.leaseSweep(owner, now, until); }
    @Override public Removed expirePayloads(Scope scope, Instant finishedBefore, Instant now, int max) {
        return retention.expirePayloads(scope, finishedBefore, now, max);
    }
    @Override public Removed deleteJobs(Scope scope, Instant finishedBefore, int max) { return retention.deleteJobs(scope, finishedBefore, max); }
    @Override public Removed deleteEvents(Scope scope, Instant before, int max) { return retention.deleteEvents(scope, before, max); }
    @Override public Removed deleteCachedOutputs(Instant now, Instant createdBefore, int max) { return retention.deleteCachedOutputs(now, createdBefore, max); }
    @Override public Removed deleteIdempotencyKeys(Instant recordedBefore, int max) { return retention.deleteIdempotencyKeys(recordedBefore, max); }

    // ---- the node's writer ---------------------------------------------------------------------
    @Override public long commitCount() { return dialect.commits(); }
    @Override public void reportCommitsTo(dev.mainstay.metrics.StoreMetrics metrics) { dialect.reportTo(metrics); }
    @Override public void close() { dialect.close(); }
}
