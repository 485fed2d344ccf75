package dev.mainstay.store.postgres;

import com.zaxxer.hikari.HikariDataSource;
import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.store.StoreException;
import dev.mainstay.store.jdbc.Deferred;
import dev.mainstay.store.jdbc.Dialect;
import dev.mainstay.store.jdbc.GroupCommitter;
import dev.mainstay.store.jdbc.JobRows;
import dev.mainstay.store.jdbc.Sql;
import dev.mainstay.store.jdbc.WorkSignal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import tools.jackson.databind.JsonNode;

/**
 * PostgreSQL, shared by any number of nodes: a pool of connections, rows locked before they are
 * read ({@code FOR UPDATE}, and {@code SKIP LOCKED} where another node's row may simply be passed
 * over), an advisory lock on the audit chain, {@code NOTIFY} for work made due, and data-modifying
 * {@code WITH} statements that save round trips. Times are {@code timestamptz} kept to the
 * millisecond, JSON documents {@code json}, lists of values one {@code text[]} parameter.
 */
final class PostgresDialect extends Dialect {
    /** An arbitrary, fixed key for the advisory lock that guards the audit chain's head. */
    private static final long AUDIT_LOCK = 0x6d61696e_61756474L;
    /** Another, for the claims under a default {@code max_concurrent_jobs} ({@link #lockDefaultConcurrency}). */
    private static final long CONCURRENCY_LOCK = 0x6d61696e_636f6e63L;

    /**
     * The accounts with due jobs, by a skip scan over the runnable jobs' account index: one short
     * index probe per account rather than a read of every due job, however long the queue.
     */
    private static final String DUE_ACCOUNTS = """
            WITH RECURSIVE a AS (
                (SELECT account_id FROM jobs WHERE status IN ('queued', 'retrying') ORDER BY account_id LIMIT 1)
                UNION ALL
                SELECT (SELECT j.account_id FROM jobs j WHERE j.status IN ('queued', 'retrying') AND j.account_id > a.account_id ORDER BY j.account_id LIMIT 1)
                FROM a WHERE a.account_id IS NOT NULL
            )
            SELECT account_id FROM a
            WHERE account_id IS NOT NULL
              AND EXISTS (SELECT 1 FROM jobs d WHERE d.account_id = a.account_id AND d.status IN ('queued', 'retrying') AND d.next_run_at <= ?)
            """;

    /** Leases the chosen jobs, logs the claims and returns the jobs with their input, in one statement. */
    private static final String LEASE = """
            WITH claimed AS (
                UPDATE jobs SET status = 'processing', lease_owner = ?, lease_expires_at = ?, started_at = COALESCE(started_at, ?), updated_at = ?
                WHERE id = ANY (?)
                RETURNING *
            ), logged AS (
                INSERT INTO job_events (job_id, type, data, at, status)
                SELECT id, 'processing', CAST(? AS json), ?, 'processing' FROM claimed
            )
            SELECT j.*, p.body AS input_body FROM claimed j JOIN payloads p ON p.hash = j.input_hash
            """;

    private final HikariDataSource pool;
    private final WorkListener listener;

    PostgresDialect(GroupCommitter writer, WorkSignal work, WorkSignal events, HikariDataSource pool, WorkListener listener) {
        super(writer, work, events);
        this.pool = pool;
        this.listener = listener;
    }

    /** A {@code text[]} parameter, for {@code = ANY (?)}. */
    private record TextArray(Collection<String> values) {
    }

    @Override
    protected <T> T read(GroupCommitter.Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            Connection c;
            try {
                c = pool.getConnection();
            } catch (SQLException e) {
                throw new StoreException("no PostgreSQL connection for a read: " + e.getMessage(), e);
            }
            try {
                return work.run(c);
            } catch (SQLException e) {
                if (attempt == 1 && !usable(c)) {
                    // A pooled connection that died with the server (a restart): reads are safe to
                    // repeat, so try once more on a fresh one rather than fail the caller.
                    discardDead(pool, c);
                    c = null;
                    continue;
                }
                throw new StoreException("PostgreSQL read failed: " + e.getMessage(), e);
            } finally {
                if (c != null) {
                    try {
                        c.close();
                    } catch (SQLException ignored) {
                        // the pool finds out on its own
                    }
                }
            }
        }
    }

    /**
     * Drops a connection found dead, and with it every idle one: a connection dies with its server,
     * and those opened before it are then dead too, though the pool trusts a connection used in the
     * last half second without checking it.
     */
    static void discardDead(HikariDataSource pool, Connection dead) {
        pool.evictConnection(dead);
        var bean = pool.getHikariPoolMXBean();
        if (bean != null) {
            bean.softEvictConnections();
        }
    }

    private static boolean usable(Connection c) {
        try {
            return c.isValid(5);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    protected void close() {
        listener.close();
        closeWriter();
        pool.close();
    }

    @Override
    protected PreparedStatement prepare(Connection c, String sql) throws SQLException {
        return c.prepareStatement(sql);
    }

    @Override
    protected void done(PreparedStatement ps) throws SQLException {
        ps.close();
    }

    @Override
    protected void bind(PreparedStatement ps, int index, Object value) throws SQLException {
        switch (value) {
            // Instants are kept to the millisecond, as in SQLite, so they read back equal.
            case Instant t -> ps.setObject(index, OffsetDateTime.ofInstant(t.truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC));
            case Boolean b -> ps.setBoolean(index, b);
            // Sent untyped: the server reads it as the json the column or cast asks for.
            case JsonNode n -> ps.setObject(index, Json.write(n), Types.OTHER);
            case JsonText j -> ps.setObject(index, j.json(), Types.OTHER);
            case TextArray a -> ps.setArray(index, ps.getConnection().createArrayOf("text", a.values().toArray()));
            default -> ps.setString(index, value.toString());
        }
    }

    @Override
    protected Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime v = rs.getObject(column, OffsetDateTime.class);
        return v == null ? null : v.toInstant();
    }

    @Override
    protected In in(String column, Collection<String> values) {
        return new In(column + " = ANY (?)", List.of(new TextArray(values)));
    }

    @Override
    protected String utcDay(String column) {
        return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
    }

    /** Ids and scopes sort as in Java whatever the database's locale; the columns themselves are {@code COLLATE "C"}. */
    @Override
    protected String bytewise(String expression) {
        return expression + " COLLATE \"C\"";
    }

    @Override
    protected String dueAccounts() {
        return DUE_ACCOUNTS;
    }

    @Override
    protected List<Job> lease(Sql sql, Connection c, List<String> ids, String owner, Instant now, Instant leaseUntil) throws SQLException {
        return sql.list(c, LEASE, rs -> JobRows.job(sql, rs), owner, leaseUntil, now, now, new TextArray(ids), Json.object().put("node", owner), now);
    }

    /**
     * A job whose row another transaction is changing right now (its transition, in another node's
     * writer) is passed over rather than waited for: waiting on rows in no fixed order against
     * groups that hold them in another could deadlock. The next heartbeat extends it.
     */
    @Override
    protected int extendLeases(Sql sql, Connection c, String owner, List<String> ids, Instant leaseUntil) throws SQLException {
        return sql.update(c, "UPDATE jobs SET lease_expires_at = ? WHERE id IN (SELECT id FROM jobs WHERE lease_owner = ? AND id = ANY (?) "
                + "ORDER BY id FOR UPDATE SKIP LOCKED)", leaseUntil, owner, new TextArray(ids));
    }

    @Override
    protected String withLedgerRow(String close, String ledgerInsert, String update) {
        return "WITH closed AS (" + close + "), ledger AS (" + ledgerInsert + " RETURNING id)" + (update == null ? "" : ", moved AS (" + update + ")")
                + " SELECT " + (update == null ? "NULL" : "(SELECT account_id FROM moved)") + ", (SELECT count(*) FROM ledger), (SELECT holds FROM closed)";
    }

    @Override
    protected String forUpdate() {
        return " FOR UPDATE";
    }

    @Override
    protected String skipLocked() {
        return " FOR UPDATE SKIP LOCKED";
    }

    /** Inserts the missing rows in key order, so that transactions creating them at once never deadlock. */
    @Override
    protected void lockable(Sql sql, Connection c, String table, String column, SortedSet<String> keys) throws SQLException {
        sql.update(c, "INSERT INTO " + table + " (" + column + ") SELECT k FROM unnest(?) AS k ORDER BY k ON CONFLICT (" + column + ") DO NOTHING",
                new TextArray(keys));
    }

    /**
     * One advisory lock for every claimer, not one per account: advisory locks live in the
     * server's shared lock table, which thousands of accounts would fill.
     */
    @Override
    protected void lockDefaultConcurrency(Connection c) throws SQLException {
        advisoryLock(c, CONCURRENCY_LOCK);
    }

    /** The tables an erasure changes: where job content lives. */
    private static final List<String> CONTENT_TABLES = List.of("payloads", "jobs", "job_stages", "job_events", "reviews", "tool_calls", "result_cache",
            "webhook_deliveries", "eval_run_cases", "job_subjects");

    /**
     * A plain VACUUM of the tables erasure touches, so the dead versions of erased rows are pruned
     * now rather than when autovacuum comes round; it takes no lock that blocks reads or writes.
     */
    @Override
    protected void reclaim(Sql sql, boolean erased) {
        if (!erased) {
            return; // autovacuum's job: the sweep's deletes are small and spread out
        }
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute("VACUUM " + String.join(", ", CONTENT_TABLES));
        } catch (SQLException e) {
            org.slf4j.LoggerFactory.getLogger(PostgresDialect.class).warn("vacuum after an erasure failed ({}); autovacuum prunes the erased rows' dead versions later", e.getMessage());
        }
    }

    /** {@code VACUUM FULL} of the tables that hold job content, one at a time (each locked while it is copied). */
    @Override
    protected void rewrite(Sql sql) {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (String table : CONTENT_TABLES) {
                s.execute("VACUUM FULL " + table);
            }
        } catch (SQLException e) {
            throw new dev.mainstay.store.StoreException("rewriting the tables after an erasure failed: " + e.getMessage(), e);
        }
    }

    @Override
    protected void lockAuditChain(Connection c) throws SQLException {
        advisoryLock(c, AUDIT_LOCK);
    }

    /** Takes the transaction-scoped advisory lock {@code key}. */
    private static void advisoryLock(Connection c, long key) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + key + ")");
        }
    }

    /** Delivered to every listening store when the surrounding transaction commits (once per group); never if it rolls back. */
    @Override
    protected void workDue(Connection c) throws SQLException {
        Deferred.once(c, "NOTIFY " + PostgresStore.CHANNEL);
    }

    /** V11's trigger notifies {@link PostgresStore#EVENTS_CHANNEL} at commit; the listener runs the callbacks, on every node. */
    @Override
    protected void eventsWritten(Connection c) {
    }

    @Override
    protected Optional<String> eventHorizon() {
        return Optional.of("pg_snapshot_xmin(pg_current_snapshot())");
    }
}
