package dev.mainstay.store.jdbc;

import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.stats.JobFact;
import dev.mainstay.stats.QueueSnapshot;
import dev.mainstay.stats.StageFact;
import dev.mainstay.stats.StatsQuery;
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
    private final Sql sql;

    JdbcStats(Sql sql) {
        this.sql = sql;
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
            long deadLetters = sql.first(c, "SELECT count(*) AS n FROM jobs WHERE status = 'failed' AND dead_letter = ?", rs -> rs.getLong("n"), true)
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
        return sql.read(c -> sql.list(c, "SELECT j.workflow, j.workflow_version, j.status, j.result_type, j.created_at, j.started_at, j.completed_at, "
                + "j.input_tokens, j.output_tokens, j.cost_micros, j.provenance, "
                + "(SELECT count(*) FROM job_events e WHERE e.job_id = j.id AND e.type = 'retry_scheduled') AS retries FROM jobs j WHERE " + where,
                rs -> {
                    String resultType = rs.getString("result_type");
                    return new JobFact(rs.getString("workflow"), rs.getInt("workflow_version"), JobStatus.fromWire(rs.getString("status")),
                            resultType == null ? null : ResultType.fromWire(resultType), sql.instant(rs, "created_at"), sql.instant(rs, "started_at"),
                            sql.instant(rs, "completed_at"), rs.getLong("input_tokens"), rs.getLong("output_tokens"), rs.getLong("cost_micros"),
                            rs.getInt("retries"), fallbackPath(Sql.json(rs, "provenance")));
                }, args.toArray()));
    }

    @Override
    public List<StageFact> stageFacts(StatsQuery q) {
        List<Object> args = new ArrayList<>();
        String where = where(q, args);
        return sql.read(c -> sql.list(c, "SELECT j.workflow, s.stage_id, s.started_at, s.completed_at, s.provenance FROM job_stages s "
                + "JOIN jobs j ON j.id = s.job_id WHERE s.status = 'completed' AND " + where, rs -> {
                    Instant started = sql.instant(rs, "started_at");
                    Instant completed = sql.instant(rs, "completed_at");
                    JsonNode provenance = Sql.json(rs, "provenance");
                    String validation = provenance == null || !provenance.hasNonNull("validation") ? null : provenance.get("validation").asString();
                    long ms = started == null || completed == null ? -1 : Math.max(0, Duration.between(started, completed).toMillis());
                    return new StageFact(rs.getString("workflow"), rs.getString("stage_id"), ms, validation);
                }, args.toArray()));
    }

    private static String where(StatsQuery q, List<Object> args) {
        StringBuilder where = new StringBuilder("j.created_at >= ? AND j.created_at < ?");
        args.add(q.from());
        args.add(q.to());
        Sql.and(where, args, "j.account_id = ?", q.accountId().orElse(null));
        Sql.and(where, args, "j.workflow = ?", q.workflow().orElse(null));
        return where.toString();
    }

    private static List<String> fallbackPath(JsonNode provenance) {
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
