package dev.mainstay.store.jdbc;

import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.stats.JobFact;
import dev.mainstay.stats.QueueSnapshot;
import dev.mainstay.stats.StageFact;
import dev.mainstay.stats.StatsQuery;
import dev.mainstay.stats.Tally;
import java.sql.Connection;
import dev.mainstay.store.StatsStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Figures over the jobs table, on any dialect: the queue's state for metrics' gauges and the
 * facts a stats summary is computed from. Plain counts and rows: the arithmetic (rates,
 * percentiles, buckets) is {@link dev.mainstay.stats.JobStats}', the same for both databases.
 */
final class JdbcStats implements StatsStore {
    /** How far around a raw edge of a summary the job ids are read: an id's time and its job's {@code created_at} come from one clock read apart. */
    private static final long ID_MARGIN_MILLIS = 60_000;

    /** The jobs of an edge of a range, by their time-ordered ids (the primary key) and then exactly. */
    static final String EDGE = "j.id >= ? AND j.id < ? AND j.created_at >= ? AND j.created_at < ?";
    /** The unfinished jobs of a range, through the partial index {@code jobs_unfinished}. */
    static final String UNFINISHED = "j.status NOT IN (" + JdbcJobs.TERMINAL + ") AND j.created_at >= ? AND j.created_at < ?";
    /** The finished jobs of a range not folded yet, through the partial index {@code jobs_unfolded}. */
    static final String UNFOLDED = "j.stats_folded = 0 AND j.completed_at IS NOT NULL AND j.status IN (" + JdbcJobs.TERMINAL
            + ") AND j.created_at >= ? AND j.created_at < ?";

    /**
     * Filters written as expressions no index serves, so that the planner keeps to the small
     * index the condition names instead of walking every job of an account or a workflow
     * ({@code jobs_by_account}, {@code jobs_last_good}).
     */
    static final String UNINDEXED_ACCOUNT = "(j.account_id || '') = ?";
    static final String UNINDEXED_WORKFLOW = "(j.workflow || '') = ?";

    private final Sql sql;
    private final JdbcStatsFold fold;

    JdbcStats(Sql sql, JdbcStatsFold fold) {
        this.sql = sql;
        this.fold = fold;
    }

    @Override
    public QueueSnapshot queueSnapshot(Instant now) {
        return sql.read(c -> {
            Map<JobStatus, Long> unfinished = new EnumMap<>(JobStatus.class);
            for (JobStatus s : JobStatus.values()) {
                if (!s.isTerminal()) {
                    unfinished.put(s, 0L);
                }
            }
            for (Object[] row : sql.list(c, "SELECT status, count(*) AS n FROM jobs WHERE status NOT IN "
                    + "('completed', 'partially_completed', 'degraded', 'failed', 'cancelled') GROUP BY status",
                    rs -> new Object[] {rs.getString("status"), rs.getLong("n")})) {
                unfinished.put(JobStatus.fromWire((String) row[0]), (Long) row[1]);
            }
            Instant oldestDue = sql.first(c, "SELECT min(next_run_at) AS t FROM jobs WHERE status IN ('queued', 'retrying') AND next_run_at <= ?",
                    rs -> sql.instant(rs, "t"), now).orElse(null);
            long deadLetters = sql.first(c, "SELECT count(*) AS n FROM jobs WHERE status = 'failed' AND dead_letter", rs -> rs.getLong("n"))
                    .orElse(0L);
            Object[] reviews = sql.first(c, "SELECT count(*) AS n, min(created_at) AS t FROM reviews WHERE status = 'pending'",
                    rs -> new Object[] {rs.getLong("n"), sql.instant(rs, "t")}).orElseThrow();
            long held = 0;
            long heldMicros = 0;
            for (String estimate : sql.list(c, "SELECT estimate FROM reservations WHERE state = 'held'", rs -> Sql.text(rs))) {
                held++;
                if (estimate != null) {
                    heldMicros += dev.mainstay.Json.parse(estimate).path("cost_micros").asLong(0);
                }
            }
            return new QueueSnapshot(unfinished, age(oldestDue, now), deadLetters, (Long) reviews[0], age((Instant) reviews[1], now), held, heldMicros);
        });
    }

    @Override
    public List<JobFact> jobFacts(StatsQuery q) {
        List<Object> args = new ArrayList<>();
        String where = where(q, args);
        return sql.read(c -> jobFacts(c, where, args));
    }

    @Override
    public List<StageFact> stageFacts(StatsQuery q) {
        List<Object> args = new ArrayList<>();
        String where = where(q, args);
        return sql.read(c -> stageFacts(c, where, args));
    }

    /**
     * The counts of the query's jobs: whole buckets from {@code stats_buckets} (days, hours and
     * minutes, the coarsest that fit the range and its series), and job by job only what the
     * buckets cannot give: the jobs of the range's edges (less than a minute each, found by their
     * time-ordered ids) and, inside, the jobs not folded yet (unfinished, or finished and still
     * in the {@code jobs_unfolded} index). All in one read transaction, so a fold that commits meanwhile is seen either
     * wholly or not at all.
     */
    @Override
    public Tally tally(StatsQuery q) {
        List<Duration> widths = new ArrayList<>();
        for (Duration w : JdbcStatsFold.WIDTHS) {
            if (w.compareTo(q.bucket().width()) <= 0) {
                widths.addFirst(w);
            }
        }
        List<Whole> whole = new ArrayList<>();
        List<Instant[]> edges = new ArrayList<>();
        decompose(q.from(), q.to(), widths, whole, edges);
        return sql.read(c -> snapshot(c, tx -> {
            Tally t = new Tally();
            for (Whole w : whole) {
                List<Object> args = new ArrayList<>(List.of(q.accountId().orElse(JdbcStatsFold.ALL), (int) w.width().toSeconds(), w.from(), w.to()));
                StringBuilder where = new StringBuilder("account_id = ? AND width_s = ? AND bucket_start >= ? AND bucket_start < ?");
                Sql.and(where, args, "workflow = ?", q.workflow().orElse(null));
                for (Object[] r : sql.list(c, "SELECT workflow, bucket_start, metric, label, n FROM stats_buckets WHERE " + where,
                        rs -> new Object[] {rs.getString(1), sql.instant(rs, "bucket_start"), rs.getString(3), rs.getString(4), rs.getLong(5)}, args.toArray())) {
                    t.add((String) r[0], q.bucket().start((Instant) r[1]), (String) r[2], (String) r[3], (Long) r[4]);
                }
            }
            for (Instant[] edge : edges) {
                List<Object> args = new ArrayList<>(List.of(JobIds.floor("job", edge[0].toEpochMilli() - ID_MARGIN_MILLIS),
                        JobIds.floor("job", edge[1].toEpochMilli() + ID_MARGIN_MILLIS), edge[0], edge[1]));
                StringBuilder where = new StringBuilder(EDGE);
                Sql.and(where, args, "j.account_id = ?", q.accountId().orElse(null));
                Sql.and(where, args, UNINDEXED_WORKFLOW, q.workflow().orElse(null));
                add(c, t, q, where.toString(), args);
            }
            if (!whole.isEmpty()) {
                Instant from = whole.stream().map(Whole::from).min(Instant::compareTo).orElseThrow();
                Instant to = whole.stream().map(Whole::to).max(Instant::compareTo).orElseThrow();
                List<Object> args = new ArrayList<>(List.of(from, to));
                StringBuilder where = new StringBuilder(UNFINISHED);
                Sql.and(where, args, "j.account_id = ?", q.accountId().orElse(null));
                Sql.and(where, args, UNINDEXED_WORKFLOW, q.workflow().orElse(null));
                add(c, t, q, where.toString(), args);
                args = new ArrayList<>(List.of(from, to));
                where = new StringBuilder(UNFOLDED);
                Sql.and(where, args, UNINDEXED_ACCOUNT, q.accountId().orElse(null));
                Sql.and(where, args, UNINDEXED_WORKFLOW, q.workflow().orElse(null));
                add(c, t, q, where.toString(), args);
            }
            return t;
        }));
    }

    @Override
    public int foldStats(Instant now, int max) {
        return fold.fold(max);
    }

    /** A range of whole buckets of one width. */
    private record Whole(Duration width, Instant from, Instant to) {
    }

    /** Splits {@code [from, to)} into whole buckets, coarsest first, and the edges no bucket fits (each shorter than the finest width). */
    static void decompose(Instant from, Instant to, List<Duration> coarseFirst, List<Whole> whole, List<Instant[]> edges) {
        if (!from.isBefore(to)) {
            return;
        }
        if (coarseFirst.isEmpty()) {
            edges.add(new Instant[] {from, to});
            return;
        }
        long w = coarseFirst.getFirst().toMillis();
        List<Duration> finer = coarseFirst.subList(1, coarseFirst.size());
        Instant a = Instant.ofEpochMilli(Math.floorDiv(from.toEpochMilli() + w - 1, w) * w);
        Instant b = Instant.ofEpochMilli(Math.floorDiv(to.toEpochMilli(), w) * w);
        if (!a.isBefore(b)) {
            decompose(from, to, finer, whole, edges);
            return;
        }
        decompose(from, a, finer, whole, edges);
        whole.add(new Whole(coarseFirst.getFirst(), a, b));
        decompose(b, to, finer, whole, edges);
    }

    /** Runs {@code work} in one read transaction, every statement seeing the same committed state. */
    private <T> T snapshot(Connection c, GroupCommitter.Work<T> work) throws SQLException {
        boolean auto = c.getAutoCommit();
        int isolation = c.getTransactionIsolation();
        // PostgreSQL's default gives each statement its own snapshot; SQLite's read transaction is one snapshot already.
        if (c.getMetaData().supportsTransactionIsolationLevel(Connection.TRANSACTION_REPEATABLE_READ)) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        }
        c.setAutoCommit(false);
        try {
            T out = work.run(c);
            c.commit();
            return out;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
            if (c.getTransactionIsolation() != isolation) {
                c.setTransactionIsolation(isolation);
            }
        }
    }

    private void add(Connection c, Tally t, StatsQuery q, String where, List<Object> args) throws SQLException {
        for (JobFact j : jobFacts(c, where, args)) {
            t.add(q.bucket(), j);
        }
        for (StageFact s : stageFacts(c, where, args)) {
            t.add(s);
        }
    }

    private List<JobFact> jobFacts(Connection c, String where, List<Object> args) throws SQLException {
        return sql.list(c, "SELECT j.workflow, j.workflow_version, j.status, j.result_type, j.created_at, j.started_at, j.completed_at, "
                + "j.input_tokens, j.output_tokens, j.cost_micros, j.provenance, "
                + "(SELECT count(*) FROM job_events e WHERE e.job_id = j.id AND e.type = 'retry_scheduled') AS retries FROM jobs j WHERE " + where,
                rs -> {
                    String resultType = rs.getString("result_type");
                    return new JobFact(rs.getString("workflow"), rs.getInt("workflow_version"), JobStatus.fromWire(rs.getString("status")),
                            resultType == null ? null : ResultType.fromWire(resultType), sql.instant(rs, "created_at"), sql.instant(rs, "started_at"),
                            sql.instant(rs, "completed_at"), rs.getLong("input_tokens"), rs.getLong("output_tokens"), rs.getLong("cost_micros"),
                            rs.getInt("retries"), fallbackPath(Sql.json(rs, "provenance")));
                }, args.toArray());
    }

    private List<StageFact> stageFacts(Connection c, String where, List<Object> args) throws SQLException {
        // CROSS JOIN: SQLite reads the jobs first (by the index the condition names), then their stages by key, never every stage.
        return sql.list(c, "SELECT j.workflow, s.stage_id, s.started_at, s.completed_at, s.provenance FROM jobs j CROSS JOIN job_stages s "
                + "WHERE s.job_id = j.id AND s.status = 'completed' AND " + where, rs -> stageFact(sql, rs, rs.getString("workflow")), args.toArray());
    }

    /** A committed stage of {@code workflow}, from a row of {@code job_stages}. */
    static StageFact stageFact(Sql sql, ResultSet rs, String workflow) throws SQLException {
        Instant started = sql.instant(rs, "started_at");
        Instant completed = sql.instant(rs, "completed_at");
        JsonNode provenance = Sql.json(rs, "provenance");
        String validation = provenance == null || !provenance.hasNonNull("validation") ? null : provenance.get("validation").asString();
        long ms = started == null || completed == null ? -1 : Math.max(0, Duration.between(started, completed).toMillis());
        return new StageFact(workflow, rs.getString("stage_id"), ms, validation);
    }

    private static String where(StatsQuery q, List<Object> args) {
        StringBuilder where = new StringBuilder("j.created_at >= ? AND j.created_at < ?");
        args.add(q.from());
        args.add(q.to());
        filters(q, where, args);
        return where.toString();
    }

    private static void filters(StatsQuery q, StringBuilder where, List<Object> args) {
        Sql.and(where, args, "j.account_id = ?", q.accountId().orElse(null));
        Sql.and(where, args, "j.workflow = ?", q.workflow().orElse(null));
    }

    static List<String> fallbackPath(JsonNode provenance) {
        List<String> path = new ArrayList<>();
        if (provenance != null) {
            for (JsonNode entry : provenance.path("fallback_path")) {
                path.add(entry.asString());
            }
        }
        return path;
    }

    private static Duration age(Instant since, Instant now) {
        return since == null || since.isAfter(now) ? Duration.ZERO : Duration.between(since, now);
    }
}
