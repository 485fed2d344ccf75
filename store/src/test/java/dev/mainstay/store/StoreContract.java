package dev.mainstay.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.ContentHash;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.JobTransition;
import dev.mainstay.job.NewJob;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.SubmitOutcome;
import dev.mainstay.job.Usage;
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
}
