package dev.mainstay.store.jdbc;

import dev.mainstay.audit.AuditEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes of a group transaction whose outcome no unit reads before the commit: job events, stage
 * rows, audit records, new jobs and their payloads. A unit hands them here rather than sending each
 * on its own; the writer sends them just before the commit, one batch per statement, so a group of
 * N units costs one round trip per kind of row instead of N, and the audit chain's head is read and
 * locked once per group instead of once per unit.
 *
 * <p>Rows of one statement go out in the order they were handed in, so the events of a job keep
 * their order. A unit whose own statement must come after pending rows (a claim logs its events
 * directly) calls {@link #flush(Connection)} first.
 *
 * <p>Only the writer thread of a {@link GroupCommitter} has one; everywhere else (a store helper
 * called outside a group) {@link #current()} is empty and writes go out at once.
 */
public final class Deferred {
    /** How a dialect compiles a statement and binds its values. */
    public interface Statements {
        PreparedStatement prepare(Connection c, String sql) throws SQLException;

        /** Called once the statement's batch ran; closes it unless the dialect keeps it. */
        void done(PreparedStatement ps) throws SQLException;

        void bind(PreparedStatement ps, Object... values) throws SQLException;
    }

    private static final ThreadLocal<Deferred> CURRENT = new ThreadLocal<>();

    private record Audit(AuditLog.Dialect dialect, String jobId, List<AuditEvent> events) {
    }

    private final Map<String, List<Object[]>> rows = new LinkedHashMap<>();
    private final Map<String, Statements> dialects = new LinkedHashMap<>();
    private final List<Audit> audit = new ArrayList<>();
    private final List<String> once = new ArrayList<>();

    Deferred() {
    }

    /** The group's deferred writes when called on a writer thread inside a group, otherwise null. */
    static Deferred current() {
        return CURRENT.get();
    }

    void install() {
        CURRENT.set(this);
    }

    void uninstall() {
        CURRENT.remove();
    }

    /**
     * Runs {@code sql} with {@code values} before the group commits, or at once outside a group.
     * Its update count is not known to the caller.
     */
    public static void update(Connection c, Statements dialect, String sql, Object... values) throws SQLException {
        Deferred d = CURRENT.get();
        if (d == null) {
            PreparedStatement ps = dialect.prepare(c, sql);
            try {
                dialect.bind(ps, values);
                ps.executeUpdate();
            } finally {
                dialect.done(ps);
            }
            return;
        }
        d.rows.computeIfAbsent(sql, k -> new ArrayList<>()).add(values);
        d.dialects.putIfAbsent(sql, dialect);
    }

    /**
     * Runs the parameterless {@code sql} once before the group commits however many units ask
     * (PostgreSQL's {@code NOTIFY}), or at once outside a group.
     */
    public static void once(Connection c, String sql) throws SQLException {
        Deferred d = CURRENT.get();
        if (d == null) {
            try (var s = c.createStatement()) {
                s.execute(sql);
            }
        } else if (!d.once.contains(sql)) {
            d.once.add(sql);
        }
    }

    /** Appends to the audit chain before the group commits; false outside a group, where the caller appends at once. */
    static boolean audit(AuditLog.Dialect dialect, String jobId, List<AuditEvent> events) {
        Deferred d = CURRENT.get();
        if (d == null) {
            return false;
        }
        d.audit.add(new Audit(dialect, jobId, List.copyOf(events)));
        return true;
    }

    /** Sends what is pending on {@code c} now; nothing when called outside a group. */
    public static void flush(Connection c) throws SQLException {
        Deferred d = CURRENT.get();
        if (d != null) {
            d.send(c);
        }
    }

    boolean isEmpty() {
        return rows.isEmpty() && audit.isEmpty() && once.isEmpty();
    }

    /** Sends every pending write, then forgets them; on failure they are forgotten too (the transaction is rolled back). */
    void send(Connection c) throws SQLException {
        try {
            for (Map.Entry<String, List<Object[]>> e : rows.entrySet()) {
                Statements dialect = dialects.get(e.getKey());
                PreparedStatement ps = dialect.prepare(c, e.getKey());
                try {
                    if (e.getValue().size() == 1) {
                        dialect.bind(ps, e.getValue().getFirst());
                        ps.executeUpdate();
                    } else {
                        for (Object[] values : e.getValue()) {
                            dialect.bind(ps, values);
                            ps.addBatch();
                        }
                        ps.executeBatch();
                    }
                } finally {
                    dialect.done(ps);
                }
            }
            if (!audit.isEmpty()) {
                List<AuditLog.Entry> entries = new ArrayList<>();
                for (Audit a : audit) {
                    for (AuditEvent event : a.events()) {
                        entries.add(new AuditLog.Entry(a.jobId(), event));
                    }
                }
                AuditLog.appendNow(c, audit.getFirst().dialect(), entries);
            }
            for (String sql : once) {
                try (var s = c.createStatement()) {
                    s.execute(sql);
                }
            }
        } finally {
            discard();
        }
    }

    /** Forgets every pending write (its transaction, or its unit's savepoint, was rolled back). */
    void discard() {
        rows.clear();
        dialects.clear();
        audit.clear();
        once.clear();
    }
}
