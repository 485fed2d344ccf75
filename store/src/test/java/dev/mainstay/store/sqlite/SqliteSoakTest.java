package dev.mainstay.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ContentHash;
import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.retention.RetentionConfig;
import dev.mainstay.retention.RetentionPolicy;
import dev.mainstay.retention.SweepReport;
import dev.mainstay.retention.Sweeper;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.NewJob;
import dev.mainstay.store.SubmitOutcome;
import dev.mainstay.testkit.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Repeated cycles of submitting jobs, finishing them, letting them pass every retention window and
 * sweeping, on a real SQLite file: the file stays flat from the second cycle on, because the sweep
 * deletes what expired (the audit log too, cut at its own window: kept for good, two records per
 * job would be the one thing that grows) and incremental vacuum hands the freed pages back.
 * Asserts pages, not time.
 */
class SqliteSoakTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    private static final int CYCLES = 8;
    private static final int JOBS = 400;
    private static final String WORKFLOW = "support/draft-response";

    @TempDir
    Path dir;

    @Test
    void theFileStaysFlatOverRepeatedSubmitAndExpireCycles() throws Exception {
        Path file = dir.resolve("data/mainstay.db");
        ManualClock clock = new ManualClock(T0);
        JobIds ids = new JobIds(clock);
        RetentionConfig config = new RetentionConfig(new RetentionPolicy(Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(60)), Map.of(),
                Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofMinutes(1), 500, 200, Duration.ofSeconds(100));
        String filler = "lorem-free filler text about an order and its delivery window. ".repeat(40); // about 2.5 kB per input
        List<Long> pages = new ArrayList<>();
        List<Long> full = new ArrayList<>();
        try (SqliteStore store = SqliteStore.open(file, SqliteStore.Durability.NORMAL);
             Sweeper sweeper = new Sweeper(store, config, clock, "node-soak");
             ExecutorService pool = Executors.newFixedThreadPool(32)) {
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                Instant at = clock.instant();
                List<Future<?>> work = new ArrayList<>();
                for (int i = 0; i < JOBS; i++) {
                    JsonNode input = Json.object().put("text", "cycle " + cycle + " job " + i + " " + filler);
                    NewJob n = new NewJob(ids.next("job"), "acct_soak", WORKFLOW, 1, input, ContentHash.sha256(Json.canonical(input)), null,
                            ContentHash.sha256(WORKFLOW + "\n" + Json.canonical(input)), 0, at, at.plus(Duration.ofMinutes(5)));
                    work.add(pool.submit(() -> assertThat(store.submit(n)).isInstanceOf(SubmitOutcome.Created.class)));
                }
                for (Future<?> f : work) {
                    f.get();
                }
                work.clear();
                for (List<Job> claimed = store.claim("node-soak", 500, at, at.plusSeconds(60)); !claimed.isEmpty();
                     claimed = store.claim("node-soak", 500, at, at.plusSeconds(60))) {
                    for (Job j : claimed) {
                        work.add(pool.submit(() -> assertThat(store.apply(JobTransition.to(j.id(), JobStatus.COMPLETED, at).from(JobStatus.PROCESSING)
                                .leasedBy("node-soak").result(Json.object().put("reply", "done: " + filler), ResultType.FULL)
                                .stageRun(new StageRun(j.id(), 0, "draft", StageRun.COMPLETED, Json.object().put("draft", filler), 1, null, Usage.ZERO, null, at, at))
                                .build())).isTrue()));
                    }
                    for (Future<?> f : work) {
                        f.get();
                    }
                    work.clear();
                }
                store.reclaim(true);
                full.add(pageCount(file));
                clock.advance(Duration.ofSeconds(121)); // past payloads, jobs and events
                SweepReport report = sweeper.sweep();
                assertThat(report.of(SweepReport.Kind.JOBS).rows()).isGreaterThanOrEqualTo(JOBS);
                store.reclaim(true); // truncates the log too, so the file alone holds the database
                pages.add(pageCount(file));
            }
        }
        System.out.printf("soak: %d cycles of %d jobs (about 2.5 kB input, 5 kB output each); pages with the cycle's jobs: %s; after each sweep: %s "
                + "(page size %d bytes, auto_vacuum %d, free pages %d)%n", CYCLES, JOBS, full, pages, pageSize(file), pragma(file, "auto_vacuum"),
                pragma(file, "freelist_count"));
        assertThat(pragma(file, "auto_vacuum")).as("incremental").isEqualTo(2);
        assertThat(pages.getLast()).as("the sweep gives the pages of what it deleted back to the file system").isLessThan(full.getLast() / 2);
        long settled = pages.get(1);
        // From the second cycle on the file stays within a few pages of where it settled (the
        // free-list pages that incremental vacuum keeps at the end of a B-tree's growth).
        assertThat(pages.subList(1, pages.size())).allSatisfy(p -> assertThat(p).isLessThanOrEqualTo(settled + settled / 10 + 8));
        assertThat(Files.size(file)).isLessThan(settled * pageSize(file) * 2);
    }

    private static long pageCount(Path file) throws Exception {
        return pragma(file, "page_count");
    }

    private static long pageSize(Path file) throws Exception {
        return pragma(file, "page_size");
    }

    private static long pragma(Path file, String name) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }
}
