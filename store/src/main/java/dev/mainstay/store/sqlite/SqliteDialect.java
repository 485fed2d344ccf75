package dev.mainstay.store.sqlite;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import tools.jackson.databind.JsonNode;

/**
 * SQLite: one file, one writer connection (so nothing needs a row lock, and a look-up followed by
 * a write cannot race another writer), a few read connections, statements compiled once per
 * connection, times as epoch milliseconds and booleans as 0 or 1.
 */
final class SqliteDialect extends Dialect {
    /**
     * The longest list spelled with one parameter per value. Longer ones (the accounts with due
     * jobs can be many) go as one JSON array, since a statement takes at most 32,766 parameters,
     * and each length compiles a statement of its own.
     */
    static final int MAX_LISTED = 500;
    /** Pages one turn of the writer gives back (1 MB of 4 kB pages): a few milliseconds of writes. */
    static final int VACUUM_STEP = 256;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SqliteDialect.class);

    private final BlockingQueue<Connection> readers;
    private final Checkpointer checkpointer;
    /**
     * What earlier runs left when the store was opened: with the process lock held, none of it
     * can belong to a live process. Taken back once ({@link #orphans}), then forgotten.
     */
    private volatile Orphans left;
    /** One instance, so that a group whose units made work due runs the callbacks once. */
    private final Runnable wake;

    /** @param left the lease owners and the held reservations found when the store was opened */
    SqliteDialect(GroupCommitter writer, BlockingQueue<Connection> readers, Checkpointer checkpointer, Orphans left) {
        this(writer, new WorkSignal(), readers, checkpointer, left);
    }

    private SqliteDialect(GroupCommitter writer, WorkSignal work, BlockingQueue<Connection> readers, Checkpointer checkpointer, Orphans left) {
        super(writer, work);
        this.readers = readers;
        this.checkpointer = checkpointer;
        this.wake = work::fire;
        this.left = left;
    }

    @Override
    protected <T> T read(GroupCommitter.Work<T> work) {
        Connection c;
        try {
            c = readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a read connection", e);
        }
        try {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException("read failed: " + e.getMessage(), e);
        } finally {
            readers.add(c);
        }
    }

    /**
     * Frees the pages deleted rows left (the database is {@code auto_vacuum = INCREMENTAL}) in steps
     * of at most {@link #VACUUM_STEP} pages, each a unit of the writer like any other, so submits
     * take turns with it instead of waiting for every page; then, after an erasure, checkpoints and
     * truncates the write-ahead log: with {@code secure_delete} on, deleted content is zeroed in
     * the database file, and the log's older copies of the pages go with the log.
     */
    @Override
    protected void reclaim(Sql sql, boolean erased) {
        long freed = 0;
        while (true) {
            long started = System.nanoTime();
            int step = sql.write(SqliteDialect::vacuumStep);
            freed += step;
            if (step < VACUUM_STEP) {
                break;
            }
            // As long a pause as the step took: the steps take at most half of the writer's time.
            try {
                Thread.sleep(java.time.Duration.ofNanos(Math.min(System.nanoTime() - started, 250_000_000L)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (freed > 0) {
            LOG.debug("incremental vacuum gave {} page(s) back", freed);
        }
        if (erased) {
            checkpointer.truncate();
        }
    }

    /** Rebuilds the file with {@code VACUUM}: see {@link Checkpointer#vacuum()}. */
    @Override
    protected void rewrite(Sql sql) {
        checkpointer.vacuum();
    }

    /**
     * Frees at most {@link #VACUUM_STEP} pages in the writer's transaction; how many it freed. The
     * pragma frees one page per step of its statement and answers rows of no columns, which the
     * driver takes for an update and steps once: so it runs once per page, a statement of its own
     * each time (closing it ends its step).
     */
    private static int vacuumStep(Connection c) throws SQLException {
        long free;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA freelist_count")) {
            free = rs.next() ? rs.getLong(1) : 0;
        }
        int step = (int) Math.min(free, VACUUM_STEP);
        for (int i = 0; i < step; i++) {
            try (Statement one = c.createStatement()) {
                one.execute("PRAGMA incremental_vacuum(1)");
            }
        }
        return step;
    }

    @Override
    protected void close() {
        closeWriter();
        checkpointer.close();
        // The cached statements hold their connection, so a weak key alone would never let go.
        for (Connection c : readers) {
            StatementCache.forget(c);
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    protected PreparedStatement prepare(Connection c, String sql) throws SQLException {
        return StatementCache.prepared(c, sql);
    }

    @Override
    protected void done(PreparedStatement ps) {
        // kept for the next time
    }

    @Override
    protected void bind(PreparedStatement ps, int index, Object value) throws SQLException {
        if (value instanceof Instant t) {
            ps.setLong(index, t.toEpochMilli());
        } else if (value instanceof Boolean b) {
            ps.setInt(index, b ? 1 : 0);
        } else {
            ps.setString(index, value instanceof JsonNode n ? Json.write(n) : value instanceof JsonText j ? j.json() : value.toString());
        }
    }

    @Override
    protected Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

    @Override
    protected In in(String column, Collection<String> values) {
        if (values.size() > MAX_LISTED) {
            var array = Json.MAPPER.createArrayNode();
            values.forEach(array::add);
            return new In(column + " IN (SELECT value FROM json_each(?))", List.of(Json.write(array)));
        }
        return new In(column + " IN (" + String.join(", ", Collections.nCopies(values.size(), "?")) + ")", List.copyOf(values));
    }

    @Override
    protected String utcDay(String column) {
        return "strftime('%Y-%m-%d', " + column + " / 1000, 'unixepoch')";
    }

    @Override
    protected String dueAccounts() {
        return "SELECT DISTINCT account_id FROM jobs WHERE status IN ('queued', 'retrying') AND next_run_at <= ?";
    }

    @Override
    protected List<Job> lease(Sql sql, Connection c, List<String> ids, String owner, Instant now, Instant leaseUntil) throws SQLException {
        In chosen = in("id", ids);
        sql.update(c, "UPDATE jobs SET status = 'processing', lease_owner = ?, lease_expires_at = ?, started_at = COALESCE(started_at, ?), updated_at = ? "
                + "WHERE " + chosen.sql(), owner, leaseUntil, now, now, chosen);
        String data = Json.write(Json.object().put("node", owner));
        List<Object[]> events = new ArrayList<>(ids.size());
        for (String id : ids) {
            events.add(new Object[] {id, data, now});
        }
        sql.batch(c, "INSERT INTO job_events (job_id, type, data, at, status) VALUES (?, 'processing', ?, ?, 'processing')", events);
        eventsWritten(c);
        In leased = in("j.id", ids);
        return sql.list(c, JobRows.SELECT + leased.sql(), rs -> JobRows.job(sql, rs), leased);
    }

    @Override
    protected int extendLeases(Sql sql, Connection c, String owner, List<String> ids, Instant leaseUntil) throws SQLException {
        int held = 0;
        for (int from = 0; from < ids.size(); from += MAX_LISTED) {
            In chunk = in("id", ids.subList(from, Math.min(ids.size(), from + MAX_LISTED)));
            held += sql.update(c, "UPDATE jobs SET lease_expires_at = ? WHERE lease_owner = ? AND " + chunk.sql(), leaseUntil, owner, chunk);
        }
        return held;
    }

    /**
     * Every lease and held reservation found when the store was opened, under any name: the
     * process lock says no one else runs on this file, so they were left by a run that is over.
     * What this run leased or reserved since is its own.
     */
    @Override
    protected Orphans orphans(String node) {
        return left;
    }

    @Override
    protected void orphansRecovered() {
        left = new Orphans(List.of(), List.of());
    }

    /** Runs the callbacks on the writer's thread right after the commit. */
    @Override
    protected void workDue(Connection c) {
        Deferred.afterCommit(wake);
    }
}
