package dev.mainstay.store.jdbc;

import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.stats.JobFact;
import dev.mainstay.stats.StageFact;
import dev.mainstay.stats.Tally;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Folds finished jobs into {@code stats_buckets}: each job's {@link Tally#counters counts} added to
 * the rows of its submit minute, hour and day, under its account and under {@link #ALL}. A job is
 * folded once: the fold flags it ({@code stats_folded}) in the same transaction, and only the jobs
 * its guarded update flagged are counted, so two folds on two nodes at once, or a fold redone after
 * a crash, cannot count a job twice. The counts are upserted as sums, in one order, so concurrent
 * folds neither lose an update nor deadlock. A replay takes the job's counts back ({@link #unfold}).
 */
final class JdbcStatsFold {
    /** The pseudo-account whose rows count every account's jobs, for summaries of all accounts. */
    static final String ALL = "*";
    /** The bucket widths, finest first; a summary reads the coarsest that fit whole. */
    static final List<Duration> WIDTHS = List.of(Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofDays(1));
    /** The oldest finished jobs not folded yet, through the partial index {@code jobs_unfolded}. */
    static final String DUE = "SELECT id FROM jobs WHERE stats_folded = 0 AND completed_at IS NOT NULL AND status IN (" + JdbcJobs.TERMINAL
            + ") ORDER BY completed_at LIMIT ?";
    private static final String COLUMNS = "id, account_id, workflow, workflow_version, status, result_type, created_at, started_at, completed_at, "
            + "input_tokens, output_tokens, cost_micros, provenance";

    private final Sql sql;
    private final Dialect dialect;

    JdbcStatsFold(Sql sql, Dialect dialect) {
        this.sql = sql;
        this.dialect = dialect;
    }

    /** One batch: at most {@code max} finished jobs not folded yet, oldest end first; how many it found. */
    int fold(int max) {
        return sql.write(c -> {
            // Rows of this group's earlier units (a job's last stage, its events) go out first, so the fold sees them.
            Deferred.flush(c);
            List<String> due = sql.list(c, DUE, Sql::text, max);
            foldJobs(c, due);
            return due.size();
        });
    }

    /** Folds those of {@code ids} that are finished and not folded yet, in {@code c}'s transaction; how many it folded. */
    int foldJobs(Connection c, List<String> ids) throws SQLException {
        if (ids.isEmpty()) {
            return 0;
        }
        Dialect.In jobs = dialect.in("job_id", ids);
        Map<String, Integer> retries = new HashMap<>();
        for (Object[] r : sql.list(c, "SELECT job_id, COUNT(*) AS n FROM job_events WHERE " + jobs.sql() + " AND type = 'retry_scheduled' GROUP BY job_id",
                rs -> new Object[] {rs.getString(1), rs.getInt(2)}, jobs)) {
            retries.put((String) r[0], (Integer) r[1]);
        }
        Dialect.In in = dialect.in("id", ids);
        List<Row> rows = sql.list(c, "UPDATE jobs SET stats_folded = 1 WHERE " + in.sql() + " AND stats_folded = 0 AND status IN (" + JdbcJobs.TERMINAL
                + ") RETURNING " + COLUMNS, this::row, in);
        if (rows.isEmpty()) {
            return 0;
        }
        List<String> folded = rows.stream().map(Row::id).toList();
        List<String> retried = folded.stream().filter(id -> retries.getOrDefault(id, 0) > 0).toList();
        if (!retried.isEmpty()) {
            Dialect.In r = dialect.in("id", retried);
            sql.update(c, "UPDATE jobs SET stats_folded = 2 WHERE " + r.sql(), r);
        }
        add(c, rows, retries, 1);
        return rows.size();
    }

    /**
     * Takes back what the fold added for {@code jobId}, a failed job about to be replayed (it will
     * count again once it finishes again), in the replay's transaction; nothing when it was not folded.
     */
    void unfold(Connection c, String jobId) throws SQLException {
        List<Object[]> found = sql.list(c, "SELECT " + COLUMNS + ", stats_folded FROM jobs WHERE id = ? AND stats_folded > 0 AND status = 'failed'"
                + dialect.forUpdate(), rs -> new Object[] {row(rs), rs.getInt("stats_folded")}, jobId);
        if (found.isEmpty()) {
            return;
        }
        sql.update(c, "UPDATE jobs SET stats_folded = 0 WHERE id = ?", jobId);
        // The fold's flag says whether it counted a retry: the job's events may be gone since.
        add(c, List.of((Row) found.getFirst()[0]), Map.of(jobId, (Integer) found.getFirst()[1] == 2 ? 1 : 0), -1);
    }

    /** Adds {@code sign} times the counts of {@code rows} (and their committed stages) to the buckets. */
    private void add(Connection c, List<Row> rows, Map<String, Integer> retries, int sign) throws SQLException {
        Map<String, Row> byId = new HashMap<>();
        for (Row r : rows) {
            byId.put(r.id(), r);
        }
        Map<Key, Long> sums = new TreeMap<>(Key.ORDER);
        for (Row r : rows) {
            JobFact fact = new JobFact(r.workflow(), r.version(), r.status(), r.resultType(), r.createdAt(), r.startedAt(), r.completedAt(),
                    r.inputTokens(), r.outputTokens(), r.costMicros(), retries.getOrDefault(r.id(), 0), r.fallbackPath());
            Tally.counters(fact, (metric, label, n) -> sum(sums, r, metric, label, sign * n));
        }
        Dialect.In jobs = dialect.in("job_id", new ArrayList<>(byId.keySet()));
        for (Object[] s : sql.list(c, "SELECT job_id, stage_id, started_at, completed_at, provenance FROM job_stages WHERE status = 'completed' AND " + jobs.sql(),
                rs -> new Object[] {rs.getString("job_id"), JdbcStats.stageFact(sql, rs, "")}, jobs)) {
            Row r = byId.get((String) s[0]);
            StageFact stage = (StageFact) s[1];
            Tally.counters(new StageFact(r.workflow(), stage.stageId(), stage.runMillis(), stage.validation()),
                    (metric, label, n) -> sum(sums, r, metric, label, sign * n));
        }
        List<Object[]> upserts = new ArrayList<>(sums.size());
        sums.forEach((k, n) -> upserts.add(new Object[] {k.account(), k.width(), k.start(), k.workflow(), k.version(), k.metric(), k.label(), n}));
        sql.batch(c, "INSERT INTO stats_buckets (account_id, width_s, bucket_start, workflow, version, metric, label, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (account_id, width_s, bucket_start, workflow, version, metric, label) DO UPDATE SET n = stats_buckets.n + excluded.n", upserts);
    }

    private static void sum(Map<Key, Long> sums, Row r, String metric, String label, long n) {
        if (n == 0) {
            return;
        }
        for (Duration w : WIDTHS) {
            long width = w.toMillis();
            Instant start = Instant.ofEpochMilli(Math.floorDiv(r.createdAt().toEpochMilli(), width) * width);
            for (String account : new String[] {r.account(), ALL}) {
                sums.merge(new Key(account, (int) w.toSeconds(), start, r.workflow(), r.version(), metric, label), n, Long::sum);
            }
        }
    }

    private Row row(java.sql.ResultSet rs) throws SQLException {
        String resultType = rs.getString("result_type");
        return new Row(rs.getString("id"), rs.getString("account_id"), rs.getString("workflow"), rs.getInt("workflow_version"),
                JobStatus.fromWire(rs.getString("status")), resultType == null ? null : ResultType.fromWire(resultType), sql.instant(rs, "created_at"),
                sql.instant(rs, "started_at"), sql.instant(rs, "completed_at"), rs.getLong("input_tokens"), rs.getLong("output_tokens"),
                rs.getLong("cost_micros"), JdbcStats.fallbackPath(Sql.json(rs, "provenance")));
    }

    /** What a fold reads of a job. */
    private record Row(String id, String account, String workflow, int version, JobStatus status, ResultType resultType, Instant createdAt,
                       Instant startedAt, Instant completedAt, long inputTokens, long outputTokens, long costMicros, List<String> fallbackPath) {
    }

    /** One row of {@code stats_buckets}. */
    private record Key(String account, int width, Instant start, String workflow, int version, String metric, String label) {
        static final Comparator<Key> ORDER = Comparator.comparing(Key::account).thenComparingInt(Key::width).thenComparing(Key::start)
                .thenComparing(Key::workflow).thenComparingInt(Key::version).thenComparing(Key::metric).thenComparing(Key::label);
    }
}
