package dev.mainstay.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ContentHash;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.stats.JobStats;
import dev.mainstay.stats.StatsQuery;
import dev.mainstay.stats.Tally;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.NewJob;
import dev.mainstay.store.RetentionStore;
import dev.mainstay.store.Store;
import dev.mainstay.store.SubmitOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * What every dialect guarantees of the pre-bucketed stats counts: a summary read from the folded
 * buckets (plus the jobs they cannot give) counts exactly what the same jobs read one by one
 * count, whatever part of them is folded, wherever the range's edges cut a bucket, whoever folds
 * and whenever a fold stops; replays, retention and concurrent folds change nothing of that.
 * Jobs are generated from a seed (printed in every assertion's description).
 */
public abstract class StatsStoreContract {
    protected static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final List<String> ACCOUNTS = List.of("acct_a", "acct_b", "acct_c");
    private static final List<String> WORKFLOWS = List.of("support/draft-response", "briefs/extract-key-points");

    protected Store store;

    protected abstract Store openStore();

    /** A second node on the same database, where the dialect has more than one (a SQLite file has one store; its two folds are two threads). */
    protected Optional<Store> openSecondNode() {
        return Optional.empty();
    }

    @BeforeEach
    void open() {
        store = openStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** The ranges each check reads: edges on, and off, minute, hour and day boundaries, by hour and by day, every filter. */
    private static List<StatsQuery> queries() {
        List<StatsQuery> out = new ArrayList<>();
        Instant start = T0.minus(Duration.ofHours(1));
        for (Optional<String> account : List.of(Optional.<String>empty(), Optional.of("acct_b"))) {
            for (Optional<String> workflow : List.of(Optional.<String>empty(), Optional.of(WORKFLOWS.get(1)))) {
                out.add(new StatsQuery(account, workflow, start, start.plus(Duration.ofDays(2)), StatsQuery.Bucket.HOUR));
                out.add(new StatsQuery(account, workflow, start.plusMillis(37_123), T0.plus(Duration.ofHours(26)).plusMillis(4_321), StatsQuery.Bucket.HOUR));
                out.add(new StatsQuery(account, workflow, start.plusSeconds(90), T0.plus(Duration.ofHours(30)).plusSeconds(17), StatsQuery.Bucket.DAY));
                out.add(new StatsQuery(account, workflow, T0.plusSeconds(125), T0.plusSeconds(175), StatsQuery.Bucket.HOUR));
                out.add(new StatsQuery(account, workflow, T0.minus(Duration.ofDays(3)), T0.plus(Duration.ofDays(3)), StatsQuery.Bucket.DAY));
            }
        }
        return out;
    }

    private void assertFoldedEqualsRaw(String when, long seed) {
        for (StatsQuery q : queries()) {
            Tally raw = Tally.of(q, store.jobFacts(q), store.stageFacts(q));
            Tally folded = store.tally(q);
            assertThat(folded.asMap()).as("seed %d, %s, %s", seed, when, q).containsExactlyInAnyOrderEntriesOf(raw.asMap());
            assertThat(folded).isEqualTo(raw);
            // And so the summaries: everything but the percentiles is the raw summary's, the percentiles within a bin.
            JobStats exact = JobStats.of(q, store.jobFacts(q), store.stageFacts(q));
            JobStats summary = JobStats.of(q, folded);
            assertThat(summary.byStatus()).as("seed %d, %s", seed, q).isEqualTo(exact.byStatus());
            assertThat(summary.series()).as("seed %d, %s", seed, q).isEqualTo(exact.series());
            assertThat(summary.fallbackByRung()).as("seed %d, %s", seed, q).isEqualTo(exact.fallbackByRung());
            assertThat(summary.retryRate()).isEqualTo(exact.retryRate());
            assertThat(summary.validationFirstPassRate()).isEqualTo(exact.validationFirstPassRate());
            assertThat(summary.costMicros()).isEqualTo(exact.costMicros());
            assertThat(summary.totalMillis().p95()).isBetween(exact.totalMillis().p95(), exact.totalMillis().p95() + exact.totalMillis().p95() / 8);
        }
    }

    @Test
    void foldedCountsEqualTheJobsReadOneByOneBeforeDuringAndAfterTheFold() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        List<Job> jobs = jobs(r, 160);
        assertFoldedEqualsRaw("nothing folded", seed);
        assertThat(store.foldStats(T0, 40)).isEqualTo(40);
        assertFoldedEqualsRaw("40 folded", seed);
        while (store.foldStats(T0, 50) > 0) {
            // until every finished job is folded
        }
        assertFoldedEqualsRaw("all folded", seed);
        assertThat(jobs).isNotEmpty();
    }

    @Test
    void aFoldStoppedHalfWayAndResumedByAnotherStoreCountsEachJobOnce() {
        long seed = System.nanoTime();
        jobs(new Random(seed), 120);
        assertThat(store.foldStats(T0, 30)).isEqualTo(30);
        // A node that stops (or dies) after a batch: its batches are committed or not at all; another opening of the database goes on.
        store.close();
        store = openStore();
        while (store.foldStats(T0, 25) > 0) {
            // the rest
        }
        assertThat(store.foldStats(T0, 25)).as("nothing left to fold").isZero();
        assertFoldedEqualsRaw("folded across a restart", seed);
    }

    @Test
    void jobsFinishingWhileTwoFoldsRunAreEachCountedOnce() throws Exception {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        jobs(r, 40);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        Optional<Store> second = openSecondNode();
        Store other = second.orElse(store);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (Store folder : List.of(store, other)) {
                running.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        folder.foldStats(T0, 7);
                    }
                }));
            }
            running.add(pool.submit(() -> jobs(new Random(seed + 1), 80)));
            for (Future<?> f : running) {
                f.get();
            }
            while (other.foldStats(T0, 50) > 0) {
                // what finished after the last batches
            }
        } finally {
            pool.shutdownNow();
            second.ifPresent(Store::close);
        }
        assertFoldedEqualsRaw("two folds while jobs finished", seed);
    }

    @Test
    void aReplayedJobLeavesTheBucketsAndComesBackWithItsNewEnd() {
        Job failed = start(T0.plusSeconds(30), "acct_a", WORKFLOWS.getFirst(), 1);
        retry(failed, T0.plusSeconds(31));
        finish(failed, JobStatus.FAILED, T0.plusSeconds(33), null, List.of());
        Job other = start(T0.plusSeconds(40), "acct_a", WORKFLOWS.getFirst(), 1);
        finish(other, JobStatus.COMPLETED, T0.plusSeconds(41), ResultType.FULL, List.of());
        assertThat(store.foldStats(T0, 10)).isEqualTo(2);
        assertFoldedEqualsRaw("folded", 0);
        Instant at = T0.plus(Duration.ofDays(2));
        // The failed job's events go before the replay: the fold's flag still knows it counted a retry.
        assertThat(store.deleteEvents(new RetentionStore.Scope.AllBut(Set.of()), at, 100).rows()).isPositive();
        assertThat(store.apply(JobTransition.to(failed.id(), JobStatus.QUEUED, at).from(JobStatus.FAILED).clearError().deadLetter(false).stageAttempts(0)
                .nextRunAt(at).deadlineAt(at.plusSeconds(60)).event("replayed", Json.object().put("from_stage", 0)).build())).isTrue();
        StatsQuery day = new StatsQuery(Optional.empty(), Optional.empty(), T0.minus(Duration.ofHours(10)), T0.plus(Duration.ofHours(14)), StatsQuery.Bucket.HOUR);
        JobStats replayed = JobStats.of(day, store.tally(day));
        assertThat(replayed.byStatus()).containsEntry(JobStatus.QUEUED, 1L).containsEntry(JobStatus.COMPLETED, 1L).doesNotContainKey(JobStatus.FAILED);
        assertThat(replayed.retryRate()).as("the replayed job's retry left with it").hasValue(0.0);
        assertThat(store.claim("node-1", 1, at, at.plus(LEASE))).extracting(Job::id).containsExactly(failed.id());
        finish(store.job(failed.id()).orElseThrow(), JobStatus.COMPLETED, at.plusSeconds(2), ResultType.FULL, List.of());
        assertThat(store.foldStats(at, 10)).isEqualTo(1);
        JobStats again = JobStats.of(day, store.tally(day));
        assertThat(again.byStatus()).containsEntry(JobStatus.COMPLETED, 2L).hasSize(1);
        assertFoldedEqualsRaw("replayed and finished again", 0);
    }

    @Test
    void retentionFoldsWhatItDeletesSoTheFiguresRemain() {
        long seed = System.nanoTime();
        jobs(new Random(seed), 60);
        store.foldStats(T0, 20);
        StatsQuery wide = new StatsQuery(Optional.empty(), Optional.empty(), T0.minus(Duration.ofDays(2)), T0.plus(Duration.ofDays(3)), StatsQuery.Bucket.DAY);
        Tally before = Tally.of(wide, store.jobFacts(wide), store.stageFacts(wide));
        long finished = store.jobFacts(wide).stream().filter(j -> j.status().isTerminal()).count();
        RetentionStore.Removed removed = RetentionStore.Removed.NONE;
        for (RetentionStore.Removed one; (one = store.deleteJobs(new RetentionStore.Scope.AllBut(Set.of()), T0.plus(Duration.ofDays(10)), 7)).rows() > 0; ) {
            removed = removed.plus(one);
        }
        assertThat(store.jobFacts(wide)).as("only the unfinished jobs are left").allMatch(j -> !j.status().isTerminal());
        assertThat(removed.rows()).isGreaterThanOrEqualTo(finished);
        assertThat(store.tally(wide)).as("seed %d: every deleted job, folded or not before, still counts", seed).isEqualTo(before);
        assertThat(store.foldStats(T0, 100)).isZero();
    }

    // ---- jobs ---------------------------------------------------------------------------------

    /** {@code n} jobs over a day and a half around T0, of several accounts, workflows and versions, in every status a summary tells apart. */
    private List<Job> jobs(Random r, int n) {
        List<Job> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Instant created = T0.minus(Duration.ofHours(2)).plusMillis((long) (r.nextDouble() * Duration.ofHours(34).toMillis()));
            if (r.nextInt(8) == 0) {
                // Some on the edges the queries cut, down to the millisecond.
                created = T0.plusSeconds(120 + r.nextInt(60)).plusMillis(r.nextInt(1000));
            }
            String account = ACCOUNTS.get(r.nextInt(ACCOUNTS.size()));
            String workflow = WORKFLOWS.get(r.nextInt(WORKFLOWS.size()));
            int kind = r.nextInt(7);
            if (kind == 0) {
                // Queued after every claim time of these jobs (at most T0 + 32 h and a few minutes), so no claim takes it.
                out.add(submit(T0.plus(Duration.ofHours(33)).plusMillis(r.nextInt(3_600_000)), account, workflow, 1 + r.nextInt(2)));
                continue;
            }
            if (kind == 1) {
                Job j = submit(created, account, workflow, 1);
                assertThat(store.apply(JobTransition.to(j.id(), JobStatus.CANCELLED, created.plusMillis(5)).from(JobStatus.QUEUED)
                        .event("cancelled", null).build())).isTrue();
                out.add(j);
                continue;
            }
            Job j = start(created.plusMillis(r.nextInt(5_000)), account, workflow, 1 + r.nextInt(2), created);
            Instant t = j.startedAt();
            if (r.nextInt(3) == 0) {
                t = t.plusMillis(r.nextInt(2_000));
                retry(j, t);
                j = store.job(j.id()).orElseThrow();
            }
            t = t.plusMillis(r.nextInt(90_000));
            switch (kind) {
                case 2 -> out.add(j); // processing
                case 3 -> out.add(finish(j, JobStatus.COMPLETED, t, ResultType.FULL, List.of()));
                case 4 -> out.add(finish(j, JobStatus.DEGRADED, t, ResultType.FALLBACK,
                        List.of(List.<String>of(), List.of("cached:abc"), List.of("fake/m-1:provider_timeout", "rules:extractive-summary")).get(r.nextInt(3))));
                case 5 -> out.add(finish(j, JobStatus.FAILED, t, null, List.of()));
                default -> out.add(finish(j, JobStatus.PARTIALLY_COMPLETED, t, ResultType.DRAFT, List.of("draft:partial")));
            }
        }
        return out;
    }

    private Job submit(Instant created, String account, String workflow, int version) {
        ObjectNode input = Json.object().put("text", "hello " + created + " " + System.nanoTime());
        String id = new JobIds(Clock.fixed(created, ZoneOffset.UTC)).next("job");
        SubmitOutcome outcome = store.submit(new NewJob(id, account, workflow, version, input, ContentHash.sha256(Json.canonical(input)), null,
                ContentHash.sha256(workflow + "\n" + Json.canonical(input)), 0, created, created.plus(Duration.ofMinutes(2))));
        assertThat(outcome).isInstanceOf(SubmitOutcome.Created.class);
        return ((SubmitOutcome.Created) outcome).job();
    }

    private Job start(Instant at, String account, String workflow, int version) {
        return start(at, account, workflow, version, at);
    }

    /** Submitted at {@code created} and claimed at {@code at}: the only due job then, since every earlier one is claimed or finished. */
    private synchronized Job start(Instant at, String account, String workflow, int version, Instant created) {
        Job j = submit(created, account, workflow, version);
        List<Job> claimed = store.claim("node-1", 1, at, at.plus(LEASE));
        assertThat(claimed).extracting(Job::id).containsExactly(j.id());
        return claimed.getFirst();
    }

    private synchronized void retry(Job j, Instant at) {
        assertThat(store.apply(JobTransition.to(j.id(), JobStatus.RETRYING, at).leasedBy("node-1").releaseLease().nextRunAt(at)
                .event("retry_scheduled", Json.object().put("stage", "triage").put("code", "provider_unavailable")).build())).isTrue();
        assertThat(store.claim("node-1", 1, at, at.plus(LEASE))).extracting(Job::id).containsExactly(j.id());
    }

    private Job finish(Job j, JobStatus status, Instant at, ResultType type, List<String> fallbackPath) {
        long stageMillis = Math.max(0, Duration.between(j.startedAt(), at).toMillis() / 2);
        String validation = List.of("passed", "repaired", "failed").get((int) (stageMillis % 3));
        StageRun stage = new StageRun(j.id(), 0, "triage", StageRun.COMPLETED, Json.object().put("category", "billing"), 1,
                new Provenance("fake", "m-1", "p@1", "s", "t", List.of(), validation), new Usage(12, 30, 4), null, at.minusMillis(stageMillis), at);
        JobTransition.Builder t = JobTransition.to(j.id(), status, at).from(JobStatus.PROCESSING).leasedBy("node-1").releaseLease()
                .provenance(new Provenance("fake", "m-1", "p@1", "s", "t", fallbackPath, validation)).addUsage(new Usage(12 + stageMillis % 7, 30, 4 + stageMillis % 5))
                .event(status.wire(), null);
        if (status != JobStatus.FAILED) {
            t.stageRun(stage);
        }
        if (type != null) {
            t.result(Json.object().put("reply", "done"), type);
        }
        if (status == JobStatus.FAILED) {
            t.error(JobError.of(ErrorCode.PROVIDER_TIMEOUT, "no answer")).deadLetter(true);
        }
        assertThat(store.apply(t.build())).as("job %s to %s", j.id(), status.wire()).isTrue();
        return store.job(j.id()).orElseThrow();
    }
}
