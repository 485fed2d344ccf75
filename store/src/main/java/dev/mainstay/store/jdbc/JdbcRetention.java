package dev.mainstay.store.jdbc;

import dev.mainstay.store.RetentionStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The retention sweeper's batches, on any dialect. */
final class JdbcRetention implements RetentionStore {
    private static final String LEASE = "retention";

    private final Sql sql;
    private final Dialect dialect;
    private final JdbcStatsFold statsFold;

    JdbcRetention(Sql sql, Dialect dialect) {
        this.sql = sql;
        this.dialect = dialect;
        this.statsFold = new JdbcStatsFold(sql, dialect);
    }

    @Override
    public boolean leaseSweep(String owner, Instant now, Instant until) {
        return sql.write(c -> sql.update(c, "INSERT INTO sweep_leases (name, owner, expires_at) VALUES (?, ?, ?) "
                + "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
                + "WHERE sweep_leases.owner = excluded.owner OR sweep_leases.expires_at <= ?", LEASE, owner, until, now) == 1);
    }

    @Override
    public Removed expirePayloads(Scope scope, Instant finishedBefore, Instant now, int max) {
        return sql.write(c -> {
            List<Object> args = new ArrayList<>(List.of(finishedBefore));
            String in = scope(scope, "workflow", args);
            args.add(max);
            List<String[]> jobs = sql.list(c, keptPayloadsSql(in), rs -> new String[] {rs.getString(1), rs.getString(2)}, args.toArray());
            if (jobs.isEmpty()) {
                return Removed.NONE;
            }
            List<String> ids = jobs.stream().map(j -> j[0]).toList();
            List<String> hashes = jobs.stream().map(j -> j[1]).distinct().toList();
            Dialect.In jobIds = dialect.in("id", ids);
            Dialect.In stageJobs = dialect.in("job_id", ids);
            long characters = size(c, "SELECT SUM(LENGTH(CAST(result AS TEXT))) FROM jobs WHERE " + jobIds.sql(), jobIds)
                    + size(c, "SELECT SUM(LENGTH(CAST(output AS TEXT))) FROM job_stages WHERE " + stageJobs.sql(), stageJobs);
            long rows = sql.update(c, "UPDATE jobs SET result = NULL, payloads_expired_at = ? WHERE " + jobIds.sql(), now, jobIds);
            sql.update(c, "UPDATE job_stages SET output = NULL WHERE output IS NOT NULL AND " + stageJobs.sql(), stageJobs);
            sql.update(c, "UPDATE reviews SET proposed = NULL, output = NULL WHERE " + stageJobs.sql(), stageJobs);
            sql.update(c, "UPDATE tool_calls SET request = 'null', response = NULL WHERE " + stageJobs.sql(), stageJobs);
            characters += deleteUnusedPayloads(c, hashes);
            return new Removed(rows, characters);
        });
    }

    @Override
    public Removed deleteJobs(Scope scope, Instant finishedBefore, int max) {
        return sql.write(c -> {
            List<Object> args = new ArrayList<>(List.of(finishedBefore));
            String where = "completed_at < ? AND status IN (" + JdbcJobs.TERMINAL + ") AND " + scope(scope, "workflow", args);
            args.add(max);
            List<String[]> jobs = sql.list(c, "SELECT id, input_hash FROM jobs WHERE " + where + " ORDER BY completed_at LIMIT ?",
                    rs -> new String[] {rs.getString(1), rs.getString(2)}, args.toArray());
            if (jobs.isEmpty()) {
                return Removed.NONE;
            }
            List<String> ids = jobs.stream().map(j -> j[0]).toList();
            List<String> hashes = jobs.stream().map(j -> j[1]).distinct().toList();
            Dialect.In jobIds = dialect.in("id", ids);
            Dialect.In ofJobs = dialect.in("job_id", ids);
            // The stats buckets are what remains of a deleted job: one the fold has not reached yet is folded now.
            statsFold.foldJobs(c, ids);
            long characters = size(c, "SELECT SUM(LENGTH(CAST(result AS TEXT))) FROM jobs WHERE " + jobIds.sql(), jobIds)
                    + size(c, "SELECT SUM(LENGTH(CAST(output AS TEXT))) FROM job_stages WHERE " + ofJobs.sql(), ofJobs);
            long rows = 0;
            // Usage (the ledger and its counters) and the audit log stay: they are the aggregates and the proof.
            for (String table : List.of("job_stages", "job_events", "reviews", "tool_calls", "idempotency_keys")) {
                rows += sql.update(c, "DELETE FROM " + table + " WHERE " + ofJobs.sql(), ofJobs);
            }
            rows += sql.update(c, "DELETE FROM jobs WHERE " + jobIds.sql(), jobIds);
            characters += deleteUnusedPayloads(c, hashes);
            return new Removed(rows, characters);
        });
    }

    @Override
    public Removed deleteEvents(Scope scope, Instant before, int max) {
        return sql.write(c -> {
            List<Object> args = new ArrayList<>(List.of(before));
            String where = "e.at < ? AND j.status IN (" + JdbcJobs.TERMINAL + ") AND " + scope(scope, "j.workflow", args);
            args.add(max);
            List<Long> seqs = sql.list(c, "SELECT e.seq FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE " + where + " ORDER BY e.at LIMIT ?",
                    rs -> rs.getLong(1), args.toArray());
            if (seqs.isEmpty()) {
                return Removed.NONE;
            }
            // A job's retries are counted from its events: a job the fold has not reached yet is folded before they go.
            statsFold.foldJobs(c, sql.list(c, "SELECT DISTINCT job_id FROM job_events WHERE seq IN (" + String.join(", ", java.util.Collections.nCopies(seqs.size(), "?"))
                    + ")", Sql::text, seqs.toArray()));
            String in = "seq IN (" + String.join(", ", java.util.Collections.nCopies(seqs.size(), "?")) + ")";
            Object[] values = seqs.toArray();
            long characters = size(c, "SELECT SUM(LENGTH(CAST(data AS TEXT))) FROM job_events WHERE " + in, values);
            return new Removed(sql.update(c, "DELETE FROM job_events WHERE " + in, values), characters);
        });
    }

    @Override
    public Removed deleteCachedOutputs(Instant now, Instant createdBefore, int max) {
        return sql.write(c -> {
            List<String> keys = sql.list(c, "SELECT key FROM result_cache WHERE expires_at <= ? OR created_at < ? LIMIT ?", Sql::text, now, createdBefore, max);
            if (keys.isEmpty()) {
                return Removed.NONE;
            }
            Dialect.In in = dialect.in("key", keys);
            long characters = size(c, "SELECT SUM(LENGTH(CAST(output AS TEXT))) FROM result_cache WHERE " + in.sql(), in);
            return new Removed(sql.update(c, "DELETE FROM result_cache WHERE " + in.sql(), in), characters);
        });
    }

    @Override
    public Removed deleteIdempotencyKeys(Instant recordedBefore, int max) {
        return sql.write(c -> {
            List<String[]> keys = sql.list(c, "SELECT account_id, key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?",
                    rs -> new String[] {rs.getString(1), rs.getString(2)}, recordedBefore, max);
            int rows = 0;
            for (String[] k : keys) {
                // The window is checked again: a submit may have taken the key over since the select.
                rows += sql.update(c, "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND created_at < ?", k[0], k[1], recordedBefore);
            }
            return new Removed(rows, 0);
        });
    }

    /** Deletes those of {@code hashes} that no job with kept payloads uses; the characters deleted. */
    private long deleteUnusedPayloads(Connection c, List<String> hashes) throws SQLException {
        Dialect.In in = dialect.in("hash", hashes);
        String unused = unusedPayloads(in.sql());
        long characters = size(c, "SELECT SUM(LENGTH(body)) FROM payloads WHERE " + unused, in);
        sql.update(c, "DELETE FROM payloads WHERE " + unused, in);
        return characters;
    }

    /**
     * The oldest finished jobs, before its first parameter, whose payloads are kept and that
     * {@code scope} (a condition on {@code jobs}) picks; at most its last parameter. Read through
     * {@code jobs_payloads_kept}, which holds only those, so a batch does not step over the jobs
     * earlier batches expired.
     */
    static String keptPayloadsSql(String scope) {
        return "SELECT id, input_hash FROM jobs WHERE payloads_expired_at IS NULL AND completed_at < ? AND status IN (" + JdbcJobs.TERMINAL + ") AND "
                + scope + " ORDER BY completed_at LIMIT ?";
    }

    /**
     * The condition on {@code payloads} of those among {@code in} (a condition on {@code hash}) that
     * no job with kept payloads uses. The look-up goes by the index {@code jobs_by_input}: without
     * it, it reads every job once per input.
     */
    static String unusedPayloads(String in) {
        return in + " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.input_hash = payloads.hash AND j.payloads_expired_at IS NULL)";
    }

    private long size(Connection c, String query, Object... args) throws SQLException {
        return sql.first(c, query, rs -> rs.getLong(1), args).orElse(0L);
    }

    private String scope(Scope scope, String column, List<Object> args) {
        return switch (scope) {
            case Scope.Only only -> {
                args.add(only.workflow());
                yield column + " = ?";
            }
            case Scope.AllBut allBut -> {
                if (allBut.workflows().isEmpty()) {
                    yield "1 = 1";
                }
                Dialect.In in = dialect.in(column, allBut.workflows());
                args.add(in);
                yield "NOT (" + in.sql() + ")";
            }
        };
    }
}
