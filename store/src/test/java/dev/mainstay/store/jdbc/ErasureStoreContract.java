package dev.mainstay.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ContentHash;
import dev.mainstay.Json;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditCheck;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.store.Erasure;
import dev.mainstay.store.ErasureScope;
import dev.mainstay.retention.SubjectDigest;
import dev.mainstay.store.ErasureStore;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.NewJob;
import dev.mainstay.store.ResultCacheStore;
import dev.mainstay.store.Store;
import dev.mainstay.store.SubmitOutcome;
import dev.mainstay.tool.ToolCall;
import dev.mainstay.tool.ToolScope;
import dev.mainstay.webhook.Delivery;
import dev.mainstay.webhook.DeliveryQuery;
import dev.mainstay.webhook.DueDelivery;
import dev.mainstay.webhook.EventTypes;
import dev.mainstay.webhook.WebhookEndpoint;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * What every dialect guarantees of erasure on request and of the audit log's cut: jobs found by
 * their subject's digest, everything they hold removed and nothing of anyone else's, the same
 * erasure for the same scope, a chain that verifies from its checkpoint and still catches an
 * edited, missing or reordered record, and the erased value gone from the database's files.
 */
public abstract class ErasureStoreContract {
    protected static final Instant T0 = Instant.parse("2026-12-01T09:00:00Z");
    protected static final String ACCOUNT = "acct_erase";
    protected static final String OTHER = "acct_keep";
    private static final String WORKFLOW = "support/draft-response";
    private static final Duration LEASE = Duration.ofSeconds(40);

    protected Store store;
    private final JobIds ids = new JobIds(Clock.fixed(T0, ZoneOffset.UTC));
    private SubjectDigest digests;
    private WebhookEndpoint endpoint;

    protected abstract Store openStore();

    /** Changes the store's tables behind its back, as someone with database access could. */
    protected abstract void tamper(String sql) throws Exception;

    /**
     * The files that hold the database's bytes, after whatever the dialect needs to write them out
     * (PostgreSQL: a CHECKPOINT); scanned for an erased value.
     */
    protected abstract List<Path> databaseFiles() throws Exception;

    /**
     * What an operator runs after an erasure so the erased bytes leave the files: by default what a
     * node does on its own after every erasure ({@code reclaim(true)}).
     */
    protected void scrub() {
        store.reclaim(true);
    }

    /** How many jobs the raw-bytes test erases. */
    protected abstract int rawScanJobs();

    @BeforeEach
    void open() {
        store = openStore();
        digests = new SubjectDigest(store.subjectKey());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private NewJob newJob(String account, String email, String note, Instant at) {
        JsonNode input = Json.object().put("note", note).set("customer", Json.object().put("email", email));
        return new NewJob(ids.next("job"), account, WORKFLOW, 1, input, ContentHash.sha256(Json.canonical(input)), null,
                ContentHash.sha256(WORKFLOW + "\n" + Json.canonical(input)), 0, at, at.plus(Duration.ofMinutes(5)), List.of(), null, dev.mainstay.tracing.TraceContext.NONE, digests.of(input, "/customer/email"));
    }

    /** Completes a claimed job with a result, a stage output, a tool call and a cached output that all quote {@code email}. */
    private void complete(Job job, String email, Instant at) {
        complete(job, email, at, true);
    }

    private void complete(Job job, String email, Instant at, boolean extras) {
        String id = job.id();
        StageRun stage = new StageRun(id, 0, "draft", StageRun.COMPLETED, Json.object().put("draft", "Dear " + email), 1, null, Usage.ZERO, null, at, at);
        assertThat(store.apply(JobTransition.to(id, JobStatus.COMPLETED, at).from(JobStatus.PROCESSING).leasedBy("node-a")
                .result(Json.object().put("reply", "Written to " + email), ResultType.FULL).stageRun(stage).build())).isTrue();
        if (!extras) {
            return;
        }
        store.recordToolCall(new ToolCall(id, "crm", "crm", ToolScope.DRAFT, id + "/crm", ToolCall.Status.DONE, Json.object().put("to", email),
                Json.object().put("ok", email), 200, null, null, at));
        store.cacheOutput("key_" + id, WORKFLOW, new ResultCacheStore.CachedOutput(Json.object().put("draft", "Dear " + email), null, id), at, at.plus(Duration.ofDays(1)));
    }

    private Job finished(String account, String email, Instant at) {
        NewJob n = newJob(account, email, "about " + email, at);
        assertThat(store.submit(n)).isInstanceOf(SubmitOutcome.Created.class);
        Job job = store.claim("node-a", 1, at, at.plus(LEASE)).getFirst();
        assertThat(job.id()).isEqualTo(n.id());
        complete(job, email, at);
        return store.job(n.id()).orElseThrow();
    }

    private WebhookEndpoint endpoint(String account) {
        WebhookEndpoint e = new WebhookEndpoint(ids.next("whe"), account, URI.create("https://hooks.example.com/" + account), List.of(EventTypes.JOB_COMPLETED), null, null,
                true, null, null, 4, T0, T0);
        store.createEndpoint(e, new DueDelivery.SealedSecret(e.id(), ids.next("whs"), "v1.sealed"));
        endpoint = e;
        return e;
    }

    private List<Delivery> deliveries(String jobId) {
        return store.deliveries(new DeliveryQuery(ACCOUNT, endpoint.id(), null, null, jobId, null, 50));
    }

    @Test
    void erasingASubjectRemovesEverythingItsJobsHoldAndNothingOfAnyoneElse() {
        endpoint(ACCOUNT);
        Job a = finished(ACCOUNT, "ada@example.com", T0);
        Job b = finished(OTHER, "ADA@example.com ", T0.plusSeconds(1));
        Job kept = finished(ACCOUNT, "grace@example.com", T0.plusSeconds(2));
        assertThat(deliveries(a.id())).singleElement().satisfies(d -> assertThat(d.payload()).contains("ada@example.com"));
        ErasureScope scope = new ErasureScope.Subject(digests.of("Ada@Example.com"));

        ErasureStore.Erased erased = store.eraseJobs(scope, T0.plusSeconds(60), 100);

        assertThat(erased.jobs()).isEqualTo(2);
        assertThat(erased.removed().characters()).isPositive();
        for (Job j : List.of(a, b)) {
            Job now = store.job(j.id()).orElseThrow();
            assertThat(now.input()).isNull();
            assertThat(now.result()).isNull();
            assertThat(now.payloadsExpired()).isTrue();
            // The metadata stays: status, usage, timings.
            assertThat(now.status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(now.completedAt()).isEqualTo(j.completedAt());
            assertThat(store.stages(j.id())).singleElement().satisfies(s -> assertThat(s.output()).isNull());
            assertThat(store.toolCall(j.id(), "crm")).hasValueSatisfying(t -> assertThat(t.response()).isNull());
            assertThat(store.cachedOutput("key_" + j.id(), T0)).isEmpty();
        }
        assertThat(deliveries(a.id())).singleElement().satisfies(d -> assertThat(d.payload()).doesNotContain("ada@example.com"));
        Job other = store.job(kept.id()).orElseThrow();
        assertThat(other).isEqualTo(kept);
        assertThat(store.stages(kept.id())).singleElement().satisfies(s -> assertThat(s.output().toString()).contains("grace@example.com"));
        assertThat(store.cachedOutput("key_" + kept.id(), T0)).isPresent();
        assertThat(store.toolCall(kept.id(), "crm")).hasValueSatisfying(t -> assertThat(t.response()).isNotNull());
        // Erased once: a second batch finds nothing.
        assertThat(store.eraseJobs(scope, T0.plusSeconds(61), 100)).isEqualTo(ErasureStore.Erased.NONE);
    }

    @Test
    void erasureByJobAndByAccountTouchOnlyThoseJobs() {
        Job one = finished(ACCOUNT, "one@example.com", T0);
        Job two = finished(ACCOUNT, "two@example.com", T0.plusSeconds(1));
        Job theirs = finished(OTHER, "three@example.com", T0.plusSeconds(2));

        assertThat(store.eraseJobs(new ErasureScope.Job(one.id()), T0.plusSeconds(10), 100).jobs()).isEqualTo(1);
        assertThat(store.job(one.id()).orElseThrow().input()).isNull();
        assertThat(store.job(two.id()).orElseThrow().input()).isNotNull();

        assertThat(store.eraseJobs(new ErasureScope.Account(ACCOUNT), T0.plusSeconds(20), 100).jobs()).isEqualTo(1);
        assertThat(store.job(two.id()).orElseThrow().input()).isNull();
        assertThat(store.job(theirs.id()).orElseThrow()).isEqualTo(theirs);
    }

    @Test
    void jobsInFlightAreListedForCancellingAndNotErasedWhileTheyRun() {
        NewJob queued = newJob(ACCOUNT, "late@example.com", "late", T0);
        assertThat(store.submit(queued)).isInstanceOf(SubmitOutcome.Created.class);
        ErasureScope scope = new ErasureScope.Subject(digests.of("late@example.com"));

        assertThat(store.unfinishedJobs(scope, 10)).containsExactly(new ErasureStore.JobRef(queued.id(), ACCOUNT));
        assertThat(store.eraseJobs(scope, T0.plusSeconds(1), 10)).isEqualTo(ErasureStore.Erased.NONE);
        assertThat(store.job(queued.id()).orElseThrow().input()).isNotNull();

        assertThat(store.apply(JobTransition.to(queued.id(), JobStatus.CANCELLED, T0.plusSeconds(2)).from(JobStatus.QUEUED).build())).isTrue();
        assertThat(store.unfinishedJobs(scope, 10)).isEmpty();
        assertThat(store.eraseJobs(scope, T0.plusSeconds(3), 10).jobs()).isEqualTo(1);
        assertThat(store.job(queued.id()).orElseThrow().input()).isNull();
    }

    @Test
    void anErasureIsRecordedOncePerScopeAndAuditedWithItsCounts() {
        ErasureScope scope = new ErasureScope.Subject(digests.of("ada@example.com"));
        Erasure first = store.startErasure(new Erasure(Erasure.idOf(scope), scope, "key:key_admin", T0, null, 0, 0, 0, 0));
        Erasure again = store.startErasure(new Erasure(Erasure.idOf(scope), scope, "cli", T0.plusSeconds(5), null, 0, 0, 0, 0));
        assertThat(again).isEqualTo(first);
        assertThat(first.requestedBy()).isEqualTo("key:key_admin");
        assertThat(first.scope()).isEqualTo(scope);

        Erasure done = store.finishErasure(first.id(), new ErasureStore.Erased(3, new dev.mainstay.store.RetentionStore.Removed(12, 400)), 1, T0.plusSeconds(6),
                new AuditEvent(T0.plusSeconds(6), "key:key_admin", AuditAction.DATA_ERASED, null, first.id(), Json.object().put("jobs", 3)));
        assertThat(done).extracting(Erasure::jobs, Erasure::rows, Erasure::characters, Erasure::cancelled).containsExactly(3L, 12L, 400L, 1L);
        assertThat(done.completedAt()).isEqualTo(T0.plusSeconds(6));
        assertThat(store.erasure(first.id())).contains(done);
        assertThat(store.erasures()).containsExactly(done);
        assertThat(store.auditLog(AuditQuery.all(10))).singleElement().satisfies(r -> assertThat(r.event().action()).isEqualTo(AuditAction.DATA_ERASED));
        assertThat(store.verifyAudit()).isInstanceOf(AuditCheck.Intact.class);
    }

    @Test
    void eachBatchAddsToTheErasureCountsSoAStoppedErasureKeepsWhatItDid() {
        Job a = finished(ACCOUNT, "bo@example.com", T0);
        Job b = finished(ACCOUNT, "bo@example.com", T0.plusSeconds(1));
        ErasureScope scope = new ErasureScope.Subject(digests.of("bo@example.com"));
        Erasure started = store.startErasure(new Erasure(Erasure.idOf(scope), scope, "key:key_admin", T0, null, 0, 0, 0, 0));

        ErasureStore.Erased first = store.eraseJobs(started.id(), scope, T0.plusSeconds(10), 1);
        store.countCancelled(started.id(), 2);

        // What a process killed here leaves: one job erased and counted, the erasure not complete.
        Erasure midway = store.erasure(started.id()).orElseThrow();
        assertThat(midway.completedAt()).isNull();
        assertThat(midway).extracting(Erasure::jobs, Erasure::rows, Erasure::characters, Erasure::cancelled)
                .containsExactly(1L, first.removed().rows(), first.removed().characters(), 2L);
        ErasureStore.Erased rest = store.eraseJobs(started.id(), scope, T0.plusSeconds(11), 10);
        assertThat(rest.jobs()).isEqualTo(1);
        assertThat(store.eraseJobs(started.id(), scope, T0.plusSeconds(12), 10)).isEqualTo(ErasureStore.Erased.NONE);
        Erasure done = store.finishErasure(started.id(), ErasureStore.Erased.NONE, 0, T0.plusSeconds(13),
                new AuditEvent(T0.plusSeconds(13), "key:key_admin", AuditAction.DATA_ERASED, null, started.id(), Json.object().put("jobs", 2)));
        assertThat(done.jobs()).isEqualTo(2);
        assertThat(done.rows()).isEqualTo(first.removed().rows() + rest.removed().rows());
        assertThat(done.completedAt()).isEqualTo(T0.plusSeconds(13));
        assertThat(List.of(a, b)).allSatisfy(j -> assertThat(store.job(j.id()).orElseThrow().input()).isNull());

        // Asked again: answered as it was, and running (not complete) until that run finishes.
        Erasure again = store.startErasure(new Erasure(Erasure.idOf(scope), scope, "cli", T0.plusSeconds(20), null, 0, 0, 0, 0));
        assertThat(again).isEqualTo(done);
        assertThat(store.erasure(started.id()).orElseThrow().completedAt()).isNull();
    }

    @Test
    void theSubjectKeyIsMadeOnceAndKept() {
        byte[] key = store.subjectKey();
        assertThat(key).hasSize(32);
        store.close();
        store = openStore();
        assertThat(store.subjectKey()).isEqualTo(key);
    }

    // ---- the audit log's cut ---------------------------------------------------------------------

    private void audit(int n, Instant from) {
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(new AuditEvent(from.plusSeconds(i), "key:key_test", AuditAction.LIMITS_CHANGED, ACCOUNT, ACCOUNT, Json.object().put("n", i)));
        }
        store.audit(events);
    }

    private static AuditEvent cutEvent(ErasureStore.AuditCheckpoint cp) {
        return new AuditEvent(T0.plus(Duration.ofDays(500)), AuditEvent.SYSTEM, AuditAction.AUDIT_CUT, null, null,
                Json.object().put("through_seq", cp.throughSeq()).put("head_hash", cp.headHash()).put("removed", cp.removed()));
    }

    private List<AuditRecord> log() {
        return store.auditLog(AuditQuery.all(1000));
    }

    /** Ten records a day apart from T0, then a cut before day 6: records 1 to 6 go, 7 to 10 and the cut record stay. */
    private ErasureStore.AuditCheckpoint cutAtDaySix() {
        for (int d = 0; d < 10; d++) {
            audit(1, T0.plus(Duration.ofDays(d)));
        }
        String sixth = log().get(5).hash();
        ErasureStore.AuditCheckpoint cp = store.cutAudit(T0.plus(Duration.ofDays(6)), ErasureStoreContract::cutEvent).orElseThrow();
        assertThat(cp.throughSeq()).isEqualTo(6);
        assertThat(cp.headHash()).isEqualTo(sixth);
        assertThat(cp.removed()).isEqualTo(6);
        return cp;
    }

    @Test
    void aCutKeepsTheChainVerifiableFromItsCheckpoint() {
        ErasureStore.AuditCheckpoint cp = cutAtDaySix();

        List<AuditRecord> left = log();
        assertThat(left).extracting(AuditRecord::seq).containsExactly(7L, 8L, 9L, 10L, 11L);
        assertThat(left.getFirst().prevHash()).isEqualTo(cp.headHash());
        assertThat(left.getLast().event().action()).isEqualTo(AuditAction.AUDIT_CUT);
        assertThat(store.verifyAudit()).isEqualTo(new AuditCheck.Intact(5, left.getLast().hash(), 6));
        // Appending goes on after the cut, and a cut with nothing old enough does nothing.
        audit(2, T0.plus(Duration.ofDays(20)));
        assertThat(store.cutAudit(T0, ErasureStoreContract::cutEvent)).isEmpty();
        assertThat(store.verifyAudit()).isInstanceOf(AuditCheck.Intact.class);
        // A second cut that takes everything still leaves a chain that verifies from the new checkpoint.
        ErasureStore.AuditCheckpoint all = store.cutAudit(T0.plus(Duration.ofDays(600)), ErasureStoreContract::cutEvent).orElseThrow();
        assertThat(all.throughSeq()).isEqualTo(13);
        assertThat(log()).extracting(AuditRecord::seq).containsExactly(14L);
        assertThat(store.verifyAudit()).isEqualTo(new AuditCheck.Intact(1, log().getFirst().hash(), 13));
    }

    @Test
    void afterACutAnEditedRecordIsDetected() throws Exception {
        cutAtDaySix();
        tamper("UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 8");
        assertThat(store.verifyAudit()).isInstanceOfSatisfying(AuditCheck.Broken.class, b -> {
            assertThat(b.seq()).isEqualTo(8);
            assertThat(b.kind()).isEqualTo(AuditCheck.Problem.EDITED);
        });
    }

    @Test
    void afterACutAMissingRecordIsDetected() throws Exception {
        cutAtDaySix();
        tamper("DELETE FROM audit_log WHERE seq = 7");
        assertThat(store.verifyAudit()).isInstanceOfSatisfying(AuditCheck.Broken.class, b -> {
            assertThat(b.seq()).isEqualTo(7);
            assertThat(b.kind()).isEqualTo(AuditCheck.Problem.MISSING);
        });
    }

    @Test
    void afterACutAReorderedRecordIsDetected() throws Exception {
        cutAtDaySix();
        tamper("UPDATE audit_log SET seq = 100 WHERE seq = 8");
        tamper("UPDATE audit_log SET seq = 8 WHERE seq = 9");
        tamper("UPDATE audit_log SET seq = 9 WHERE seq = 100");
        assertThat(store.verifyAudit()).isInstanceOfSatisfying(AuditCheck.Broken.class, b -> {
            assertThat(b.seq()).isEqualTo(8);
            assertThat(b.kind()).isEqualTo(AuditCheck.Problem.OUT_OF_ORDER);
        });
    }

    @Test
    void aCheckpointRemovedOrForgedIsDetected() throws Exception {
        ErasureStore.AuditCheckpoint cp = cutAtDaySix();
        tamper("DELETE FROM audit_checkpoints");
        assertThat(store.verifyAudit()).isInstanceOfSatisfying(AuditCheck.Broken.class, b -> assertThat(b.kind()).isEqualTo(AuditCheck.Problem.MISSING));
        // Records removed by hand and a checkpoint slipped in to cover them: no audit.cut record names it.
        String eighth = log().get(1).hash();
        tamper("DELETE FROM audit_log WHERE seq <= 8");
        tamper("INSERT INTO audit_checkpoints (through_seq, head_hash, removed, at) VALUES (8, '" + eighth + "', 8, " + nowLiteral() + ")");
        assertThat(store.verifyAudit()).isInstanceOfSatisfying(AuditCheck.Broken.class, b -> assertThat(b.kind()).isEqualTo(AuditCheck.Problem.UNANCHORED));
        assertThat(cp.throughSeq()).isEqualTo(6);
    }

    /** A literal of the dialect's time column. */
    protected abstract String nowLiteral();

    // ---- the erased value leaves the files -------------------------------------------------------

    @Test
    void anErasedSubjectLeavesNoBytesInTheDatabaseFiles() throws Exception {
        String erased = "zelda.quist-" + Long.toHexString(System.nanoTime()) + "@example.org";
        String kept = "kept.marker-" + Long.toHexString(System.nanoTime()) + "@example.org";
        long started = System.nanoTime();
        endpoint(ACCOUNT);
        int count = rawScanJobs();
        List<NewJob> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(newJob(ACCOUNT, erased, "case " + i + " for " + erased, T0));
        }
        all.add(newJob(ACCOUNT, kept, "case for " + kept, T0));
        int completed = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(64)) {
            List<Future<?>> done = new ArrayList<>();
            for (NewJob n : all) {
                done.add(pool.submit(() -> assertThat(store.submit(n)).isInstanceOf(SubmitOutcome.Created.class)));
            }
            for (Future<?> f : done) {
                f.get();
            }
            done.clear();
            while (true) {
                List<Job> claimed = store.claim("node-a", 500, T0, T0.plus(LEASE));
                if (claimed.isEmpty()) {
                    break;
                }
                for (Job j : claimed) {
                    String email = j.input().path("customer").path("email").asString();
                    // Every job's input, result, stage output and webhook payload quote the value; one in fifty also a tool call and a cached output.
                    boolean extras = ++completed % 50 == 1 || email.equals(kept);
                    done.add(pool.submit(() -> complete(j, email, T0.plusSeconds(1), extras)));
                }
                for (Future<?> f : done) {
                    f.get();
                }
                done.clear();
            }
        }
        long filled = System.nanoTime();
        assertThat(occurrences(erased)).as("the value is on file before the erasure").isPositive();

        ErasureScope scope = new ErasureScope.Subject(digests.of(erased));
        long jobs = 0;
        while (true) {
            ErasureStore.Erased batch = store.eraseJobs(scope, T0.plusSeconds(10), 500);
            if (batch.jobs() == 0) {
                break;
            }
            jobs += batch.jobs();
        }
        scrub();
        System.out.printf("erasure of %d jobs by subject: filled in %d ms, erased and reclaimed in %d ms%n", count, (filled - started) / 1_000_000,
                (System.nanoTime() - filled) / 1_000_000);

        assertThat(jobs).isEqualTo(count);
        assertThat(where(erased)).as("files that still hold bytes of the erased value, with how many times").isEmpty();
        assertThat(occurrences(kept)).as("the value of a job not erased is still there, so the scan reads what it should").isPositive();
    }

    /** What a file of the database holds, for a failure message (PostgreSQL: the relation's name). */
    protected String name(Path file) throws Exception {
        return file.getFileName().toString();
    }

    /** The files holding {@code value}'s bytes, each with its count. */
    private java.util.Map<String, Long> where(String value) throws Exception {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        for (Path file : databaseFiles()) {
            if (Files.isRegularFile(file)) {
                long n = count(Files.readAllBytes(file), value.getBytes(StandardCharsets.UTF_8));
                if (n > 0) {
                    out.put(name(file), n);
                }
            }
        }
        return out;
    }

    /** Occurrences of {@code value}'s UTF-8 bytes across the database's files. */
    private long occurrences(String value) throws Exception {
        byte[] needle = value.getBytes(StandardCharsets.UTF_8);
        long found = 0;
        for (Path file : databaseFiles()) {
            if (!Files.isRegularFile(file)) {
                continue;
            }
            byte[] hay;
            try {
                hay = Files.readAllBytes(file);
            } catch (IOException e) {
                continue; // a file the database removed while we listed them
            }
            found += count(hay, needle);
        }
        return found;
    }

    private static long count(byte[] hay, byte[] needle) {
        long n = 0;
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            n++;
        }
        return n;
    }
}
