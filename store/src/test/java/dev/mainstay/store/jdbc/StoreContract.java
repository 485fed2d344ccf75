package dev.mainstay.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.ContentHash;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import dev.mainstay.job.Job;
import dev.mainstay.store.EvalRun;
import dev.mainstay.store.RetentionStore;
import dev.mainstay.store.ResultCacheStore;
import dev.mainstay.store.EvalRunCase;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Admission;
import dev.mainstay.limits.Counter;
import dev.mainstay.limits.Hold;
import dev.mainstay.limits.LimitHit;
import dev.mainstay.limits.Reservation;
import dev.mainstay.limits.Scope;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.NewJob;
import dev.mainstay.store.Store;
import dev.mainstay.store.SubmitOutcome;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.UsageQuery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The guarantees every {@link Store} dialect gives the engine. A dialect's test extends this class
 * and says how to open its store on storage that outlives {@link Store#close()}.
 */
public abstract class StoreContract {
    protected static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    protected static final Duration LEASE = Duration.ofSeconds(30);
    protected static final String ACCOUNT = "acct_a";
    private static final String OTHER_ACCOUNT = "acct_b";

    protected Store store;
    private final JobIds ids = new JobIds(Clock.fixed(T0, ZoneOffset.UTC));

    /** Opens the store under test; a second call after {@code close()} must see the same data. */
    protected abstract Store openStore();

    @BeforeEach
    void openTheStore() {
        store = openStore();
    }

    @AfterEach
    void closeTheStore() {
        store.close();
    }

    protected final void reopen() {
        store.close();
        store = openStore();
    }

    // ---- fixtures -----------------------------------------------------------------------------

    protected final NewJob newJob(String account, String key, JsonNode input, Instant createdAt) {
        String inputHash = ContentHash.sha256(Json.canonical(input));
        return new NewJob(ids.next("job"), account, "support/draft-response", 1, input, inputHash, key,
                ContentHash.sha256("support/draft-response\n" + Json.canonical(input)), 0, createdAt, createdAt.plus(Duration.ofMinutes(2)));
    }

    protected static ObjectNode input(String text) {
        return Json.object().put("text", text);
    }

    private Job submitted(String account, Instant createdAt) {
        SubmitOutcome outcome = store.submit(newJob(account, null, input("hello " + createdAt), createdAt));
        assertThat(outcome).isInstanceOf(SubmitOutcome.Created.class);
        return ((SubmitOutcome.Created) outcome).job();
    }

    private Job submitted() {
        return submitted(ACCOUNT, T0);
    }

    private Job claimed(String owner) {
        Job job = submitted();
        assertThat(store.claim(owner, 1, T0, T0.plus(LEASE))).extracting(Job::id).containsExactly(job.id());
        return store.job(job.id()).orElseThrow();
    }

    private Job reload(Job job) {
        return store.job(job.id()).orElseThrow();
    }

    private static JobTransition complete(Job job, String owner, Instant at) {
        return JobTransition.to(job.id(), JobStatus.COMPLETED, at).from(JobStatus.PROCESSING).leasedBy(owner)
                .result(Json.object().put("reply", "done"), ResultType.FULL).build();
    }

    private List<String> eventTypes(Job job) {
        return store.events(job.id(), 0, 1_000).stream().map(JobEvent::type).toList();
    }

    // ---- submit and read ----------------------------------------------------------------------

    @Test
    void submittedJobReadsBackQueuedWithItsInput() {
        ObjectNode in = input("my printer is on fire");
        in.putObject("nested").putArray("list").add(1).add("two");
        NewJob nj = newJob(ACCOUNT, "key-1", in, T0);
        Job created = ((SubmitOutcome.Created) store.submit(nj)).job();
        Job read = store.job(nj.id()).orElseThrow();
        assertThat(read).isEqualTo(created);
        assertThat(read.id()).isEqualTo(nj.id());
        assertThat(read.accountId()).isEqualTo(ACCOUNT);
        assertThat(read.workflow()).isEqualTo("support/draft-response");
        assertThat(read.workflowVersion()).isEqualTo(1);
        assertThat(read.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(read.input()).isEqualTo(in);
        assertThat(read.inputHash()).isEqualTo(nj.inputHash());
        assertThat(read.idempotencyKey()).isEqualTo("key-1");
        assertThat(read.usage()).isEqualTo(Usage.ZERO);
        assertThat(read.result()).isNull();
        assertThat(read.resultType()).isNull();
        assertThat(read.error()).isNull();
        assertThat(read.deadLetter()).isFalse();
        assertThat(read.createdAt()).isEqualTo(T0);
        assertThat(read.updatedAt()).isEqualTo(T0);
        assertThat(read.startedAt()).isNull();
        assertThat(read.completedAt()).isNull();
        assertThat(read.deadlineAt()).isEqualTo(nj.deadlineAt());
        assertThat(eventTypes(read)).containsExactly("submitted");
    }

    @Test
    void unknownJobIsAbsent() {
        assertThat(store.job("job_doesnotexist")).isEmpty();
    }

    @Test
    void sameIdempotencyKeySameRequestReturnsTheExistingJob() {
        NewJob first = newJob(ACCOUNT, "retry-me", input("a"), T0);
        Job created = ((SubmitOutcome.Created) store.submit(first)).job();
        NewJob again = newJob(ACCOUNT, "retry-me", input("a"), T0.plusSeconds(5));
        assertThat(again.requestHash()).isEqualTo(first.requestHash());
        SubmitOutcome outcome = store.submit(again);
        assertThat(outcome).isInstanceOfSatisfying(SubmitOutcome.Existing.class, e -> assertThat(e.job()).isEqualTo(created));
        assertThat(store.job(again.id())).isEmpty();
    }

    @Test
    void sameIdempotencyKeyDifferentBodyIsConflict() {
        Job created = ((SubmitOutcome.Created) store.submit(newJob(ACCOUNT, "k", input("a"), T0))).job();
        NewJob different = newJob(ACCOUNT, "k", input("b"), T0);
        assertThat(store.submit(different)).isEqualTo(new SubmitOutcome.Conflict(created.id()));
        assertThat(store.job(different.id())).isEmpty();
        assertThat(store.jobs(new JobQuery(ACCOUNT, null, null, null, 10, null)).jobs()).extracting(Job::id).containsExactly(created.id());
    }

    @Test
    void idempotencyKeysAreScopedPerAccount() {
        store.submit(newJob(ACCOUNT, "shared", input("a"), T0));
        assertThat(store.submit(newJob(OTHER_ACCOUNT, "shared", input("b"), T0))).isInstanceOf(SubmitOutcome.Created.class);
    }

    @Test
    void fiftyConcurrentSubmitsWithOneKeyCreateExactlyOneJob() throws Exception {
        int n = 50;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<SubmitOutcome>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                NewJob nj = newJob(ACCOUNT, "burst", input("same body"), T0);
                results.add(pool.submit(() -> {
                    go.await();
                    return store.submit(nj);
                }));
            }
            go.countDown();
        }
        List<SubmitOutcome> outcomes = new ArrayList<>();
        for (Future<SubmitOutcome> f : results) {
            outcomes.add(f.get());
        }
        List<Job> created = outcomes.stream().filter(o -> o instanceof SubmitOutcome.Created).map(o -> ((SubmitOutcome.Created) o).job()).toList();
        assertThat(created).hasSize(1);
        String id = created.getFirst().id();
        assertThat(outcomes).filteredOn(o -> o instanceof SubmitOutcome.Existing).hasSize(n - 1)
                .allSatisfy(o -> assertThat(((SubmitOutcome.Existing) o).job().id()).isEqualTo(id));
        assertThat(store.jobs(new JobQuery(ACCOUNT, null, null, null, 100, null)).jobs()).extracting(Job::id).containsExactly(id);
    }

    // ---- claims and leases --------------------------------------------------------------------

    @Test
    void claimTakesOnlyDueQueuedJobs() {
        Job due = submitted(ACCOUNT, T0);
        Job later = submitted(ACCOUNT, T0.plusSeconds(60));
        List<Job> claimed = store.claim("node-1", 10, T0, T0.plusSeconds(3600));
        assertThat(claimed).extracting(Job::id).containsExactly(due.id());
        assertThat(claimed.getFirst().status()).isEqualTo(JobStatus.PROCESSING);
        assertThat(claimed.getFirst().startedAt()).isEqualTo(T0);
        assertThat(reload(later).status()).isEqualTo(JobStatus.QUEUED);
        assertThat(store.claim("node-1", 10, T0.plusSeconds(60), T0.plusSeconds(60).plus(LEASE))).extracting(Job::id).containsExactly(later.id());
    }

    @Test
    void claimTakesRetryingJobsOnlyOnceTheirTimeHasCome() {
        Job job = claimed("node-1");
        Instant retryAt = T0.plusSeconds(20);
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.RETRYING, T0.plusSeconds(1)).leasedBy("node-1").releaseLease()
                .nextRunAt(retryAt).retryAt(retryAt).stageAttempts(1)
                .error(JobError.of(ErrorCode.PROVIDER_UNAVAILABLE, "HTTP 503")).build())).isTrue();
        assertThat(store.nextDueAt()).contains(retryAt);
        assertThat(store.claim("node-2", 10, T0.plusSeconds(19), T0.plusSeconds(49))).isEmpty();
        List<Job> claimed = store.claim("node-2", 10, retryAt, retryAt.plus(LEASE));
        assertThat(claimed).extracting(Job::id).containsExactly(job.id());
        assertThat(claimed.getFirst().stageAttempts()).isEqualTo(1);
        assertThat(claimed.getFirst().startedAt()).as("first start is kept").isEqualTo(T0);
    }

    @Test
    void claimNeverTakesTerminalOrWaitingJobs() {
        Job done = claimed("node-1");
        assertThat(store.apply(complete(done, "node-1", T0.plusSeconds(1)))).isTrue();
        Job cancelled = submitted();
        assertThat(store.apply(JobTransition.to(cancelled.id(), JobStatus.CANCELLED, T0).build())).isTrue();
        assertThat(store.claim("node-2", 10, T0.plusSeconds(3600), T0.plusSeconds(7200))).isEmpty();
    }

    @Test
    void claimHonoursMax() {
        for (int i = 0; i < 7; i++) {
            submitted();
        }
        assertThat(store.claim("node-1", 3, T0, T0.plus(LEASE))).hasSize(3);
        assertThat(store.claim("node-1", 3, T0, T0.plus(LEASE))).hasSize(3);
        assertThat(store.claim("node-1", 3, T0, T0.plus(LEASE))).hasSize(1);
        assertThat(store.claim("node-1", 3, T0, T0.plus(LEASE))).isEmpty();
    }

    @Test
    void claimTakesExpiredLeasesOfOtherOwners() {
        Job job = claimed("node-dead");
        assertThat(store.claim("node-2", 10, T0.plus(LEASE).minusSeconds(1), T0.plus(LEASE).plus(LEASE))).as("lease still valid").isEmpty();
        Instant after = T0.plus(LEASE).plusSeconds(1);
        assertThat(store.claim("node-2", 10, after, after.plus(LEASE))).extracting(Job::id).containsExactly(job.id());
        // The old owner's late write must not land.
        assertThat(store.apply(complete(job, "node-dead", after))).isFalse();
        assertThat(store.apply(complete(job, "node-2", after))).isTrue();
        assertThat(reload(job).status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void extendLeasesKeepsAJobFromBeingReclaimed() {
        Job job = claimed("node-1");
        Job other = claimed("node-9");
        assertThat(store.extendLeases("node-1", List.of(job.id(), other.id()), T0.plusSeconds(300))).isEqualTo(1);
        Instant later = T0.plusSeconds(100);
        assertThat(store.claim("node-2", 10, later, later.plus(LEASE))).extracting(Job::id).containsExactly(other.id());
        assertThat(store.extendLeases("node-1", List.of(), T0.plusSeconds(300))).isZero();
    }

    @Test
    void concurrentClaimersNeverShareAJob() throws Exception {
        int jobs = 200;
        Set<String> submittedIds = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < jobs; i++) {
            submittedIds.add(submitted().id());
        }
        Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();
        Map<String, String> owners = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 4; c++) {
                String owner = "node-" + c;
                pool.submit(() -> {
                    go.await();
                    List<Job> got;
                    do {
                        got = store.claim(owner, 7, T0, T0.plus(LEASE));
                        for (Job j : got) {
                            claims.computeIfAbsent(j.id(), k -> new AtomicInteger()).incrementAndGet();
                            owners.put(j.id(), owner);
                        }
                    } while (!got.isEmpty());
                    return null;
                });
            }
            go.countDown();
        }
        assertThat(claims.keySet()).isEqualTo(submittedIds);
        assertThat(claims.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        // Each job is held by the owner that got it: only that owner's write lands.
        List<Future<List<Boolean>>> writes = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Map.Entry<String, String> e : owners.entrySet()) {
                writes.add(pool.submit(() -> {
                    Job j = store.job(e.getKey()).orElseThrow();
                    return List.of(store.apply(complete(j, "someone-else", T0)), store.apply(complete(j, e.getValue(), T0)));
                }));
            }
        }
        for (Future<List<Boolean>> w : writes) {
            assertThat(w.get()).containsExactly(false, true);
        }
    }

    @Test
    void releaseLeasesPutsProcessingJobsBackToQueued() {
        Job a = claimed("node-1");
        Job b = claimed("node-1");
        Job kept = claimed("node-2");
        assertThat(store.releaseLeases("node-1", T0.plusSeconds(5))).isEqualTo(2);
        assertThat(reload(a).status()).isEqualTo(JobStatus.QUEUED);
        assertThat(reload(b).status()).isEqualTo(JobStatus.QUEUED);
        assertThat(reload(kept).status()).isEqualTo(JobStatus.PROCESSING);
        assertThat(eventTypes(a)).endsWith("requeued");
        assertThat(store.claim("node-3", 10, T0.plusSeconds(5), T0.plusSeconds(35))).extracting(Job::id).containsExactlyInAnyOrder(a.id(), b.id());
        assertThat(store.releaseLeases("node-1", T0.plusSeconds(6))).isZero();
    }

    @Test
    void aRestartedNodeTakesBackItsOwnLeasesAtOnceAndChargesItsCallsInFlight() {
        Job running = claimed("node-1");
        Job idle = claimed("node-1");
        reserve(store, new Reservation("rsv_run", ACCOUNT, running.id(), List.of(costHold(COST, 300, 1_000)), T0, T0.plusSeconds(90)));
        Charge first = new Charge("chg_first", null, ACCOUNT, running.id(), "support/draft-response", "triage", "openai", "gpt-4o-mini", 10, 0, 5, 20,
                T0.plusSeconds(1), COST_AND_TOKENS);
        store.charge(List.of(first)); // an earlier call of the job, settled before the crash
        reopen(); // the node was killed and starts again on the same database
        Instant restart = T0.plusSeconds(5); // its leases run until T0 + 30 s
        assertThat(store.recoverLeases("node-1", restart)).isEqualTo(new Store.Recovered(2, 1));
        for (Job j : List.of(running, idle)) {
            Job back = reload(j);
            assertThat(back.status()).isEqualTo(JobStatus.QUEUED);
            assertThat(eventTypes(j)).endsWith("requeued");
        }
        assertThat(store.claim("node-1", 10, restart, restart.plus(LEASE))).extracting(Job::id).containsExactlyInAnyOrder(running.id(), idle.id());
        // The call in flight is charged at its estimate, flagged; the settled one stays as it was; nothing is held.
        assertThat(store.counter(COST)).isEqualTo(new Counter(320, 0));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 2, 10, 0, 5, 320, 1, 300));
        assertThat(modelCalls()).extracting(r -> r.event().details().path("charge").asString() + " " + r.event().details().path("usage").asString(""))
                .containsExactlyInAnyOrder("chg_first ", "chg_run unknown_outcome");
        assertThat(store.expireReservations(T0.plus(Duration.ofDays(1)))).as("nothing left to expire").isZero();
    }

    @Test
    void aNodeShuttingDownChargesTheCallsItInterruptedAtTheirEstimates() {
        Job a = claimed("node-1");
        reserve(store, new Reservation("rsv_cut", ACCOUNT, a.id(), List.of(), T0, T0.plusSeconds(90)));
        assertThat(store.releaseLeases("node-1", T0.plusSeconds(5))).isEqualTo(1);
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 1, 0, 0, 0, 0, 1, 0));
        assertThat(store.expireReservations(T0.plus(Duration.ofDays(1)))).isZero();
    }

    // ---- apply -------------------------------------------------------------------------------

    @Test
    void applyFromAWrongStatusAppliesNothing() {
        Job job = submitted();
        long events = store.events(job.id(), 0, 100).size();
        assertThat(store.apply(complete(job, null, T0.plusSeconds(1)))).isFalse();
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.RETRYING, T0.plusSeconds(1))
                .stageRun(run(job, "failed", new Usage(1, 1, 1))).addUsage(new Usage(1, 1, 1)).build())).isFalse();
        assertThat(reload(job)).isEqualTo(job);
        assertThat(store.events(job.id(), 0, 100)).hasSize((int) events);
        assertThat(store.stages(job.id())).isEmpty();
    }

    @Test
    void applyWithAWrongLeaseOwnerAppliesNothing() {
        Job job = claimed("node-1");
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, T0.plusSeconds(1)).leasedBy("node-2")
                .result(Json.object(), ResultType.FULL).stageRun(run(job, "completed", new Usage(5, 5, 5))).addUsage(new Usage(5, 5, 5)).build())).isFalse();
        assertThat(reload(job)).isEqualTo(job);
        assertThat(store.stages(job.id())).isEmpty();
        assertThat(eventTypes(job)).containsExactly("submitted", "processing");
    }

    @Test
    void unknownJobTransitionIsRefused() {
        assertThat(store.apply(JobTransition.to("job_missing", JobStatus.CANCELLED, T0).build())).isFalse();
    }

    private static StageRun run(Job job, String status, Usage usage) {
        return new StageRun(job.id(), 0, "triage", status, status.equals("completed") ? Json.object().put("category", "billing") : null, 1,
                null, usage, status.equals("failed") ? JobError.of(ErrorCode.PROVIDER_TIMEOUT, "no answer in 5s") : null, T0, null);
    }

    @Test
    void completionStoresResultProvenanceUsageAndReleasesTheLease() {
        Job job = claimed("node-1");
        Provenance p = new Provenance("openai", "gpt-4o-mini-2024-07-18", "triage.v1@abc", "def", "0.1.0", List.of("cached"), "passed");
        Instant at = T0.plusSeconds(3);
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.DEGRADED, at).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object().put("reply", "hi"), ResultType.FALLBACK).provenance(p).addUsage(new Usage(100, 20, 33)).build())).isTrue();
        Job done = reload(job);
        assertThat(done.status()).isEqualTo(JobStatus.DEGRADED);
        assertThat(done.result()).isEqualTo(Json.object().put("reply", "hi"));
        assertThat(done.resultType()).isEqualTo(ResultType.FALLBACK);
        assertThat(done.provenance()).isEqualTo(p);
        assertThat(done.usage()).isEqualTo(new Usage(100, 20, 33));
        assertThat(done.completedAt()).isEqualTo(at);
        assertThat(done.updatedAt()).isEqualTo(at);
        assertThat(store.extendLeases("node-1", List.of(job.id()), T0.plusSeconds(600))).as("lease released").isZero();
        assertThat(store.countUnfinished(ACCOUNT)).isZero();
    }

    @Test
    void statsReadTheQueueAndTheFactsOfARange() {
        Job a = claimed("node-1");
        assertThat(store.apply(JobTransition.to(a.id(), JobStatus.RETRYING, T0.plusSeconds(1)).leasedBy("node-1").releaseLease()
                .nextRunAt(T0.plusSeconds(2)).event("retry_scheduled", Json.object().put("stage", "triage").put("code", "provider_unavailable")).build()))
                .isTrue();
        assertThat(store.claim("node-1", 1, T0.plusSeconds(2), T0.plusSeconds(32))).extracting(Job::id).containsExactly(a.id());
        StageRun ok = new StageRun(a.id(), 0, "triage", StageRun.COMPLETED, Json.object().put("category", "billing"), 2,
                new Provenance("fake", "m-1", "p@1", "s", "t", List.of(), "passed"), new Usage(12, 30, 4), null, T0.plusSeconds(2), T0.plusSeconds(3));
        assertThat(store.apply(JobTransition.to(a.id(), JobStatus.COMPLETED, T0.plusSeconds(3)).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object(), ResultType.FULL).stageRun(ok).addUsage(new Usage(12, 30, 4)).event("completed", null).build())).isTrue();
        Job b = claimed("node-1");
        assertThat(store.apply(JobTransition.to(b.id(), JobStatus.FAILED, T0.plusSeconds(4)).from(JobStatus.PROCESSING).leasedBy("node-1")
                .error(JobError.of(ErrorCode.PROVIDER_TIMEOUT, "no answer")).deadLetter(true).event("failed", null).build())).isTrue();
        Job c = submitted(ACCOUNT, T0.plusMillis(500));
        submitted(OTHER_ACCOUNT, T0.plus(Duration.ofDays(2)));

        dev.mainstay.stats.QueueSnapshot q = store.queueSnapshot(T0.plusSeconds(10));
        assertThat(q.unfinished()).as("the queue of every account, due or not").containsEntry(JobStatus.QUEUED, 2L).containsEntry(JobStatus.PROCESSING, 0L).containsEntry(JobStatus.RETRYING, 0L)
                .hasSize(5);
        assertThat(q.oldestDue()).isEqualTo(Duration.ofMillis(9_500));
        assertThat(q.deadLetters()).isEqualTo(1);
        assertThat(q.openReviews()).isZero();
        assertThat(q.oldestReview()).isZero();
        assertThat(store.queueSnapshot(T0).oldestDue()).as("nothing is due yet").isZero();

        var range = new dev.mainstay.stats.StatsQuery(java.util.Optional.empty(), java.util.Optional.empty(), T0.minus(Duration.ofHours(1)),
                T0.plus(Duration.ofHours(1)), dev.mainstay.stats.StatsQuery.Bucket.HOUR);
        List<dev.mainstay.stats.JobFact> facts = store.jobFacts(range);
        assertThat(facts).hasSize(3);
        dev.mainstay.stats.JobFact fa = facts.stream().filter(f -> f.status() == JobStatus.COMPLETED).findFirst().orElseThrow();
        assertThat(fa.retries()).isEqualTo(1);
        assertThat(fa.resultType()).isEqualTo(ResultType.FULL);
        assertThat(fa.createdAt()).isEqualTo(T0);
        assertThat(fa.completedAt()).isEqualTo(T0.plusSeconds(3));
        assertThat(fa.startedAt()).isNotNull();
        assertThat(fa.inputTokens()).isEqualTo(12);
        assertThat(fa.costMicros()).isEqualTo(4);
        assertThat(facts).extracting(dev.mainstay.stats.JobFact::status).containsExactlyInAnyOrder(JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.QUEUED);
        assertThat(store.stageFacts(range)).containsExactly(new dev.mainstay.stats.StageFact("support/draft-response", "triage", 1_000, "passed"));
        var other = new dev.mainstay.stats.StatsQuery(java.util.Optional.of(OTHER_ACCOUNT), java.util.Optional.of("support/draft-response"),
                T0.minus(Duration.ofHours(1)), T0.plus(Duration.ofDays(3)), dev.mainstay.stats.StatsQuery.Bucket.DAY);
        assertThat(store.jobFacts(other)).hasSize(1);
        assertThat(store.jobFacts(new dev.mainstay.stats.StatsQuery(java.util.Optional.empty(), java.util.Optional.of("other/workflow"),
                T0.minus(Duration.ofHours(1)), T0.plus(Duration.ofHours(1)), dev.mainstay.stats.StatsQuery.Bucket.HOUR))).isEmpty();
        assertThat(c.status()).isEqualTo(JobStatus.QUEUED);
    }

    @Test
    void jsonDocumentsReadBackAsWritten() {
        Job job = claimed("node-1");
        ObjectNode result = Json.object();
        result.put("big", 1.0E10).put("small", 1.5E-7).put("long", Long.MAX_VALUE).put("nul", "a\u0000b").put("text", "é \"quoted\" 😀 \\ /");
        result.putArray("mixed").add(1).add(2.5).add(true).addNull().addObject().put("z", 1).put("a", 2);
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, T0.plusSeconds(1)).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(result, ResultType.FULL).event("completed", result).build())).isTrue();
        assertThat(reload(job).result()).isEqualTo(result);
        assertThat(Json.write(reload(job).result())).isEqualTo(Json.write(result));
        assertThat(store.events(job.id(), 0, 100).getLast().data()).isEqualTo(result);
    }

    @Test
    void stageRunIsUpsertedWithUsageAddedUpAndEventsAppendedInOrder() {
        Job job = claimed("node-1");
        StageRun failed = new StageRun(job.id(), 0, "triage", StageRun.FAILED, null, 1, null, new Usage(10, 0, 2),
                JobError.of(ErrorCode.PROVIDER_TIMEOUT, "no answer in 5s"), T0, null);
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.RETRYING, T0.plusSeconds(5)).leasedBy("node-1").releaseLease()
                .nextRunAt(T0.plusSeconds(6)).stageRun(failed).addUsage(new Usage(10, 0, 2))
                .event("retry_scheduled", Json.object().put("attempt", 1)).build())).isTrue();
        assertThat(store.claim("node-1", 1, T0.plusSeconds(6), T0.plusSeconds(36))).hasSize(1);
        JsonNode output = Json.object().put("category", "billing");
        StageRun ok = new StageRun(job.id(), 0, "triage", StageRun.COMPLETED, output, 2,
                new Provenance("fake", "m-1", "p@1", "s", "t", List.of(), "passed"), new Usage(12, 30, 4), null, T0.plusSeconds(6), T0.plusSeconds(7));
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.PROCESSING, T0.plusSeconds(7)).from(JobStatus.PROCESSING).leasedBy("node-1")
                .currentStage(1).stageAttempts(0).clearError().stageRun(ok).addUsage(new Usage(12, 30, 4))
                .event("stage_completed", Json.object().put("stage", "triage")).build())).isTrue();

        List<StageRun> stages = store.stages(job.id());
        assertThat(stages).hasSize(1);
        StageRun stored = stages.getFirst();
        assertThat(stored.status()).isEqualTo(StageRun.COMPLETED);
        assertThat(stored.output()).isEqualTo(output);
        assertThat(stored.attempts()).isEqualTo(2);
        assertThat(stored.usage()).isEqualTo(new Usage(22, 30, 6));
        assertThat(stored.error()).isNull();
        assertThat(stored.provenance()).isEqualTo(ok.provenance());
        assertThat(stored.completedAt()).isEqualTo(T0.plusSeconds(7));

        Job now = reload(job);
        assertThat(now.currentStage()).isEqualTo(1);
        assertThat(now.usage()).isEqualTo(new Usage(22, 30, 6));

        List<JobEvent> events = store.events(job.id(), 0, 100);
        assertThat(events).extracting(JobEvent::type).containsExactly("submitted", "processing", "retry_scheduled", "processing", "stage_completed");
        assertThat(events).extracting(JobEvent::seq).isSorted().doesNotHaveDuplicates();
        assertThat(events.get(2).data()).isEqualTo(Json.object().put("attempt", 1));
        assertThat(store.events(job.id(), events.get(1).seq(), 2)).extracting(JobEvent::type).containsExactly("retry_scheduled", "processing");
    }

    @Test
    void replayPutsAFailedJobBackInTheQueue() {
        Job job = claimed("node-1");
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.FAILED, T0.plusSeconds(1)).leasedBy("node-1").deadLetter(true)
                .error(JobError.of(ErrorCode.PROVIDER_UNAVAILABLE, "HTTP 503 after 3 attempts")).build())).isTrue();
        Job failed = reload(job);
        assertThat(failed.deadLetter()).isTrue();
        assertThat(failed.error()).isEqualTo(JobError.of(ErrorCode.PROVIDER_UNAVAILABLE, "HTTP 503 after 3 attempts"));
        assertThat(store.jobs(new JobQuery(ACCOUNT, null, null, true, 10, null)).jobs()).extracting(Job::id).containsExactly(job.id());
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.QUEUED, T0.plusSeconds(2)).deadLetter(false).clearError()
                .nextRunAt(T0.plusSeconds(2)).event("replayed", null).build())).isTrue();
        Job replayed = reload(job);
        assertThat(replayed.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(replayed.error()).isNull();
        assertThat(replayed.deadLetter()).isFalse();
        assertThat(store.claim("node-2", 1, T0.plusSeconds(2), T0.plusSeconds(32))).extracting(Job::id).containsExactly(job.id());
    }

    @Test
    void countUnfinishedCountsPerAccountAndOverall() {
        submitted(ACCOUNT, T0);
        submitted(ACCOUNT, T0);
        submitted(OTHER_ACCOUNT, T0);
        assertThat(store.countUnfinished(ACCOUNT)).isEqualTo(2);
        assertThat(store.countUnfinished(OTHER_ACCOUNT)).isEqualTo(1);
        assertThat(store.countUnfinished(null)).isEqualTo(3);
    }

    // ---- wake-ups ----------------------------------------------------------------------------

    @Test
    void writesThatMakeWorkDueWakeTheDispatcher() {
        AtomicInteger wakes = new AtomicInteger();
        store.onWork(wakes::incrementAndGet);
        Job job = submitted();
        await().atMost(Duration.ofSeconds(10)).until(() -> wakes.get() >= 1);
        assertThat(store.claim("node-1", 1, T0, T0.plus(LEASE))).extracting(Job::id).containsExactly(job.id());
        int seen = wakes.get();
        assertThat(store.releaseLeases("node-1", T0.plusSeconds(1))).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> wakes.get() > seen);
    }

    // ---- group commit ------------------------------------------------------------------------

    @Test
    void concurrentAppliesShareCommits() throws Exception {
        int n = 200;
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            submitted();
        }
        jobs.addAll(store.claim("node-1", n, T0, T0.plus(LEASE)));
        assertThat(jobs).hasSize(n);
        long before = store.commitCount();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Job j : jobs) {
                results.add(pool.submit(() -> {
                    go.await();
                    return store.apply(complete(j, "node-1", T0.plusSeconds(1)));
                }));
            }
            go.countDown();
        }
        for (Future<Boolean> r : results) {
            assertThat(r.get()).isTrue();
        }
        long commits = store.commitCount() - before;
        assertThat(commits).isPositive().isLessThan(n);
        assertThat(store.countUnfinished(ACCOUNT)).isZero();
    }

    // ---- durability --------------------------------------------------------------------------

    @Test
    void dataSurvivesClosingAndReopening() {
        NewJob nj = newJob(ACCOUNT, "durable", input("keep me"), T0);
        store.submit(nj);
        store.claim("node-1", 1, T0, T0.plus(LEASE));
        Job job = store.job(nj.id()).orElseThrow();
        assertThat(store.apply(complete(job, "node-1", T0.plusSeconds(1)))).isTrue();
        assertThat(store.registerWorkflowVersion("support/draft-response", 1, "hash-1", "{\"workflow\":\"support/draft-response\"}", T0)).isEqualTo("hash-1");
        Job before = store.job(nj.id()).orElseThrow();
        List<JobEvent> eventsBefore = store.events(nj.id(), 0, 100);

        reopen();

        assertThat(store.job(nj.id())).contains(before);
        assertThat(store.events(nj.id(), 0, 100)).isEqualTo(eventsBefore);
        assertThat(store.workflowDefinition("support/draft-response", 1)).contains("{\"workflow\":\"support/draft-response\"}");
        assertThat(store.submit(newJob(ACCOUNT, "durable", input("keep me"), T0.plusSeconds(9))))
                .isInstanceOfSatisfying(SubmitOutcome.Existing.class, e -> assertThat(e.job().id()).isEqualTo(nj.id()));
        assertThat(store.submit(newJob(ACCOUNT, "durable", input("changed"), T0.plusSeconds(9)))).isEqualTo(new SubmitOutcome.Conflict(nj.id()));
    }

    // ---- listing -----------------------------------------------------------------------------

    @Test
    void listingIsNewestFirstAndCompleteAcrossPages() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            expected.addFirst(submitted(ACCOUNT, T0.plusSeconds(i)).id());
            submitted(OTHER_ACCOUNT, T0.plusSeconds(i));
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JobPage page = store.jobs(new JobQuery(ACCOUNT, null, null, null, 5, cursor));
            pages++;
            assertThat(page.jobs()).hasSizeLessThanOrEqualTo(5).isNotEmpty();
            page.jobs().forEach(j -> seen.add(j.id()));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(seen).isEqualTo(expected);
        assertThat(pages).as("no empty trailing page").isEqualTo(4);
    }

    @Test
    void listingFiltersByWorkflowStatusAndDeadLetter() {
        Job running = claimed("node-1");
        Job queued = submitted();
        assertThat(store.jobs(new JobQuery(ACCOUNT, null, JobStatus.QUEUED, null, 10, null)).jobs()).extracting(Job::id).containsExactly(queued.id());
        assertThat(store.jobs(new JobQuery(ACCOUNT, null, JobStatus.PROCESSING, null, 10, null)).jobs()).extracting(Job::id).containsExactly(running.id());
        assertThat(store.jobs(new JobQuery(ACCOUNT, "other/workflow", null, null, 10, null)).jobs()).isEmpty();
        assertThat(store.jobs(new JobQuery(ACCOUNT, "support/draft-response", null, false, 10, null)).jobs()).hasSize(2);
        assertThat(store.jobs(new JobQuery(OTHER_ACCOUNT, null, null, null, 10, null)).jobs()).isEmpty();
    }

    // ---- workflows and accounts --------------------------------------------------------------

    // ---- workflow activation -------------------------------------------------------------------

    private static dev.mainstay.audit.AuditEvent activationEvent(dev.mainstay.audit.AuditAction action, String reason) {
        return new dev.mainstay.audit.AuditEvent(T0, "system:activation", action, null, "a/b", Json.object().put("reason", reason));
    }

    private List<String> activationReasons() {
        return store.auditLog(new dev.mainstay.audit.AuditQuery(null, null, null, null, null, null, 0, 1000)).stream()
                .filter(r -> r.stored().action().startsWith("workflow.")).map(r -> r.event().details().path("reason").asString()).toList();
    }

    @Test
    void theFirstActivationOfAWorkflowIsKeptAndAuditedOnce() {
        var first = store.firstActivation("a/b", 2, T0, "system:activation", activationEvent(dev.mainstay.audit.AuditAction.WORKFLOW_ACTIVATED, "first"));
        assertThat(first.version()).isEqualTo(2);
        assertThat(first.highestVersion()).isEqualTo(2);
        var again = store.firstActivation("a/b", 3, T0.plusSeconds(1), "system:activation", activationEvent(dev.mainstay.audit.AuditAction.WORKFLOW_ACTIVATED, "again"));
        assertThat(again).isEqualTo(first);
        assertThat(activationReasons()).containsExactly("first");
        assertThat(store.workflowActivations()).containsOnlyKeys("a/b");
    }

    @Test
    void anActivationAppliesOnlyFromTheExpectedVersionKeepsTheHighestAndSurvivesReopening() {
        store.firstActivation("a/b", 1, T0, "system:activation", activationEvent(dev.mainstay.audit.AuditAction.WORKFLOW_ACTIVATED, "first"));
        assertThat(store.activateWorkflowVersion("a/b", 3, 2, T0, "key_x", activationEvent(dev.mainstay.audit.AuditAction.WORKFLOW_ACTIVATED, "stale"))).isFalse();
        assertThat(store.activateWorkflowVersion("a/b", 3, 1, T0.plusSeconds(1), "key_x", activationEvent(dev.mainstay.audit.AuditAction.WORKFLOW_ACTIVATED, "promote")))
                .isTrue();
        assertThat(store.activateWorkflowVersion("a/b", 1, null, T0.plusSeconds(2), "key_y", activationEvent(dev.mainstay.audit.AuditAction.WORKFLOW_ACTIVATED, "rollback")))
                .isTrue();
        assertThat(store.activateWorkflowVersion("c/d", 4, 1, T0, "key_y", activationEvent(dev.mainstay.audit.AuditAction.WORKFLOW_ACTIVATED, "none on record"))).isFalse();
        reopen();
        var a = store.workflowActivations().get("a/b");
        assertThat(a.version()).isEqualTo(1);
        assertThat(a.highestVersion()).as("a rollback keeps the highest version ever active").isEqualTo(3);
        assertThat(a.changedBy()).isEqualTo("key_y");
        assertThat(a.changedAt()).isEqualTo(T0.plusSeconds(2));
        assertThat(store.workflowActivations()).doesNotContainKey("c/d");
        assertThat(activationReasons()).containsExactly("first", "promote", "rollback");
        assertThat(store.verifyAudit()).isInstanceOf(dev.mainstay.audit.AuditCheck.Intact.class);
    }

    @Test
    void anActivationGateOpensOnceAndIsDecidedOnceByConcurrentDeciders() throws Exception {
        store.firstActivation("a/b", 1, T0, "system:activation", activationEvent(dev.mainstay.audit.AuditAction.WORKFLOW_ACTIVATED, "first"));
        var gate = new dev.mainstay.store.WorkflowActivationStore.ActivationGate("a/b", 2, "s", "evr_2", 1, "evr_1", T0, null, null, null);
        assertThat(store.openActivationGate(gate)).isTrue();
        assertThat(store.openActivationGate(new dev.mainstay.store.WorkflowActivationStore.ActivationGate("a/b", 2, "s", "evr_other", 1, "evr_1", T0, null, null, null)))
                .isFalse();
        assertThat(store.activationGate("a/b", 2)).contains(gate);
        assertThat(store.undecidedActivationGates()).containsExactly(gate);

        int deciders = 8;
        CountDownLatch go = new CountDownLatch(1);
        List<java.util.concurrent.Future<Boolean>> won = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(deciders)) {
            for (int i = 0; i < deciders; i++) {
                int n = i;
                won.add(pool.submit(() -> {
                    go.await();
                    return store.decideActivationGate("a/b", 2, true, Json.object().put("decider", n), T0.plusSeconds(5), activationEvent(
                            dev.mainstay.audit.AuditAction.WORKFLOW_ACTIVATED, "gate " + n));
                }));
            }
            go.countDown();
        }
        long winners = 0;
        for (var f : won) {
            winners += f.get() ? 1 : 0;
        }
        assertThat(winners).isEqualTo(1);
        var decided = store.activationGate("a/b", 2).orElseThrow();
        assertThat(decided.decision()).isEqualTo("activated");
        assertThat(decided.decidedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(activationReasons()).containsExactly("first", "gate " + decided.detail().path("decider").asInt());
        assertThat(store.undecidedActivationGates()).isEmpty();
        assertThat(store.workflowActivations().get("a/b").version()).isEqualTo(2);
        assertThat(store.workflowActivations().get("a/b").highestVersion()).isEqualTo(2);

        // A refusal records its decision and audit record and leaves the active version alone.
        assertThat(store.openActivationGate(new dev.mainstay.store.WorkflowActivationStore.ActivationGate("a/b", 3, "s", "evr_3", 2, "evr_2", T0, null, null, null)))
                .isTrue();
        assertThat(store.decideActivationGate("a/b", 3, false, Json.object().put("reason", "worse"), T0.plusSeconds(6),
                activationEvent(dev.mainstay.audit.AuditAction.ACTIVATION_REFUSED, "worse"))).isTrue();
        assertThat(store.activationGate("a/b", 3).orElseThrow().decision()).isEqualTo("refused");
        assertThat(store.activationGate("a/b", 3).orElseThrow().detail().path("reason").asString()).isEqualTo("worse");
        assertThat(store.workflowActivations().get("a/b").version()).isEqualTo(2);
        assertThat(store.activationGates("a/b")).extracting(dev.mainstay.store.WorkflowActivationStore.ActivationGate::version).containsExactly(2, 3);
        assertThat(store.verifyAudit()).isInstanceOf(dev.mainstay.audit.AuditCheck.Intact.class);
    }

    @Test
    void workflowVersionKeepsItsFirstContentHash() {
        assertThat(store.registerWorkflowVersion("a/b", 1, "h1", "{\"v\":1}", T0)).isEqualTo("h1");
        assertThat(store.registerWorkflowVersion("a/b", 1, "h2", "{\"v\":2}", T0)).isEqualTo("h1");
        assertThat(store.registerWorkflowVersion("a/b", 2, "h2", "{\"v\":2}", T0)).isEqualTo("h2");
        assertThat(store.workflowDefinition("a/b", 1)).contains("{\"v\":1}");
        assertThat(store.workflowDefinition("a/b", 3)).isEmpty();
    }

    @Test
    void apiKeyHashResolvesToItsPrincipal() {
        store.createAccount(new Account(ACCOUNT, "Acme", "team", T0));
        assertThat(store.account(ACCOUNT)).contains(new Account(ACCOUNT, "Acme", "team", T0));
        assertThat(store.addApiKey(new ApiKey("key_1", ACCOUNT, "sha-1", "ms_live_ab", Set.of("analyst", "agent"), false, T0))).isTrue();
        assertThat(store.addApiKey(new ApiKey("key_2", ACCOUNT, "sha-1", "ms_live_cd", Set.of(), true, T0))).as("same hash").isFalse();
        assertThat(store.principalForKeyHash("sha-1")).contains(new Principal(ACCOUNT, "key_1", Set.of("analyst", "agent"), false));
        assertThat(store.principalForKeyHash("sha-unknown")).isEmpty();
        assertThat(store.account("acct_none")).isEmpty();
    }

    @Test
    void apiKeysKeepNameExpiryAndRevocation() {
        store.createAccount(new Account(ACCOUNT, "Acme", "team", T0));
        store.createAccount(new Account("acct_other", "Other", "team", T0));
        Instant expires = T0.plusSeconds(3600);
        ApiKey ci = new ApiKey("key_ci", ACCOUNT, "sha-ci", "ms_live_ci", Set.of("runner"), false, T0, "ci", expires, null);
        assertThat(store.addApiKey(ci)).isTrue();
        assertThat(store.addApiKey(new ApiKey("key_plain", ACCOUNT, "sha-plain", "ms_live_pl", Set.of(), false, T0.plusMillis(1)))).isTrue();
        assertThat(store.addApiKey(new ApiKey("key_else", "acct_other", "sha-else", "ms_live_el", Set.of(), false, T0))).isTrue();

        assertThat(store.apiKeyByHash("sha-ci")).contains(ci);
        assertThat(store.apiKeys(ACCOUNT)).extracting(ApiKey::id).containsExactly("key_ci", "key_plain");
        assertThat(store.apiKeys("acct_none")).isEmpty();

        assertThat(store.revokeApiKey("acct_other", "key_ci", T0.plusSeconds(5))).as("another account's key").isEmpty();
        assertThat(store.apiKeyByHash("sha-ci").orElseThrow().revokedAt()).isNull();
        ApiKey revoked = store.revokeApiKey(ACCOUNT, "key_ci", T0.plusSeconds(5)).orElseThrow();
        assertThat(revoked.revokedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(store.revokeApiKey(ACCOUNT, "key_ci", T0.plusSeconds(9)).orElseThrow().revokedAt()).as("first revocation kept").isEqualTo(T0.plusSeconds(5));
        assertThat(store.apiKeyByHash("sha-ci").orElseThrow().usableAt(T0)).isFalse();
        assertThat(store.principalForKeyHash("sha-ci")).isEmpty();
        assertThat(store.revokeApiKey(ACCOUNT, "key_none", T0)).isEmpty();
    }

    // ---- budgets: reservations, charges, expiry --------------------------------------------------

    private static final String COST = Scope.accountCost(ACCOUNT, T0);
    private static final String TOKENS = Scope.accountTokens(ACCOUNT, T0);
    private static final String JOB_COST = Scope.jobCost("job_budgeted");

    private static Hold costHold(String scope, long amount, long max) {
        return new Hold(scope, Hold.Unit.MICRO_USD, amount, max, "cost_per_month_usd", "account " + ACCOUNT, Scope.monthEnd(T0));
    }

    private static Hold tokenHold(String scope, long amount, long max) {
        return new Hold(scope, Hold.Unit.TOKENS, amount, max, "tokens_per_day", "account " + ACCOUNT, Scope.dayEnd(T0));
    }

    /**
     * What a reservation's call is charged if its outcome is never known: as in the engine, each
     * hold's amount against its scope (the money holds share one cost, the token holds one count).
     */
    protected static Charge estimateOf(Reservation r) {
        long cost = r.holds().stream().filter(h -> h.unit() == Hold.Unit.MICRO_USD).mapToLong(Hold::amount).max().orElse(0);
        long tokens = r.holds().stream().filter(h -> h.unit() == Hold.Unit.TOKENS).mapToLong(Hold::amount).max().orElse(0);
        List<Charge.CounterScope> scopes = r.holds().stream().map(h -> new Charge.CounterScope(h.scope(), h.unit())).toList();
        return new Charge("chg" + r.id().substring(r.id().indexOf('_')), r.id(), r.accountId(), r.jobId(), "support/draft-response", "draft", "openai",
                "gpt-4o-mini", tokens, 0, 0, cost, r.at(), scopes, Charge.Basis.UNKNOWN_OUTCOME, "charged its reservation's estimate");
    }

    /** Reserves on {@code on} with the estimate the engine would send. */
    protected static Reservation.Outcome reserve(Store on, Reservation r) {
        return on.reserve(r, estimateOf(r));
    }

    private static Reservation reservation(String id, Instant expiresAt, Hold... holds) {
        return new Reservation(id, ACCOUNT, "job_budgeted", List.of(holds), T0, expiresAt);
    }

    private static final List<Charge.CounterScope> COST_AND_TOKENS = List.of(
            new Charge.CounterScope(COST, Hold.Unit.MICRO_USD), new Charge.CounterScope(TOKENS, Hold.Unit.TOKENS));

    /** A model call of {@code job_budgeted} that cost {@code costMicros} for {@code in + out} tokens. */
    private static Charge charge(String id, String reservationId, long in, long out, long costMicros, Instant at, List<Charge.CounterScope> scopes) {
        return new Charge(id, reservationId, ACCOUNT, "job_budgeted", "support/draft-response", "draft", "openai", "gpt-4o-mini", in, 0, out, costMicros, at, scopes);
    }

    private static Charge usageCharge(String id, String account, String workflow, String provider, String model, long in, long cached, long out, long cost, Instant at) {
        return new Charge(id, null, account, "job_" + id, workflow, "draft", provider, model, in, cached, out, cost, at, List.of());
    }

    private void spend(String scope, Hold.Unit unit, long amount) {
        long in = unit == Hold.Unit.TOKENS ? amount : 0;
        store.charge(List.of(charge(ids.next("chg"), null, in, 0, unit == Hold.Unit.MICRO_USD ? amount : 0, T0, List.of(new Charge.CounterScope(scope, unit)))));
    }

    @Test
    void reserveGrantsWhileEveryHoldFitsUpToTheMaxInclusive() {
        Instant expires = T0.plusSeconds(90);
        assertThat(reserve(store, reservation("rsv_1", expires, costHold(COST, 400, 1_000), tokenHold(TOKENS, 3_000, 10_000))))
                .isEqualTo(new Reservation.Outcome.Granted("rsv_1"));
        assertThat(store.counter(COST)).isEqualTo(new Counter(0, 400));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(0, 3_000));
        assertThat(reserve(store, reservation("rsv_2", expires, costHold(COST, 600, 1_000), tokenHold(TOKENS, 7_000, 10_000))))
                .isEqualTo(new Reservation.Outcome.Granted("rsv_2"));
        assertThat(store.counter(COST)).isEqualTo(new Counter(0, 1_000));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(0, 10_000));
        assertThat(store.counter("acct/nobody/cost/2026-11")).isEqualTo(Counter.ZERO);
    }

    @Test
    void reserveIsAllOrNothingAcrossItsHolds() {
        Instant expires = T0.plusSeconds(90);
        assertThat(reserve(store, reservation("rsv_1", expires, costHold(COST, 900, 1_000)))).isInstanceOf(Reservation.Outcome.Granted.class);
        // The job budget and the token quota have room; the month's budget does not. Nothing is held.
        Reservation.Outcome refused = reserve(store, reservation("rsv_2", expires,
                costHold(JOB_COST, 200, 5_000), tokenHold(TOKENS, 10, 10_000), costHold(COST, 200, 1_000)));
        assertThat(refused).isInstanceOfSatisfying(Reservation.Outcome.Refused.class, r -> {
            assertThat(r.hit().code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
            assertThat(r.hit().limit()).isEqualTo("cost_per_month_usd");
            assertThat(r.hit().scope()).isEqualTo("account " + ACCOUNT);
            assertThat(r.definitive()).as("only another call's hold is in the way").isFalse();
            assertThat(r.hit().retryAfter()).isPresent();
        });
        assertThat(store.counter(JOB_COST)).isEqualTo(Counter.ZERO);
        assertThat(store.counter(TOKENS)).isEqualTo(Counter.ZERO);
        assertThat(store.counter(COST)).isEqualTo(new Counter(0, 900));
        // A refused reservation holds nothing to expire either; the granted one is charged at its estimate.
        assertThat(store.expireReservations(T0.plus(Duration.ofDays(1)))).isEqualTo(1);
        assertThat(store.counter(COST)).isEqualTo(new Counter(900, 0));
        assertThat(store.counter(JOB_COST)).isEqualTo(Counter.ZERO);
    }

    @Test
    void refusalIsDefinitiveOnlyWhenSettledSpendAloneLeavesNoRoom() {
        spend(COST, Hold.Unit.MICRO_USD, 900);
        assertThat(reserve(store, reservation("rsv_1", T0.plusSeconds(90), costHold(COST, 200, 1_000))))
                .isInstanceOfSatisfying(Reservation.Outcome.Refused.class, r -> {
                    assertThat(r.definitive()).isTrue();
                    assertThat(r.hit().code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
                    assertThat(r.hit().retryAfter()).as("until the month ends").contains(Duration.between(T0, Scope.monthEnd(T0)));
                });
        assertThat(store.counter(COST)).isEqualTo(new Counter(900, 0));
        assertThat(reserve(store, reservation("rsv_2", T0.plusSeconds(90), costHold(COST, 100, 1_000)))).isEqualTo(new Reservation.Outcome.Granted("rsv_2"));
        assertThat(reserve(store, reservation("rsv_3", T0.plusSeconds(90), costHold(COST, 1, 1_000))))
                .isInstanceOfSatisfying(Reservation.Outcome.Refused.class, r -> assertThat(r.definitive()).as("100 held may settle for less").isFalse());

        // A job's budget never resets: its final refusal has nothing to wait for.
        spend(JOB_COST, Hold.Unit.MICRO_USD, 5_000);
        Hold perJob = new Hold(JOB_COST, Hold.Unit.MICRO_USD, 1, 5_000, "cost_per_job_usd", "job job_budgeted", null);
        assertThat(reserve(store, reservation("rsv_job", T0.plusSeconds(90), perJob)))
                .isInstanceOfSatisfying(Reservation.Outcome.Refused.class, r -> {
                    assertThat(r.definitive()).isTrue();
                    assertThat(r.hit().limit()).isEqualTo("cost_per_job_usd");
                    assertThat(r.hit().scope()).isEqualTo("job job_budgeted");
                    assertThat(r.hit().retryAfter()).isEmpty();
                });

        spend(TOKENS, Hold.Unit.TOKENS, 9_990);
        assertThat(reserve(store, reservation("rsv_4", T0.plusSeconds(90), tokenHold(TOKENS, 11, 10_000))))
                .isInstanceOfSatisfying(Reservation.Outcome.Refused.class, r -> {
                    assertThat(r.definitive()).isTrue();
                    assertThat(r.hit().code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
                    assertThat(r.hit().limit()).isEqualTo("tokens_per_day");
                });
    }

    @Test
    void chargeSettlesItsReservationAndAddsSpendPerUnit() {
        assertThat(reserve(store, reservation("rsv_1", T0.plusSeconds(90), costHold(COST, 500, 1_000), tokenHold(TOKENS, 2_000, 10_000))))
                .isInstanceOf(Reservation.Outcome.Granted.class);
        store.charge(List.of(charge("chg_1", "rsv_1", 300, 200, 120, T0.plusSeconds(2), COST_AND_TOKENS)));
        assertThat(store.counter(COST)).isEqualTo(new Counter(120, 0));
        assertThat(store.counter(TOKENS)).as("input plus output tokens").isEqualTo(new Counter(500, 0));
        assertThat(store.expireReservations(T0.plus(Duration.ofDays(1)))).as("a settled reservation does not expire").isZero();
        assertThat(store.counter(COST)).isEqualTo(new Counter(120, 0));
    }

    @Test
    void aChargeSentTwiceCountsOnce() {
        reserve(store, reservation("rsv_1", T0.plusSeconds(90), costHold(COST, 500, 1_000)));
        reserve(store, reservation("rsv_2", T0.plusSeconds(90), costHold(COST, 300, 1_000)));
        Charge once = charge("chg_1", "rsv_1", 300, 200, 120, T0.plusSeconds(2), COST_AND_TOKENS);
        store.charge(List.of(once));
        store.charge(List.of(once));
        store.charge(List.of(once, once));
        assertThat(store.counter(COST)).as("spent once, rsv_2 still held").isEqualTo(new Counter(120, 300));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(500, 0));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 1, 300, 0, 200, 120));
        reopen();
        store.charge(List.of(once));
        assertThat(store.counter(COST)).isEqualTo(new Counter(120, 300));
    }

    @Test
    void aChargeWithoutAReservationOnlyAddsSpend() {
        reserve(store, reservation("rsv_1", T0.plusSeconds(90), costHold(COST, 500, 1_000)));
        store.charge(List.of(charge("chg_1", null, 10, 5, 7, T0.plusSeconds(2), COST_AND_TOKENS)));
        assertThat(store.counter(COST)).isEqualTo(new Counter(7, 500));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(15, 0));
        store.charge(List.of(charge("chg_2", "rsv_unknown", 1, 1, 3, T0.plusSeconds(3), COST_AND_TOKENS)));
        assertThat(store.counter(COST)).as("an unknown reservation releases nothing").isEqualTo(new Counter(10, 500));
    }

    private List<dev.mainstay.audit.AuditRecord> modelCalls() {
        return store.auditLog(dev.mainstay.audit.AuditQuery.all(1_000)).stream()
                .filter(r -> r.event().action() == dev.mainstay.audit.AuditAction.MODEL_CALLED).toList();
    }

    @Test
    void anExpiredReservationIsChargedOnceAtItsEstimateAsAnUnknownOutcome() {
        Instant soon = T0.plusSeconds(30);
        reserve(store, reservation("rsv_soon", soon, costHold(COST, 300, 1_000), tokenHold(TOKENS, 1_000, 10_000)));
        reserve(store, reservation("rsv_later", T0.plusSeconds(600), costHold(COST, 200, 1_000)));
        assertThat(store.counter(COST)).isEqualTo(new Counter(0, 500));
        assertThat(store.expireReservations(T0.plusSeconds(29))).isZero();
        assertThat(store.expireReservations(soon)).as("expired before now, not at now").isZero();
        assertThat(store.expireReservations(soon.plusMillis(1))).isEqualTo(1);
        // The node died mid-call: the provider may have billed it, so the most it could cost is spent, not released.
        assertThat(store.counter(COST)).isEqualTo(new Counter(300, 200));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(1_000, 0));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 1, 1_000, 0, 0, 300, 1, 300));
        assertThat(modelCalls()).singleElement().satisfies(r -> {
            assertThat(r.jobId()).isEqualTo("job_budgeted");
            assertThat(r.event().details().path("usage").asString()).isEqualTo("unknown_outcome");
            assertThat(r.event().details().path("usage_note").asString()).isEqualTo("charged its reservation's estimate");
            assertThat(r.event().details().path("charge").asString()).isEqualTo("chg_soon");
            assertThat(r.event().details().path("cost_usd").asString()).isEqualTo("0.000300");
        });
        assertThat(store.expireReservations(soon.plusSeconds(1))).as("charged once").isZero();
        assertThat(store.counter(COST)).isEqualTo(new Counter(300, 200));
        reopen();
        assertThat(store.expireReservations(T0.plusSeconds(601))).isEqualTo(1);
        assertThat(store.counter(COST)).isEqualTo(new Counter(500, 0));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 2, 1_000, 0, 0, 500, 2, 500));
    }

    @Test
    void aReservationWithoutHoldsIsStillTheCallsRecordAndIsChargedWhenItsNodeDies() {
        Job job = claimed("node-1");
        Reservation intent = new Reservation("rsv_free", ACCOUNT, job.id(), List.of(), T0, T0.plusSeconds(30));
        Charge estimate = new Charge("chg_free", "rsv_free", ACCOUNT, job.id(), "support/draft-response", "draft", "openai", "gpt-4o-mini", 700, 0, 300, 90,
                T0, COST_AND_TOKENS, Charge.Basis.UNKNOWN_OUTCOME, "charged its reservation's estimate");
        assertThat(store.reserve(intent, estimate)).isEqualTo(new Reservation.Outcome.Granted("rsv_free"));
        assertThat(store.counter(COST)).as("no limit, nothing held").isEqualTo(Counter.ZERO);
        reopen();
        assertThat(store.expireReservations(T0.plusSeconds(31))).isEqualTo(1);
        assertThat(store.counter(COST)).isEqualTo(new Counter(90, 0));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(1_000, 0));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.WORKFLOW)))
                .containsExactly(new UsageQuery.Row("support/draft-response", 1, 700, 0, 300, 90, 1, 90));
    }

    @Test
    void anEstimateMustBeAnUnknownOutcomeChargeOfItsOwnReservation() {
        Reservation r = reservation("rsv_1", T0.plusSeconds(30), costHold(COST, 300, 1_000));
        Charge settled = charge("chg_1", "rsv_1", 1, 1, 300, T0, COST_AND_TOKENS);
        Charge other = new Charge("chg_2", "rsv_2", ACCOUNT, "job_budgeted", "support/draft-response", "draft", "openai", "gpt-4o-mini", 1, 0, 1, 300, T0,
                COST_AND_TOKENS, Charge.Basis.UNKNOWN_OUTCOME, "charged its reservation's estimate");
        Charge estimatedAnswer = new Charge("chg_1", "rsv_1", ACCOUNT, "job_budgeted", "support/draft-response", "draft", "openai", "gpt-4o-mini", 1, 0, 1,
                300, T0, COST_AND_TOKENS, Charge.Basis.ESTIMATED, "the provider reported prompt tokens -1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.reserve(r, settled)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rsv_1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.reserve(r, estimatedAnswer)).as("an answer's estimate is not an unknown outcome")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rsv_1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.reserve(r, other)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rsv_2");
        assertThat(store.counter(COST)).isEqualTo(Counter.ZERO);
        assertThat(store.expireReservations(T0.plusSeconds(31))).isZero();
    }

    @Test
    void aLateAnswerForAnExpiredReservationReplacesItsEstimateAndReleasesNothingTwice() {
        Instant soon = T0.plusSeconds(30);
        reserve(store, reservation("rsv_dead", soon, costHold(COST, 300, 1_000)));
        reserve(store, reservation("rsv_live", T0.plusSeconds(600), costHold(COST, 200, 1_000)));
        assertThat(store.expireReservations(soon.plusSeconds(1))).isEqualTo(1);
        assertThat(store.counter(COST)).isEqualTo(new Counter(300, 200));
        // The node that held rsv_dead was only slow: its call's own charge (same id) replaces the estimate.
        Charge late = charge("chg_dead", "rsv_dead", 100, 50, 250, soon.plusSeconds(2), COST_AND_TOKENS);
        store.charge(List.of(late));
        assertThat(store.counter(COST)).as("rsv_live is still held in full").isEqualTo(new Counter(250, 200));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(150, 0));
        store.charge(List.of(late));
        assertThat(store.counter(COST)).as("replaced once").isEqualTo(new Counter(250, 200));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plus(Duration.ofHours(1)), UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 1, 100, 0, 50, 250, 0, 0));
        assertThat(modelCalls()).extracting(r -> r.event().details().path("usage").asString(""))
                .as("the estimate, then the call as it went").containsExactly("unknown_outcome", "");
        store.charge(List.of(charge("chg_live", "rsv_live", 10, 10, 150, soon.plusSeconds(3), COST_AND_TOKENS)));
        assertThat(store.counter(COST)).isEqualTo(new Counter(400, 0));
        assertThat(store.expireReservations(T0.plus(Duration.ofDays(1)))).isZero();
        assertThat(store.counter(COST)).isEqualTo(new Counter(400, 0));
    }

    @Test
    void aLateAnswerInAJobTransitionReplacesItsEstimateToo() {
        Job job = claimed("node-1");
        Reservation r = new Reservation("rsv_slow", ACCOUNT, job.id(), List.of(costHold(COST, 300, 1_000)), T0, T0.plusSeconds(30));
        reserve(store, r);
        assertThat(store.expireReservations(T0.plusSeconds(31))).isEqualTo(1);
        assertThat(store.counter(COST)).isEqualTo(new Counter(300, 0));
        Charge answer = new Charge("chg_slow", "rsv_slow", ACCOUNT, job.id(), "support/draft-response", "draft", "openai", "gpt-4o-mini", 40, 0, 20, 60,
                T0.plusSeconds(32), COST_AND_TOKENS);
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, T0.plusSeconds(32)).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object(), ResultType.FULL).charges(List.of(answer)).build())).isTrue();
        assertThat(store.counter(COST)).isEqualTo(new Counter(60, 0));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(60, 0));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 1, 40, 0, 20, 60, 0, 0));
    }

    @Test
    void concurrentReservationsNeverHoldMoreThanTheMax() throws Exception {
        int n = 50;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Reservation.Outcome>> outcomes = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                Reservation r = reservation("rsv_" + i, T0.plusSeconds(90), costHold(COST, 100, 1_000), tokenHold(TOKENS, 10, 10_000));
                outcomes.add(pool.submit(() -> {
                    go.await();
                    return reserve(store, r);
                }));
            }
            go.countDown();
        }
        int granted = 0;
        for (Future<Reservation.Outcome> f : outcomes) {
            granted += f.get() instanceof Reservation.Outcome.Granted ? 1 : 0;
        }
        assertThat(granted).isEqualTo(10);
        assertThat(store.counter(COST)).isEqualTo(new Counter(0, 1_000));
        assertThat(store.counter(TOKENS)).as("refused reservations held no tokens").isEqualTo(new Counter(0, 100));
    }

    @Test
    void reservationsAndCountersSurviveReopening() {
        reserve(store, reservation("rsv_1", T0.plusSeconds(30), costHold(COST, 300, 1_000)));
        spend(COST, Hold.Unit.MICRO_USD, 50);
        reopen();
        assertThat(store.counter(COST)).isEqualTo(new Counter(50, 300));
        assertThat(store.expireReservations(T0.plusSeconds(31))).isEqualTo(1);
        assertThat(store.counter(COST)).isEqualTo(new Counter(350, 0));
    }

    @Test
    void chargesOfATransitionWhoseGuardFailsAreStillRecorded() {
        Job job = submitted();
        reserve(store, new Reservation("rsv_1", ACCOUNT, job.id(), List.of(costHold(COST, 500, 1_000)), T0, T0.plusSeconds(90)));
        Charge c = new Charge("chg_1", "rsv_1", ACCOUNT, job.id(), "support/draft-response", "draft", "openai", "gpt-4o-mini", 300, 0, 200, 120,
                T0.plusSeconds(2), COST_AND_TOKENS);
        // The job is queued, not processing under node-1: the transition itself does not apply.
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, T0.plusSeconds(2)).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object(), ResultType.FULL).charges(List.of(c)).build())).isFalse();
        assertThat(reload(job)).isEqualTo(job);
        assertThat(store.counter(COST)).isEqualTo(new Counter(120, 0));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(500, 0));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 1, 300, 0, 200, 120));
        store.charge(List.of(c));
        assertThat(store.counter(COST)).as("and still once").isEqualTo(new Counter(120, 0));
    }

    @Test
    void aChargeThatHeldNothingIsRecordedOnceWhetherOrNotItsTransitionApplies() {
        Job running = claimed("node-1");
        Job queued = submitted();
        Charge first = new Charge("chg_1", null, ACCOUNT, queued.id(), "support/draft-response", "draft", "openai", "gpt-4o-mini", 300, 0, 200, 120,
                T0.plusSeconds(2), COST_AND_TOKENS);
        assertThat(store.apply(JobTransition.to(queued.id(), JobStatus.COMPLETED, T0.plusSeconds(2)).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object(), ResultType.FULL).charges(List.of(first)).build())).isFalse();
        assertThat(reload(queued)).isEqualTo(queued);
        assertThat(store.counter(COST)).isEqualTo(new Counter(120, 0));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(500, 0));

        Charge second = new Charge("chg_2", null, ACCOUNT, running.id(), "support/draft-response", "draft", "openai", "gpt-4o-mini", 30, 0, 20, 12,
                T0.plusSeconds(3), COST_AND_TOKENS);
        assertThat(store.apply(JobTransition.to(running.id(), JobStatus.COMPLETED, T0.plusSeconds(3)).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object(), ResultType.FULL).charges(List.of(second)).build())).isTrue();
        assertThat(reload(running).status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(store.counter(COST)).isEqualTo(new Counter(132, 0));
        store.charge(List.of(first, second));
        assertThat(store.counter(COST)).as("each charge once").isEqualTo(new Counter(132, 0));
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(550, 0));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 2, 330, 0, 220, 132));
        assertThat(store.auditLog(dev.mainstay.audit.AuditQuery.all(100)).stream().filter(r -> r.event().action() == dev.mainstay.audit.AuditAction.MODEL_CALLED)).hasSize(2);
    }

    @Test
    void chargesOfAnAppliedTransitionAreRecordedWithTheJobsUsage() {
        Job job = claimed("node-1");
        reserve(store, new Reservation("rsv_1", ACCOUNT, job.id(), List.of(costHold(COST, 500, 1_000)), T0, T0.plusSeconds(90)));
        Charge c = new Charge("chg_1", "rsv_1", ACCOUNT, job.id(), "support/draft-response", "draft", "openai", "gpt-4o-mini", 300, 0, 200, 120,
                T0.plusSeconds(2), COST_AND_TOKENS);
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, T0.plusSeconds(2)).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object(), ResultType.FULL).charges(List.of(c)).build())).isTrue();
        assertThat(reload(job).usage()).isEqualTo(new Usage(300, 200, 120));
        assertThat(store.counter(COST)).isEqualTo(new Counter(120, 0));
    }

    // ---- admission at submit ---------------------------------------------------------------------

    private static Admission bucket(String key, long capacity) {
        return new Admission(List.of(new Admission.Bucket(key, capacity, Duration.ofMinutes(1), "requests_per_minute", "account " + ACCOUNT)), List.of(), null);
    }

    private static Admission ceiling(String scope, long max, Hold.Unit unit) {
        String limit = unit == Hold.Unit.MICRO_USD ? "cost_per_month_usd" : "tokens_per_day";
        Instant resets = unit == Hold.Unit.MICRO_USD ? Scope.monthEnd(T0) : Scope.dayEnd(T0);
        return new Admission(List.of(), List.of(new Admission.Ceiling(scope, max, unit, limit, "account " + ACCOUNT, resets)), null);
    }

    private SubmitOutcome submit(Admission admission, String key, String text, Instant at) {
        return store.submit(newJob(ACCOUNT, key, input(text), at), admission);
    }

    private static LimitHit refusal(SubmitOutcome outcome) {
        assertThat(outcome).isInstanceOf(SubmitOutcome.Refused.class);
        return ((SubmitOutcome.Refused) outcome).hit();
    }

    @Test
    void theBucketAdmitsItsCapacityThenRefusesWithRetryAfter() {
        Admission rpm = bucket("rpm/" + ACCOUNT, 3);
        for (int i = 0; i < 3; i++) {
            assertThat(submit(rpm, null, "burst " + i, T0)).isInstanceOf(SubmitOutcome.Created.class);
        }
        LimitHit hit = refusal(submit(rpm, null, "one too many", T0));
        assertThat(hit.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(hit.limit()).isEqualTo("requests_per_minute");
        assertThat(hit.scope()).isEqualTo("account " + ACCOUNT);
        // Three a minute come back one every 20 s.
        assertThat(hit.retryAfter()).contains(Duration.ofSeconds(20));
        assertThat(refusal(submit(rpm, null, "still too early", T0.plusSeconds(19))).retryAfter()).contains(Duration.ofSeconds(1));
        assertThat(submit(rpm, null, "on time", T0.plusSeconds(20))).isInstanceOf(SubmitOutcome.Created.class);
        assertThat(store.countUnfinished(ACCOUNT)).isEqualTo(4);
        assertThat(submit(bucket("rpm/" + OTHER_ACCOUNT, 3), null, "another bucket", T0)).isInstanceOf(SubmitOutcome.Created.class);
    }

    @Test
    void concurrentSubmitsNeverTakeMoreThanTheBucketHolds() throws Exception {
        Admission rpm = bucket("rpm/" + ACCOUNT, 5);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<SubmitOutcome>> outcomes = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 40; i++) {
                NewJob nj = newJob(ACCOUNT, null, input("racing " + i), T0);
                outcomes.add(pool.submit(() -> {
                    go.await();
                    return store.submit(nj, rpm);
                }));
            }
            go.countDown();
        }
        int created = 0;
        for (Future<SubmitOutcome> f : outcomes) {
            created += f.get() instanceof SubmitOutcome.Created ? 1 : 0;
        }
        assertThat(created).isEqualTo(5);
        assertThat(store.countUnfinished(ACCOUNT)).isEqualTo(5);
    }

    @Test
    void aRefusedSubmitStoresNothing() {
        Admission rpm = bucket("rpm/" + ACCOUNT, 1);
        assertThat(submit(rpm, null, "first", T0)).isInstanceOf(SubmitOutcome.Created.class);
        NewJob refused = newJob(ACCOUNT, "key-refused", input("second"), T0);
        assertThat(store.submit(refused, rpm)).isInstanceOf(SubmitOutcome.Refused.class);
        assertThat(store.job(refused.id())).isEmpty();
        assertThat(store.events(refused.id(), 0, 100)).isEmpty();
        assertThat(store.countUnfinished(ACCOUNT)).isEqualTo(1);
        assertThat(store.jobs(new JobQuery(ACCOUNT, null, null, null, 10, null)).jobs()).hasSize(1);
        assertThat(store.claim("node-1", 10, T0, T0.plus(LEASE))).hasSize(1);
        // The idempotency key was not taken either: the same request later is a new job, not a replay.
        NewJob later = newJob(ACCOUNT, "key-refused", input("second"), T0.plusSeconds(60));
        assertThat(store.submit(later, rpm)).isInstanceOfSatisfying(SubmitOutcome.Created.class, c -> assertThat(c.job().id()).isEqualTo(later.id()));
    }

    @Test
    void aRepeatOfAnAcceptedRequestIsAnsweredEvenWhenTheBucketIsEmpty() {
        Admission rpm = bucket("rpm/" + ACCOUNT, 1);
        Job created = ((SubmitOutcome.Created) submit(rpm, "same-key", "same body", T0)).job();
        assertThat(submit(rpm, null, "new request", T0)).isInstanceOf(SubmitOutcome.Refused.class);
        assertThat(submit(rpm, "same-key", "same body", T0.plusSeconds(1)))
                .isInstanceOfSatisfying(SubmitOutcome.Existing.class, e -> assertThat(e.job().id()).isEqualTo(created.id()));
        assertThat(submit(rpm, "same-key", "other body", T0.plusSeconds(1))).isEqualTo(new SubmitOutcome.Conflict(created.id()));
        // Answering the repeat took no token: the next one is due exactly 60 s after the first.
        assertThat(submit(rpm, null, "next", T0.plusSeconds(60))).isInstanceOf(SubmitOutcome.Created.class);
    }

    @Test
    void aCostCeilingRefusesOnceUsedReachesTheMax() {
        spend(COST, Hold.Unit.MICRO_USD, 999);
        assertThat(submit(ceiling(COST, 1_000, Hold.Unit.MICRO_USD), null, "under", T0)).isInstanceOf(SubmitOutcome.Created.class);
        spend(COST, Hold.Unit.MICRO_USD, 1);
        LimitHit hit = refusal(submit(ceiling(COST, 1_000, Hold.Unit.MICRO_USD), null, "at the max", T0));
        assertThat(hit.code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
        assertThat(hit.limit()).isEqualTo("cost_per_month_usd");
        assertThat(hit.scope()).isEqualTo("account " + ACCOUNT);
        assertThat(hit.retryAfter()).contains(Duration.between(T0, Scope.monthEnd(T0)));
        assertThat(hit.message()).contains("$0.001000");
        assertThat(submit(ceiling(COST, 1_001, Hold.Unit.MICRO_USD), null, "a higher max", T0)).isInstanceOf(SubmitOutcome.Created.class);
    }

    @Test
    void aTokenCeilingRefusesWithQuotaExceededOnSettledSpendAlone() {
        spend(TOKENS, Hold.Unit.TOKENS, 599);
        // A call in flight holds 400 of the 401 left: it settles at what the provider reports,
        // usually less, so it does not make the period's refusal final.
        reserve(store, reservation("rsv_1", T0.plusSeconds(90), tokenHold(TOKENS, 400, 10_000)));
        assertThat(submit(ceiling(TOKENS, 1_000, Hold.Unit.TOKENS), null, "held, not spent", T0)).isInstanceOf(SubmitOutcome.Created.class);
        // Its node died: the call is charged at its estimate as an unknown outcome, which is
        // settled spend like any other, so admission counts it.
        assertThat(store.expireReservations(T0.plusSeconds(91))).isEqualTo(1);
        assertThat(store.counter(TOKENS)).isEqualTo(new Counter(999, 0));
        assertThat(submit(ceiling(TOKENS, 1_000, Hold.Unit.TOKENS), null, "one token left", T0.plusSeconds(91))).isInstanceOf(SubmitOutcome.Created.class);
        spend(TOKENS, Hold.Unit.TOKENS, 1);
        LimitHit hit = refusal(submit(ceiling(TOKENS, 1_000, Hold.Unit.TOKENS), null, "none left", T0.plusSeconds(91)));
        assertThat(hit.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(hit.limit()).isEqualTo("tokens_per_day");
        assertThat(hit.retryAfter()).contains(Duration.between(T0.plusSeconds(91), Scope.dayEnd(T0)));
    }

    @Test
    void aCeilingRefusesWhenWhatIsLeftCannotCoverTheFirstCall() {
        spend(COST, Hold.Unit.MICRO_USD, 154);
        Admission.Ceiling needs346 = new Admission.Ceiling(COST, 500, Hold.Unit.MICRO_USD, "cost_per_month_usd", "account " + ACCOUNT,
                Scope.monthEnd(T0), 346, "the cheapest possible first call of meetings/notes");
        Admission.Ceiling needs347 = new Admission.Ceiling(COST, 500, Hold.Unit.MICRO_USD, "cost_per_month_usd", "account " + ACCOUNT,
                Scope.monthEnd(T0), 347, "the cheapest possible first call of meetings/notes");
        assertThat(submit(new Admission(List.of(), List.of(needs346), null), null, "exactly enough", T0)).isInstanceOf(SubmitOutcome.Created.class);
        LimitHit hit = refusal(submit(new Admission(List.of(), List.of(needs347), null), null, "one short", T0));
        assertThat(hit.code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
        assertThat(hit.limit()).isEqualTo("cost_per_month_usd");
        assertThat(hit.retryAfter()).contains(Duration.between(T0, Scope.monthEnd(T0)));
        assertThat(hit.message()).contains("$0.000346 left").contains("$0.000347 needed for the cheapest possible first call of meetings/notes");
        // The refused submit left no job behind.
        assertThat(store.countUnfinished(ACCOUNT)).isEqualTo(1);
    }

    @Test
    void aRefusalTakesNoTokenFromAnyBucket() {
        spend(COST, Hold.Unit.MICRO_USD, 1_000);
        Admission.Bucket fresh = new Admission.Bucket("rpm/fresh", 1, Duration.ofMinutes(1), "requests_per_minute", "account " + ACCOUNT);
        Admission.Bucket empty = new Admission.Bucket("rpm/empty", 1, Duration.ofMinutes(1), "requests_per_minute", "workflow x for account " + ACCOUNT);
        Admission.Ceiling full = new Admission.Ceiling(COST, 1_000, Hold.Unit.MICRO_USD, "cost_per_month_usd", "account " + ACCOUNT, Scope.monthEnd(T0));
        assertThat(submit(new Admission(List.of(empty), List.of(), null), null, "empties it", T0)).isInstanceOf(SubmitOutcome.Created.class);

        assertThat(refusal(submit(new Admission(List.of(fresh), List.of(full), null), null, "over budget", T0)).code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
        LimitHit second = refusal(submit(new Admission(List.of(fresh, empty), List.of(), null), null, "second bucket empty", T0));
        assertThat(second.scope()).isEqualTo("workflow x for account " + ACCOUNT);
        // Neither refusal took the fresh bucket's one token.
        assertThat(submit(new Admission(List.of(fresh), List.of(), null), null, "fresh still full", T0)).isInstanceOf(SubmitOutcome.Created.class);
    }

    // ---- failure cooldown ------------------------------------------------------------------------

    private static final Admission.Cooldown COOLDOWN = new Admission.Cooldown(ACCOUNT, 3, Duration.ofSeconds(30));

    /** Claims {@code n} new jobs of the account and ends each as {@code to} with {@code error}, one second apart from {@code T0 + 1s}. */
    private void finishJobs(int n, JobStatus to, ErrorCode error) {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(submitted());
        }
        assertThat(store.claim("node-1", n, T0, T0.plus(LEASE))).hasSize(n);
        for (int i = 0; i < n; i++) {
            JobTransition.Builder t = JobTransition.to(jobs.get(i).id(), to, T0.plusSeconds(i + 1)).from(JobStatus.PROCESSING).leasedBy("node-1");
            if (error != null) {
                t.error(JobError.of(error, "HTTP 503"));
            } else {
                t.result(Json.object(), ResultType.FULL);
            }
            assertThat(store.apply(t.build())).isTrue();
        }
    }

    private SubmitOutcome submitWithCooldown(String account, Instant at) {
        return store.submit(newJob(account, null, input("after failures " + at), at), new Admission(List.of(), List.of(),
                new Admission.Cooldown(account, COOLDOWN.failures(), COOLDOWN.duration())));
    }

    @Test
    void upstreamFailuresInARowCoolTheAccountDown() {
        finishJobs(3, JobStatus.FAILED, ErrorCode.PROVIDER_UNAVAILABLE); // the last at T0 + 3 s
        LimitHit hit = refusal(submitWithCooldown(ACCOUNT, T0.plusSeconds(10)));
        assertThat(hit.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(hit.limit()).isEqualTo("failure_cooldown");
        assertThat(hit.scope()).isEqualTo("account " + ACCOUNT);
        assertThat(hit.retryAfter()).contains(Duration.ofSeconds(23));
        assertThat(submitWithCooldown(OTHER_ACCOUNT, T0.plusSeconds(10))).as("other accounts are not cooled").isInstanceOf(SubmitOutcome.Created.class);
        assertThat(submitWithCooldown(ACCOUNT, T0.plusSeconds(32))).isInstanceOf(SubmitOutcome.Refused.class);
        assertThat(submitWithCooldown(ACCOUNT, T0.plusSeconds(33))).isInstanceOf(SubmitOutcome.Created.class);
        assertThat(store.submit(newJob(ACCOUNT, null, input("no cooldown configured"), T0.plusSeconds(10)))).isInstanceOf(SubmitOutcome.Created.class);
    }

    @Test
    void fewerFailuresThanTheThresholdDoNotCoolDown() {
        finishJobs(2, JobStatus.FAILED, ErrorCode.PROVIDER_TIMEOUT);
        assertThat(submitWithCooldown(ACCOUNT, T0.plusSeconds(10))).isInstanceOf(SubmitOutcome.Created.class);
    }

    @Test
    void failuresForTheRequestsOwnReasonsDoNotCoolDown() {
        finishJobs(3, JobStatus.FAILED, ErrorCode.REVIEW_REJECTED);
        assertThat(submitWithCooldown(ACCOUNT, T0.plusSeconds(10))).isInstanceOf(SubmitOutcome.Created.class);
    }

    @Test
    void aCompletedJobResetsTheCount() {
        finishJobs(3, JobStatus.FAILED, ErrorCode.PROVIDER_UNAVAILABLE);
        assertThat(submitWithCooldown(ACCOUNT, T0.plusSeconds(10))).isInstanceOf(SubmitOutcome.Refused.class);
        Job ok = submitted(ACCOUNT, T0.plusSeconds(4));
        assertThat(store.claim("node-2", 10, T0.plusSeconds(4), T0.plusSeconds(4).plus(LEASE))).extracting(Job::id).contains(ok.id());
        assertThat(store.apply(complete(ok, "node-2", T0.plusSeconds(5)))).isTrue();
        assertThat(submitWithCooldown(ACCOUNT, T0.plusSeconds(10))).isInstanceOf(SubmitOutcome.Created.class);
        // Counting starts again from zero: two more failures are not enough.
        finishJobs(2, JobStatus.FAILED, ErrorCode.PROVIDER_UNAVAILABLE);
        assertThat(submitWithCooldown(ACCOUNT, T0.plusSeconds(10))).isInstanceOf(SubmitOutcome.Created.class);
    }

    // ---- account limits --------------------------------------------------------------------------

    @Test
    void limitsReadBackAsSetAndSurviveReopening() {
        assertThat(store.limits(ACCOUNT)).isEqualTo(AccountLimits.NONE);
        AccountLimits all = new AccountLimits(600L, 2_000_000L, 250_000_000L, 20);
        store.setLimits(ACCOUNT, all, "key_admin", T0);
        assertThat(store.limits(ACCOUNT)).isEqualTo(all);
        assertThat(store.limits(OTHER_ACCOUNT)).isEqualTo(AccountLimits.NONE);
        AccountLimits some = new AccountLimits(null, 0L, null, 1);
        store.setLimits(ACCOUNT, some, "key_admin", T0.plusSeconds(1));
        assertThat(store.limits(ACCOUNT)).as("a PUT replaces every limit").isEqualTo(some);
        reopen();
        assertThat(store.limits(ACCOUNT)).isEqualTo(some);
        store.setLimits(ACCOUNT, AccountLimits.NONE, "key_admin", T0.plusSeconds(2));
        assertThat(store.limits(ACCOUNT)).isEqualTo(AccountLimits.NONE);
    }

    // ---- usage -----------------------------------------------------------------------------------

    @Test
    void usageIsGroupedByDayWorkflowModelAndAccountWithinItsBounds() {
        Instant from = Instant.parse("2026-11-21T00:00:00Z");
        Instant to = Instant.parse("2026-11-23T00:00:00Z");
        store.charge(List.of(
                usageCharge("c0", ACCOUNT, "support/draft-response", "openai", "gpt-4o-mini", 1, 0, 1, 1, from.minusMillis(1)),
                usageCharge("c1", ACCOUNT, "support/draft-response", "openai", "gpt-4o-mini", 100, 20, 50, 30, from),
                usageCharge("c2", ACCOUNT, "leads/classify", "openai", "gpt-4o-mini", 200, 0, 10, 40, Instant.parse("2026-11-21T23:59:59.999Z")),
                usageCharge("c3", ACCOUNT, "support/draft-response", "anthropic", "claude-haiku-4-5", 300, 100, 30, 70, Instant.parse("2026-11-22T00:00:00Z")),
                usageCharge("c4", OTHER_ACCOUNT, "support/draft-response", "openai", "gpt-4o-mini", 400, 0, 40, 90, Instant.parse("2026-11-22T13:00:00Z")),
                usageCharge("c5", ACCOUNT, "support/draft-response", "openai", "gpt-4o-mini", 1, 0, 1, 1, to)));

        assertThat(store.usage(new UsageQuery(ACCOUNT, from, to, UsageQuery.GroupBy.DAY))).containsExactlyInAnyOrder(
                new UsageQuery.Row("2026-11-21", 2, 300, 20, 60, 70),
                new UsageQuery.Row("2026-11-22", 1, 300, 100, 30, 70));
        assertThat(store.usage(new UsageQuery(ACCOUNT, from, to, UsageQuery.GroupBy.WORKFLOW))).containsExactlyInAnyOrder(
                new UsageQuery.Row("support/draft-response", 2, 400, 120, 80, 100),
                new UsageQuery.Row("leads/classify", 1, 200, 0, 10, 40));
        assertThat(store.usage(new UsageQuery(ACCOUNT, from, to, UsageQuery.GroupBy.MODEL))).containsExactlyInAnyOrder(
                new UsageQuery.Row("openai/gpt-4o-mini", 2, 300, 20, 60, 70),
                new UsageQuery.Row("anthropic/claude-haiku-4-5", 1, 300, 100, 30, 70));
        assertThat(store.usage(new UsageQuery(null, from, to, UsageQuery.GroupBy.ACCOUNT))).containsExactlyInAnyOrder(
                new UsageQuery.Row(ACCOUNT, 3, 600, 120, 90, 140),
                new UsageQuery.Row(OTHER_ACCOUNT, 1, 400, 0, 40, 90));
        assertThat(store.usage(new UsageQuery(OTHER_ACCOUNT, from, to, UsageQuery.GroupBy.MODEL)))
                .containsExactly(new UsageQuery.Row("openai/gpt-4o-mini", 1, 400, 0, 40, 90));
        assertThat(store.usage(new UsageQuery(ACCOUNT, to, to.plusSeconds(1), UsageQuery.GroupBy.DAY)))
                .as("to is exclusive, from inclusive").containsExactly(new UsageQuery.Row("2026-11-23", 1, 1, 0, 1, 1));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0.plus(Duration.ofDays(30)), T0.plus(Duration.ofDays(31)), UsageQuery.GroupBy.DAY))).isEmpty();
    }

    @Test
    void usageOfOneWorkflowIsGroupedByDay() {
        Instant from = Instant.parse("2026-11-21T00:00:00Z");
        Instant to = Instant.parse("2026-11-23T00:00:00Z");
        store.charge(List.of(
                usageCharge("c1", ACCOUNT, "support/draft-response", "openai", "gpt-4o-mini", 100, 20, 50, 30, from),
                usageCharge("c2", ACCOUNT, "leads/classify", "openai", "gpt-4o-mini", 200, 0, 10, 40, Instant.parse("2026-11-21T12:00:00Z")),
                usageCharge("c3", ACCOUNT, "support/draft-response", "openai", "gpt-4o-mini", 300, 0, 30, 70, Instant.parse("2026-11-22T08:00:00Z")),
                usageCharge("c4", OTHER_ACCOUNT, "support/draft-response", "openai", "gpt-4o-mini", 400, 0, 40, 90, Instant.parse("2026-11-22T13:00:00Z"))));

        assertThat(store.usage(new UsageQuery(ACCOUNT, from, to, UsageQuery.GroupBy.DAY, "support/draft-response"))).containsExactly(
                new UsageQuery.Row("2026-11-21", 1, 100, 20, 50, 30),
                new UsageQuery.Row("2026-11-22", 1, 300, 0, 30, 70));
        assertThat(store.usage(new UsageQuery(ACCOUNT, from, to, UsageQuery.GroupBy.DAY, "leads/classify")))
                .containsExactly(new UsageQuery.Row("2026-11-21", 1, 200, 0, 10, 40));
        assertThat(store.usage(new UsageQuery(null, from, to, UsageQuery.GroupBy.ACCOUNT, "support/draft-response"))).containsExactly(
                new UsageQuery.Row(ACCOUNT, 2, 400, 20, 80, 100),
                new UsageQuery.Row(OTHER_ACCOUNT, 1, 400, 0, 40, 90));
        assertThat(store.usage(new UsageQuery(ACCOUNT, from, to, UsageQuery.GroupBy.DAY, "briefs/none"))).isEmpty();
    }

    // ---- fair claims and concurrency ---------------------------------------------------------------

    @Test
    void oneAccountsFloodDoesNotHoldBackAnotherAccountsJob() {
        for (int i = 0; i < 200; i++) {
            submitted(ACCOUNT, T0);
        }
        Job single = submitted(OTHER_ACCOUNT, T0.plusSeconds(1));
        Instant now = T0.plusSeconds(1);
        List<Job> batch = store.claim("node-1", 8, now, now.plus(LEASE));
        assertThat(batch).hasSize(8).extracting(Job::id).contains(single.id());
        assertThat(batch).filteredOn(j -> j.accountId().equals(ACCOUNT)).hasSize(7);
    }

    @Test
    void accountsShareABatchEvenly() {
        for (int i = 0; i < 20; i++) {
            submitted(ACCOUNT, T0);
            submitted(OTHER_ACCOUNT, T0.plusSeconds(1));
            submitted("acct_c", T0.plusSeconds(2));
        }
        Instant now = T0.plusSeconds(2);
        List<Job> batch = store.claim("node-1", 9, now, now.plus(LEASE));
        assertThat(batch).hasSize(9);
        assertThat(batch.stream().collect(java.util.stream.Collectors.groupingBy(Job::accountId, java.util.stream.Collectors.counting())))
                .isEqualTo(Map.of(ACCOUNT, 3L, OTHER_ACCOUNT, 3L, "acct_c", 3L));
    }

    @Test
    void accountsTakeTurnsWhenTheBatchIsSmallerThanTheirNumber() {
        for (String account : List.of(ACCOUNT, OTHER_ACCOUNT, "acct_c")) {
            for (int i = 0; i < 5; i++) {
                submitted(account, T0);
            }
        }
        List<String> served = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            served.add(store.claim("node-1", 1, T0, T0.plus(LEASE)).getFirst().accountId());
        }
        assertThat(served.subList(0, 3)).containsExactlyInAnyOrder(ACCOUNT, OTHER_ACCOUNT, "acct_c");
        assertThat(served.subList(3, 6)).containsExactlyInAnyOrder(ACCOUNT, OTHER_ACCOUNT, "acct_c");
    }

    private long processing(String account) {
        return store.jobs(new JobQuery(account, null, JobStatus.PROCESSING, null, 500, null)).jobs().size();
    }

    @Test
    void maxConcurrentJobsBoundsHowManyOfAnAccountsJobsAreLeased() {
        store.setLimits(ACCOUNT, new AccountLimits(null, null, null, 2), "key_admin", T0);
        Instant hour = T0.plus(Duration.ofHours(1)); // no lease runs out during this test
        for (int i = 0; i < 5; i++) {
            submitted(ACCOUNT, T0);
        }
        for (int i = 0; i < 3; i++) {
            submitted(OTHER_ACCOUNT, T0);
        }
        List<Job> first = store.claim("node-1", 10, T0, hour);
        assertThat(first).filteredOn(j -> j.accountId().equals(ACCOUNT)).hasSize(2);
        assertThat(first).filteredOn(j -> j.accountId().equals(OTHER_ACCOUNT)).hasSize(3);
        assertThat(store.claim("node-2", 10, T0, hour)).as("two are processing: no third").isEmpty();

        Job running = first.stream().filter(j -> j.accountId().equals(ACCOUNT)).findFirst().orElseThrow();
        assertThat(store.apply(complete(running, "node-1", T0.plusSeconds(1)))).isTrue();
        List<Job> next = store.claim("node-2", 10, T0.plusSeconds(1), hour);
        assertThat(next).hasSize(1).allSatisfy(j -> assertThat(j.accountId()).isEqualTo(ACCOUNT));
        assertThat(processing(ACCOUNT)).isEqualTo(2);

        // A job waiting to retry is not running: it frees its slot until it is claimed again.
        Job retrying = next.getFirst();
        assertThat(store.apply(JobTransition.to(retrying.id(), JobStatus.RETRYING, T0.plusSeconds(2)).leasedBy("node-2").releaseLease()
                .nextRunAt(T0.plusSeconds(60)).error(JobError.of(ErrorCode.PROVIDER_TIMEOUT, "no answer in 5s")).build())).isTrue();
        assertThat(store.claim("node-3", 10, T0.plusSeconds(2), hour)).hasSize(1);
        assertThat(store.claim("node-3", 10, T0.plusSeconds(60), hour)).as("the retry waits for a slot").isEmpty();
        assertThat(processing(ACCOUNT)).isEqualTo(2);

        store.setLimits(ACCOUNT, AccountLimits.NONE, "key_admin", T0.plusSeconds(61));
        assertThat(store.claim("node-3", 10, T0.plusSeconds(61), hour)).as("limit lifted").hasSize(2);
    }

    @Test
    void aClaimOverHundredsOfAccountsStillHoldsEachToItsLimit() throws Exception {
        // More accounts with due jobs than SQLite's statements list one parameter at a time.
        int accounts = 600;
        String limited = "acct_0000";
        store.setLimits(limited, new AccountLimits(null, null, null, 1), "key_admin", T0);
        submitted(limited, T0);
        List<Future<Job>> submits = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < accounts; i++) {
                String account = String.format("acct_%04d", i);
                submits.add(pool.submit(() -> submitted(account, T0)));
            }
        }
        for (Future<Job> f : submits) {
            f.get();
        }
        List<Job> batch = store.claim("node-1", 1_000, T0, T0.plus(Duration.ofHours(1)));
        assertThat(batch).hasSize(accounts);
        assertThat(batch).filteredOn(j -> j.accountId().equals(limited)).hasSize(1);
        assertThat(batch.stream().map(Job::accountId).distinct()).hasSize(accounts);
    }

    @Test
    void theConfiguredDefaultMaxConcurrentJobsBoundsEveryAccountWithoutItsOwn() {
        AccountLimits defaults = new AccountLimits(null, null, null, 2);
        store.setLimits(OTHER_ACCOUNT, new AccountLimits(null, null, null, 3), "key_admin", T0);
        store.setLimits("acct_c", new AccountLimits(100L, null, null, null), "key_admin", T0); // a row, but no max_concurrent_jobs of its own
        for (String account : List.of(ACCOUNT, OTHER_ACCOUNT, "acct_c")) {
            for (int i = 0; i < 5; i++) {
                submitted(account, T0);
            }
        }
        Instant hour = T0.plus(Duration.ofHours(1));
        List<Job> first = store.claim("node-1", 20, T0, hour, defaults);
        assertThat(first.stream().collect(java.util.stream.Collectors.groupingBy(Job::accountId, java.util.stream.Collectors.counting())))
                .as("the default for two accounts, the account's own 3 for the other").isEqualTo(Map.of(ACCOUNT, 2L, OTHER_ACCOUNT, 3L, "acct_c", 2L));
        assertThat(store.claim("node-2", 20, T0, hour, defaults)).isEmpty();
        Job done = first.stream().filter(j -> j.accountId().equals(ACCOUNT)).findFirst().orElseThrow();
        assertThat(store.apply(complete(done, "node-1", T0.plusSeconds(1)))).isTrue();
        assertThat(store.claim("node-2", 20, T0.plusSeconds(1), hour, defaults)).extracting(Job::accountId).containsExactly(ACCOUNT);
        assertThat(store.claim("node-2", 20, T0.plusSeconds(1), hour)).as("without the default only the accounts' own limits hold")
                .extracting(Job::accountId).containsOnly(ACCOUNT, "acct_c").hasSize(5);
    }

    @Test
    void concurrentClaimersNeverLeaseAThirdJobOfALimitedAccount() throws Exception {
        store.setLimits(ACCOUNT, new AccountLimits(null, null, null, 2), "key_admin", T0);
        for (int i = 0; i < 40; i++) {
            submitted(ACCOUNT, T0);
            submitted(OTHER_ACCOUNT, T0);
        }
        AtomicInteger over = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Object>> claimers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 4; c++) {
                String owner = "node-" + c;
                claimers.add(pool.submit(() -> {
                    go.await();
                    for (int round = 0; round < 500 && store.countUnfinished(null) > 0; round++) {
                        List<Job> got = store.claim(owner, 3, T0, T0.plus(LEASE));
                        if (processing(ACCOUNT) > 2) {
                            over.incrementAndGet();
                        }
                        for (Job j : got) {
                            if (store.apply(complete(j, owner, T0))) {
                                finished.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
        }
        for (Future<Object> f : claimers) {
            f.get();
        }
        assertThat(over.get()).as("times more than two of the account's jobs were processing").isZero();
        assertThat(finished.get()).as("every job ran").isEqualTo(80);
    }

    // ---- audit log ---------------------------------------------------------------------------------

    /** Changes the store's files or tables behind its back, as someone with database access could. */
    protected abstract void tamper(String sql) throws java.sql.SQLException;

    private static dev.mainstay.audit.AuditEvent auditEvent(dev.mainstay.audit.AuditAction action, String subject, Instant at) {
        return new dev.mainstay.audit.AuditEvent(at, "key:key_test", action, ACCOUNT, subject, Json.object().put("n", subject));
    }

    /** A job that was submitted, claimed and ran one stage with one model call: a chain of five records. */
    private Job auditedJob() {
        NewJob n = newJob(ACCOUNT, null, input("audited"), T0);
        NewJob job = new NewJob(n.id(), n.accountId(), n.workflow(), n.workflowVersion(), n.input(), n.inputHash(), n.idempotencyKey(), n.requestHash(),
                n.priority(), n.createdAt(), n.deadlineAt(), List.of(auditEvent(dev.mainstay.audit.AuditAction.JOB_SUBMITTED, n.id(), T0)));
        assertThat(store.submit(job)).isInstanceOf(SubmitOutcome.Created.class);
        assertThat(store.claim("node-a", 1, T0, T0.plus(LEASE))).hasSize(1);
        Charge call = new Charge("call_" + job.id(), null, ACCOUNT, job.id(), "support/draft-response", "triage", "openai", "gpt-4o-mini", 100, 0, 20, 42, T0.plusMillis(5), List.of());
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, T0.plusMillis(10)).from(JobStatus.PROCESSING).leasedBy("node-a")
                .result(Json.object().put("category", "billing"), ResultType.FULL).stageRun(run(store.job(job.id()).orElseThrow(), "completed", new Usage(100, 20, 42)))
                .charges(List.of(call)).build())).isTrue();
        return store.job(job.id()).orElseThrow();
    }

    @Test
    void theAuditLogChainsSubmitStagesAndModelCallsInOrder() {
        Job job = auditedJob();
        store.audit(List.of(auditEvent(dev.mainstay.audit.AuditAction.LIMITS_CHANGED, ACCOUNT, T0.plusSeconds(1))));
        List<dev.mainstay.audit.AuditRecord> all = store.auditLog(dev.mainstay.audit.AuditQuery.all(100));
        assertThat(all).extracting(r -> r.event().action().wire())
                .containsExactly("job.submitted", "model.called", "stage.started", "stage.ended", "limits.changed");
        assertThat(all).extracting(dev.mainstay.audit.AuditRecord::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(all.getFirst().prevHash()).isEqualTo(dev.mainstay.audit.AuditChain.GENESIS);
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).prevHash()).isEqualTo(all.get(i - 1).hash());
        }
        assertThat(all.subList(0, 4)).allSatisfy(r -> {
            assertThat(r.jobId()).isEqualTo(job.id());
            assertThat(r.event().accountId()).isEqualTo(ACCOUNT);
        });
        assertThat(all.get(1).event().details().path("output_tokens").asLong()).isEqualTo(20);
        assertThat(all.get(3).event().details().path("status").asString()).isEqualTo("completed");
        assertThat(store.verifyAudit()).isEqualTo(new dev.mainstay.audit.AuditCheck.Intact(5, all.getLast().hash()));

        reopen();
        assertThat(store.verifyAudit()).isInstanceOf(dev.mainstay.audit.AuditCheck.Intact.class);
        assertThat(store.auditLog(new dev.mainstay.audit.AuditQuery(job.id(), null, null, null, null, null, 0, 100))).hasSize(4);
        assertThat(store.auditLog(new dev.mainstay.audit.AuditQuery(null, "engine", null, null, null, null, 0, 100))).hasSize(3);
        assertThat(store.auditLog(new dev.mainstay.audit.AuditQuery(null, null, dev.mainstay.audit.AuditAction.MODEL_CALLED, null, null, null, 0, 100))).hasSize(1);
        assertThat(store.auditLog(new dev.mainstay.audit.AuditQuery(null, null, null, OTHER_ACCOUNT, null, null, 0, 100))).isEmpty();
        assertThat(store.auditLog(new dev.mainstay.audit.AuditQuery(null, null, null, null, T0.plusMillis(6), T0.plusSeconds(1), 0, 100)))
                .extracting(r -> r.event().action().wire()).containsExactly("stage.ended");
        assertThat(store.auditLog(new dev.mainstay.audit.AuditQuery(null, null, null, null, null, null, 3, 1))).extracting(dev.mainstay.audit.AuditRecord::seq).containsExactly(4L);
    }

    @Test
    void aTransitionThatDoesNotApplyAddsNoAuditRecordsButItsModelCallsAreKept() {
        Job job = claimed("node-a");
        Charge call = new Charge("call_lost", null, ACCOUNT, job.id(), "support/draft-response", "triage", "openai", "gpt-4o-mini", 10, 0, 2, 5, T0, List.of());
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, T0).from(JobStatus.PROCESSING).leasedBy("node-b")
                .result(Json.object(), ResultType.FULL).stageRun(run(job, "completed", Usage.ZERO)).charges(List.of(call))
                .audit(auditEvent(dev.mainstay.audit.AuditAction.JOB_CANCELLED, job.id(), T0)).build())).isFalse();
        assertThat(store.auditLog(dev.mainstay.audit.AuditQuery.all(100))).extracting(r -> r.event().action().wire()).containsExactly("model.called");
        store.charge(List.of(call)); // sent again: recorded once
        assertThat(store.auditLog(dev.mainstay.audit.AuditQuery.all(100))).hasSize(1);
    }

    @Test
    void verifyFindsAnEditedRecord() throws Exception {
        auditedJob();
        tamper("UPDATE audit_log SET details = '{\"output_tokens\":2}' WHERE seq = 2");
        assertThat(store.verifyAudit()).isInstanceOfSatisfying(dev.mainstay.audit.AuditCheck.Broken.class, b -> {
            assertThat(b.seq()).isEqualTo(2);
            assertThat(b.kind()).isEqualTo(dev.mainstay.audit.AuditCheck.Problem.EDITED);
            assertThat(b.problem()).contains("record 2 (model.called)");
        });
    }

    @Test
    void verifyFindsADeletedRecord() throws Exception {
        auditedJob();
        tamper("DELETE FROM audit_log WHERE seq = 3");
        assertThat(store.verifyAudit()).isInstanceOfSatisfying(dev.mainstay.audit.AuditCheck.Broken.class, b -> {
            assertThat(b.seq()).isEqualTo(3);
            assertThat(b.kind()).isEqualTo(dev.mainstay.audit.AuditCheck.Problem.MISSING);
        });
        // Renumbered to hide the gap: the link from record 3 still names the deleted record.
        tamper("UPDATE audit_log SET seq = seq - 1 WHERE seq > 3");
        tamper("UPDATE audit_log SET seq = 3 WHERE seq = 4");
        assertThat(store.verifyAudit()).isInstanceOfSatisfying(dev.mainstay.audit.AuditCheck.Broken.class, b -> assertThat(b.seq()).isEqualTo(3));
    }

    @Test
    void verifyFindsReorderedRecords() throws Exception {
        auditedJob();
        tamper("UPDATE audit_log SET seq = 100 WHERE seq = 2");
        tamper("UPDATE audit_log SET seq = 2 WHERE seq = 3");
        tamper("UPDATE audit_log SET seq = 3 WHERE seq = 100");
        assertThat(store.verifyAudit()).isInstanceOfSatisfying(dev.mainstay.audit.AuditCheck.Broken.class, b -> {
            assertThat(b.seq()).isEqualTo(2);
            assertThat(b.kind()).isEqualTo(dev.mainstay.audit.AuditCheck.Problem.OUT_OF_ORDER);
            assertThat(b.problem()).contains("reordered");
        });
    }

    // ---- tool calls --------------------------------------------------------------------------------

    @Test
    void aFailedToolCallKeepsItsHttpStatusThoughItHasNoResponse() {
        var failed = new dev.mainstay.tool.ToolCall("job_x", "send", "crm", dev.mainstay.tool.ToolScope.EXECUTE, "job_x/send",
                dev.mainstay.tool.ToolCall.Status.FAILED, Json.object().put("method", "POST"), null, 503, "key_boss", "the crm answered 503", T0);
        store.recordToolCall(failed);
        assertThat(store.toolCall("job_x", "send")).contains(failed);
    }

    @Test
    void aToolCallIsRecordedThenReplacedByItsOutcome() {
        assertThat(store.toolCall("job_x", "send")).isEmpty();
        var intent = new dev.mainstay.tool.ToolCall("job_x", "send", "crm", dev.mainstay.tool.ToolScope.EXECUTE, "job_x/send",
                dev.mainstay.tool.ToolCall.Status.INTENT, Json.object().put("method", "POST"), null, null, "key_boss", null, T0);
        store.recordToolCall(intent);
        assertThat(store.toolCall("job_x", "send")).contains(intent);
        var done = new dev.mainstay.tool.ToolCall("job_x", "send", "crm", dev.mainstay.tool.ToolScope.EXECUTE, "job_x/send",
                dev.mainstay.tool.ToolCall.Status.DONE, Json.object().put("method", "POST"), Json.object().put("id", 7), 201, "key_boss", null, T0.plusSeconds(1));
        store.recordToolCall(done);
        reopen();
        assertThat(store.toolCall("job_x", "send")).contains(done);
        assertThat(store.toolCall("job_x", "other")).isEmpty();
    }

    // ---- the event feed -----------------------------------------------------------------------

    @Test
    void theEventFeedHoldsEveryEventOnceInOrderWithItsJobsAccountWorkflowAndStatus() {
        dev.mainstay.job.EventCursor start = store.feedHead();
        Job a = claimed("node-1");
        assertThat(store.apply(complete(a, "node-1", T0.plusSeconds(1)))).isTrue();
        Job b = submitted(OTHER_ACCOUNT, T0.plusSeconds(2));

        List<dev.mainstay.job.FeedEvent> all = store.feed(start, null, 100).events();
        assertThat(all).extracting(e -> e.event().jobId() + ":" + e.event().type() + ":" + e.status().wire())
                .containsExactly(a.id() + ":submitted:queued", a.id() + ":processing:processing", a.id() + ":completed:completed", b.id() + ":submitted:queued");
        assertThat(all).extracting(dev.mainstay.job.FeedEvent::cursor).isSorted().doesNotHaveDuplicates();
        assertThat(all).extracting(dev.mainstay.job.FeedEvent::workflow).containsOnly("support/draft-response");
        assertThat(all.get(2).terminal()).isTrue();
        assertThat(all.get(1).terminal()).isFalse();
        assertThat(store.feedHead()).isEqualTo(all.getLast().cursor());
        assertThat(store.feed(store.feedHead(), null, 100).events()).isEmpty();

        assertThat(store.feed(start, OTHER_ACCOUNT, 100).events()).extracting(e -> e.event().jobId()).containsExactly(b.id());
        assertThat(store.feed(all.get(0).cursor(), ACCOUNT, 1).events()).extracting(e -> e.event().type()).containsExactly("processing");
        assertThat(store.jobFeed(a.id(), all.get(0).event().seq(), 100)).extracting(e -> e.event().type()).containsExactly("processing", "completed");
        assertThat(store.jobFeed(a.id(), 0, 100)).extracting(e -> e.event().seq())
                .isEqualTo(store.events(a.id(), 0, 100).stream().map(JobEvent::seq).toList());
    }

    @Test
    void theEventFeedSurvivesAReopenAndPagesWithoutGapOrRepeat() {
        dev.mainstay.job.EventCursor start = store.feedHead();
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            jobs.add(submitted(ACCOUNT, T0.plusSeconds(i)).id());
        }
        reopen();
        List<String> read = new ArrayList<>();
        dev.mainstay.job.EventCursor at = start;
        while (true) {
            List<dev.mainstay.job.FeedEvent> page = store.feed(at, ACCOUNT, 3).events();
            if (page.isEmpty()) {
                break;
            }
            page.forEach(e -> read.add(e.event().jobId()));
            at = page.getLast().cursor();
        }
        assertThat(read).isEqualTo(jobs);
    }

    @Test
    void writersOfEventsWakeTheFeedsListenersAfterTheirCommit() {
        AtomicInteger wakes = new AtomicInteger();
        store.onEvents(wakes::incrementAndGet);
        Job job = submitted();
        await().atMost(Duration.ofSeconds(10)).until(() -> wakes.get() >= 1);
        int before = wakes.get();
        assertThat(store.claim("node-1", 1, T0, T0.plus(LEASE))).extracting(Job::id).containsExactly(job.id());
        await().atMost(Duration.ofSeconds(10)).until(() -> wakes.get() > before);
    }

    // ---- eval runs ---------------------------------------------------------------------------------

    @Test
    void anEvalRunKeepsItsCasesInOrderScoresEachOnceAndFinishesOnce() {
        EvalRun run = new EvalRun("evr_1", "notes/summary", 2, "notes-summary", "abc123", "key_admin", 4, EvalRun.Status.RUNNING, T0, null, null);
        store.createEvalRun(run, List.of("zeta", "alpha", "mid"));
        reopen();
        assertThat(store.evalRun("evr_1")).contains(run);
        assertThat(store.runningEvalRuns()).containsExactly(run);
        assertThat(store.evalRunCases("evr_1")).extracting(EvalRunCase::caseId).containsExactly("zeta", "alpha", "mid");
        assertThat(store.evalRunCases("evr_1")).allSatisfy(c -> assertThat(c.jobId()).isNull());

        store.evalCaseSubmitted("evr_1", "alpha", "job_1");
        store.evalCaseSubmitted("evr_1", "alpha", "job_2"); // a second node's submit keeps the first job
        assertThat(store.evalRunCases("evr_1").get(1).jobId()).isEqualTo("job_1");

        assertThat(store.evalCaseScored("evr_1", "alpha", Json.object().put("case", "alpha").put("score", 1.0))).isTrue();
        assertThat(store.evalCaseScored("evr_1", "alpha", Json.object().put("case", "alpha").put("score", 0.0))).isFalse();
        assertThat(store.evalRunCases("evr_1").get(1).result().path("score").asDouble()).isEqualTo(1.0);
        assertThat(store.evalRunCases("evr_1").get(0).scored()).isFalse();

        assertThat(store.finishedEvalRuns("notes/summary", 10)).isEmpty();
        assertThat(store.finishEvalRun("evr_1", Json.object().put("quality", 0.5), T0.plusSeconds(5))).isTrue();
        assertThat(store.finishEvalRun("evr_1", Json.object().put("quality", 0.9), T0.plusSeconds(6))).isFalse();
        reopen();
        EvalRun finished = store.evalRun("evr_1").orElseThrow();
        assertThat(finished.status()).isEqualTo(EvalRun.Status.COMPLETED);
        assertThat(finished.finishedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(finished.summary().path("quality").asDouble()).isEqualTo(0.5);
        assertThat(store.runningEvalRuns()).isEmpty();
        assertThat(store.finishedEvalRuns("notes/summary", 10)).extracting(EvalRun::id).containsExactly("evr_1");
        assertThat(store.finishedEvalRuns("other/workflow", 10)).isEmpty();
        assertThat(store.finishedEvalRuns(null, 10)).hasSize(1);
        assertThat(store.evalRun("evr_missing")).isEmpty();
    }

    // ---- shadow runs and drift samples -------------------------------------------------------------

    private static dev.mainstay.store.ShadowRun sample(Job job, Instant at) {
        return new dev.mainstay.store.ShadowRun(job.id(), job.workflow(), 1, 2, at, null, null, null);
    }

    @Test
    void aFinishingTransitionSamplesItsJobForShadowOnceAndOnlyIfItApplies() {
        Job job = claimed("node-1");
        Instant at = T0.plusSeconds(1);
        // A node that lost the lease writes nothing, sample included.
        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, at).from(JobStatus.PROCESSING).leasedBy("node-2")
                .result(Json.object().put("reply", "x"), ResultType.FULL).sampleShadow(sample(job, at)).build())).isFalse();
        assertThat(store.pendingShadowRuns(10)).isEmpty();

        assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, at).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object().put("reply", "x"), ResultType.FULL).sampleShadow(sample(job, at)).build())).isTrue();
        reopen();
        assertThat(store.pendingShadowRuns(10)).containsExactly(sample(job, at));

        store.shadowSubmitted(job.id(), "job_shadow_1");
        store.shadowSubmitted(job.id(), "job_shadow_2"); // a second node's submit keeps the first
        assertThat(store.pendingShadowRuns(10).getFirst().shadowJobId()).isEqualTo("job_shadow_1");

        assertThat(store.shadowScored(job.id(), Json.object().put("agree", true), T0.plusSeconds(3))).isTrue();
        assertThat(store.shadowScored(job.id(), Json.object().put("agree", false), T0.plusSeconds(4))).isFalse();
        reopen();
        assertThat(store.pendingShadowRuns(10)).isEmpty();
        dev.mainstay.store.ShadowRun scored = store.shadowRuns(job.workflow(), T0, 10).getFirst();
        assertThat(scored.result().path("agree").asBoolean()).isTrue();
        assertThat(scored.scoredAt()).isEqualTo(T0.plusSeconds(3));
        assertThat(store.shadowRuns(job.workflow(), T0.plusSeconds(2), 10)).isEmpty();
        assertThat(store.shadowRuns("other/workflow", T0, 10)).isEmpty();
    }

    @Test
    void shadowRunsListNewestFirstAndPendingOnesOldestFirst() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Job job = submitted(ACCOUNT, T0.plusSeconds(i));
            Instant at = T0.plusSeconds(10 + i);
            assertThat(store.claim("node-1", 1, at, at.plus(LEASE))).extracting(Job::id).containsExactly(job.id());
            assertThat(store.apply(JobTransition.to(job.id(), JobStatus.COMPLETED, at).from(JobStatus.PROCESSING).leasedBy("node-1")
                    .result(Json.object().put("reply", "x"), ResultType.FULL).sampleShadow(sample(job, at)).build())).isTrue();
            ids.add(job.id());
        }
        assertThat(store.pendingShadowRuns(2)).extracting(dev.mainstay.store.ShadowRun::liveJobId).containsExactly(ids.get(0), ids.get(1));
        assertThat(store.shadowRuns("support/draft-response", T0, 10)).extracting(dev.mainstay.store.ShadowRun::liveJobId)
                .containsExactly(ids.get(2), ids.get(1), ids.get(0));
    }

    /** A finished job of {@code account} whose one model stage passed its contract at the first answer or only after a repair. */
    private Job finishedLive(String account, Instant at, String validation, double confidence) {
        NewJob nj = newJob(account, null, input("drift " + at + " " + account), at);
        assertThat(store.submit(nj)).isInstanceOf(SubmitOutcome.Created.class);
        assertThat(store.claim("node-1", 10, at, at.plus(LEASE))).extracting(Job::id).contains(nj.id());
        Provenance p = new Provenance("openai", "gpt-4o-mini", "p@1", "s@1", "t@1", List.of(), validation, null);
        StageRun stage = new StageRun(nj.id(), 0, "triage", StageRun.COMPLETED, Json.object().put("confidence", confidence), 1, p, Usage.ZERO, null, at, at);
        assertThat(store.apply(JobTransition.to(nj.id(), JobStatus.COMPLETED, at).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object().put("confidence", confidence), ResultType.FULL).provenance(p).stageRun(stage).build())).isTrue();
        return store.job(nj.id()).orElseThrow();
    }

    @Test
    void driftSamplesReadFinishedLiveJobsOfTheWindowWithTheirStagesAndLeaveOneAccountOut() {
        Job passed = finishedLive(ACCOUNT, T0.plusSeconds(1), "passed", 0.9);
        Job repaired = finishedLive(ACCOUNT, T0.plusSeconds(2), "repaired", 0.4);
        finishedLive(OTHER_ACCOUNT, T0.plusSeconds(3), "passed", 0.8); // the left-out account
        finishedLive(ACCOUNT, T0.plusSeconds(100), "passed", 0.7); // after the window
        Job running = submitted(ACCOUNT, T0.plusSeconds(4)); // not finished
        reopen();

        List<dev.mainstay.store.DriftSample> samples = store.driftSamples("support/draft-response", OTHER_ACCOUNT, T0, T0.plusSeconds(50), 100);
        assertThat(samples).extracting(dev.mainstay.store.DriftSample::jobId).containsExactly(repaired.id(), passed.id());
        dev.mainstay.store.DriftSample r = samples.getFirst();
        assertThat(r.firstPass()).isFalse();
        assertThat(r.modelStages()).isEqualTo(1);
        assertThat(r.gateFailure()).isFalse();
        assertThat(r.reviewed()).isFalse();
        assertThat(r.status()).isEqualTo("completed");
        assertThat(r.result().path("confidence").asDouble()).isEqualTo(0.4);
        assertThat(samples.getLast().firstPass()).isTrue();
        assertThat(store.driftSamples("support/draft-response", OTHER_ACCOUNT, T0, T0.plusSeconds(50), 1)).extracting(dev.mainstay.store.DriftSample::jobId)
                .containsExactly(repaired.id());
        assertThat(store.driftSamples("other/workflow", OTHER_ACCOUNT, T0, T0.plusSeconds(50), 100)).isEmpty();
        assertThat(running.status()).isEqualTo(JobStatus.QUEUED);
    }

    // ---- retention ------------------------------------------------------------------------------

    private static final RetentionStore.Scope ALL = new RetentionStore.Scope.AllBut(Set.of());

    /** A job of {@code workflow} with {@code text} as input, finished at {@code at} with a result, a stage output and a charge. */
    private Job finished(String workflow, String text, Instant at) {
        NewJob base = newJob(ACCOUNT, null, input(text), T0);
        NewJob nj = new NewJob(base.id(), ACCOUNT, workflow, 1, base.input(), base.inputHash(), null, base.requestHash(), 0, T0, at.plusSeconds(60));
        assertThat(store.submit(nj)).isInstanceOf(SubmitOutcome.Created.class);
        assertThat(store.claim("node-1", 1, at, at.plus(LEASE))).extracting(Job::id).containsExactly(nj.id());
        StageRun stage = new StageRun(nj.id(), 0, "triage", "completed", Json.object().put("category", "billing " + text), 1, null,
                new Usage(10, 5, 300), null, at, at);
        Charge charge = new Charge("chg_" + nj.id(), null, ACCOUNT, nj.id(), workflow, "triage", "openai", "gpt-4o-mini", 10, 0, 5, 300, at, List.of());
        assertThat(store.apply(JobTransition.to(nj.id(), JobStatus.COMPLETED, at).from(JobStatus.PROCESSING).leasedBy("node-1")
                .result(Json.object().put("reply", "about " + text), ResultType.FULL).stageRun(stage).addUsage(new Usage(10, 5, 300))
                .charges(List.of(charge)).build())).isTrue();
        return store.job(nj.id()).orElseThrow();
    }

    @Test
    void expiringPayloadsRemovesInputResultAndStageOutputsButKeepsTheJobsMetadata() {
        Job old = finished("support/draft-response", "old secret", T0.plusSeconds(10));
        Job recent = finished("support/draft-response", "recent secret", T0.plusSeconds(100));
        Job running = submitted(ACCOUNT, T0.plusSeconds(1));

        RetentionStore.Removed removed = store.expirePayloads(ALL, T0.plusSeconds(50), T0.plusSeconds(200), 100);

        assertThat(removed.rows()).isEqualTo(1);
        assertThat(removed.characters()).isPositive();
        Job expired = reload(old);
        assertThat(expired.payloadsExpired()).isTrue();
        assertThat(expired.payloadsExpiredAt()).isEqualTo(T0.plusSeconds(200));
        assertThat(expired.input()).isNull();
        assertThat(expired.result()).isNull();
        assertThat(store.stages(old.id())).singleElement().satisfies(s -> assertThat(s.output()).isNull());
        // Metadata, status, timings and usage stay.
        assertThat(expired.status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(expired.usage()).isEqualTo(new Usage(10, 5, 300));
        assertThat(expired.completedAt()).isEqualTo(T0.plusSeconds(10));
        assertThat(expired.inputHash()).isEqualTo(old.inputHash());
        assertThat(eventTypes(old)).isNotEmpty();
        // The others keep everything.
        assertThat(reload(recent)).isEqualTo(recent);
        assertThat(store.stages(recent.id())).singleElement().satisfies(s -> assertThat(s.output()).isNotNull());
        assertThat(reload(running)).isEqualTo(running);
        // A second pass finds nothing more.
        assertThat(store.expirePayloads(ALL, T0.plusSeconds(50), T0.plusSeconds(201), 100)).isEqualTo(RetentionStore.Removed.NONE);
    }

    @Test
    void anInputSharedWithAJobThatKeepsItsPayloadsStays() {
        Job old = finished("support/draft-response", "same words", T0.plusSeconds(10));
        Job recent = finished("support/draft-response", "same words", T0.plusSeconds(100));
        assertThat(old.inputHash()).isEqualTo(recent.inputHash());

        assertThat(store.expirePayloads(ALL, T0.plusSeconds(50), T0.plusSeconds(200), 100).rows()).isEqualTo(1);

        assertThat(reload(old).input()).isNull();
        assertThat(reload(recent).input()).isEqualTo(input("same words"));
        // Once the last job using it expires, the input goes too.
        assertThat(store.expirePayloads(ALL, T0.plusSeconds(150), T0.plusSeconds(300), 100).rows()).isEqualTo(1);
        assertThat(reload(recent).input()).isNull();
    }

    @Test
    void deletingJobsPastTheirWindowKeepsUsageAndTheAuditChain() {
        Job old = finished("support/draft-response", "to delete", T0.plusSeconds(10));
        Job kept = finished("support/draft-response", "to keep", T0.plusSeconds(100));

        RetentionStore.Removed removed = store.deleteJobs(ALL, T0.plusSeconds(50), 100);

        assertThat(removed.rows()).isGreaterThanOrEqualTo(3); // the job, its stage, its events
        assertThat(store.job(old.id())).isEmpty();
        assertThat(store.stages(old.id())).isEmpty();
        assertThat(store.events(old.id(), 0, 100)).isEmpty();
        assertThat(reload(kept)).isEqualTo(kept);
        // The aggregates remain: both jobs' usage is still counted.
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(600), UsageQuery.GroupBy.WORKFLOW)))
                .singleElement().satisfies(row -> assertThat(row.costMicros()).isEqualTo(600));
        assertThat(store.verifyAudit()).isInstanceOf(dev.mainstay.audit.AuditCheck.Intact.class);
    }

    @Test
    void sweepsAreBoundedBatchesAndAWorkflowScopeTouchesOnlyItsJobs() {
        for (int i = 0; i < 5; i++) {
            finished("support/draft-response", "batch " + i, T0.plusSeconds(10 + i));
        }
        Job other = finished("leads/classify", "other workflow", T0.plusSeconds(10));
        RetentionStore.Scope drafts = new RetentionStore.Scope.Only("support/draft-response");
        Instant cut = T0.plusSeconds(50);

        assertThat(store.expirePayloads(drafts, cut, cut, 2).rows()).isEqualTo(2);
        assertThat(store.expirePayloads(drafts, cut, cut, 2).rows()).isEqualTo(2);
        assertThat(store.expirePayloads(drafts, cut, cut, 2).rows()).isEqualTo(1);
        assertThat(store.expirePayloads(drafts, cut, cut, 2).rows()).isZero();
        assertThat(reload(other).payloadsExpired()).isFalse();
        // The default scope covers every workflow but those with their own policy.
        assertThat(store.expirePayloads(new RetentionStore.Scope.AllBut(Set.of("leads/classify")), cut, cut, 10).rows()).isZero();
        assertThat(store.expirePayloads(new RetentionStore.Scope.AllBut(Set.of("support/draft-response")), cut, cut, 10).rows()).isEqualTo(1);
        assertThat(reload(other).payloadsExpired()).isTrue();
        assertThat(store.deleteJobs(drafts, cut, 3).rows()).isPositive();
        assertThat(store.jobs(new JobQuery(ACCOUNT, "support/draft-response", null, null, 100, null)).jobs()).hasSize(2);
    }

    @Test
    void oldEventsOfFinishedJobsGoAndTheJobStays() {
        Job old = finished("support/draft-response", "events", T0.plusSeconds(10));
        Job running = submitted(ACCOUNT, T0);
        assertThat(eventTypes(old)).hasSizeGreaterThanOrEqualTo(3);

        assertThat(store.deleteEvents(ALL, T0.plusSeconds(50), 2).rows()).isEqualTo(2);
        assertThat(store.deleteEvents(ALL, T0.plusSeconds(50), 100).rows()).isPositive();

        assertThat(eventTypes(old)).isEmpty();
        assertThat(eventTypes(running)).containsExactly("submitted");
        assertThat(reload(old).status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void cachedOutputsGoWhenExpiredOrOlderThanTheCacheWindow() {
        var output = new ResultCacheStore.CachedOutput(Json.object().put("a", 1), null, "job_x");
        store.cacheOutput("k_old", "support/draft-response", output, T0, T0.plus(Duration.ofDays(30)));
        store.cacheOutput("k_new", "support/draft-response", output, T0.plusSeconds(100), T0.plus(Duration.ofDays(30)));

        assertThat(store.deleteCachedOutputs(T0.plusSeconds(200), T0.plusSeconds(50), 100).rows()).isEqualTo(1);

        assertThat(store.cachedOutput("k_old", T0.plusSeconds(200))).isEmpty();
        assertThat(store.cachedOutput("k_new", T0.plusSeconds(200))).isPresent();
    }

    @Test
    void anIdempotencyKeyIsHonouredInsideItsWindowAndFreeAfterIt() {
        Duration window = Duration.ofHours(24);
        NewJob first = keyed("key-w", "first body", T0, window);
        Job created = ((SubmitOutcome.Created) store.submit(first)).job();
        // Inside the window: the same job, or a conflict for another body.
        Instant inside = T0.plus(window).minusSeconds(1);
        assertThat(store.submit(keyed("key-w", "first body", inside, window))).isEqualTo(new SubmitOutcome.Existing(reload(created)));
        assertThat(store.submit(keyed("key-w", "other body", inside, window))).isEqualTo(new SubmitOutcome.Conflict(created.id()));
        // After it: a new job, whatever the body, and the key now points at it.
        Instant after = T0.plus(window).plusSeconds(1);
        NewJob again = keyed("key-w", "other body", after, window);
        assertThat(store.submit(again)).isInstanceOf(SubmitOutcome.Created.class);
        assertThat(store.submit(keyed("key-w", "other body", after.plusSeconds(1), window))).isInstanceOf(SubmitOutcome.Existing.class)
                .extracting(o -> ((SubmitOutcome.Existing) o).job().id()).isEqualTo(again.id());
        assertThat(reload(created).status()).isEqualTo(JobStatus.QUEUED);
    }

    @Test
    void theSweeperDeletesIdempotencyKeysPastTheirWindowOnly() {
        Duration window = Duration.ofHours(1);
        store.submit(keyed("key-old", "a", T0, window));
        NewJob recent = keyed("key-new", "b", T0.plusSeconds(3_000), window);
        store.submit(recent);

        assertThat(store.deleteIdempotencyKeys(T0.plusSeconds(1_000), 100).rows()).isEqualTo(1);

        // The recent key still answers its job; the old one is free, even for a window that would still cover it.
        assertThat(store.submit(keyed("key-new", "b", T0.plusSeconds(3_001), window))).isInstanceOf(SubmitOutcome.Existing.class);
        assertThat(store.submit(keyed("key-old", "other", T0.plusSeconds(1_001), Duration.ofDays(1)))).isInstanceOf(SubmitOutcome.Created.class);
    }

    private NewJob keyed(String key, String text, Instant at, Duration window) {
        NewJob base = newJob(ACCOUNT, key, input(text), at);
        return new NewJob(base.id(), ACCOUNT, base.workflow(), 1, base.input(), base.inputHash(), key, base.requestHash(), 0, at, base.deadlineAt(),
                List.of(), at.minus(window));
    }

    @Test
    void oneNodeAtATimeHoldsTheSweepLease() {
        assertThat(store.leaseSweep("node-1", T0, T0.plusSeconds(60))).isTrue();
        assertThat(store.leaseSweep("node-2", T0.plusSeconds(30), T0.plusSeconds(90))).isFalse();
        assertThat(store.leaseSweep("node-1", T0.plusSeconds(30), T0.plusSeconds(90))).isTrue(); // renewed
        assertThat(store.leaseSweep("node-2", T0.plusSeconds(89), T0.plusSeconds(150))).isFalse();
        assertThat(store.leaseSweep("node-2", T0.plusSeconds(90), T0.plusSeconds(150))).isTrue(); // node-1 stopped renewing
        assertThat(store.leaseSweep("node-1", T0.plusSeconds(100), T0.plusSeconds(160))).isFalse();
    }
}
