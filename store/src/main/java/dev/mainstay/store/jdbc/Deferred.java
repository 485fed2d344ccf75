package dev.mainstay.store.jdbc;

import dev.mainstay.audit.AuditEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
 * <p>It also keeps what is to run once the group has committed ({@link #afterCommit}): on SQLite,
 * waking this node's dispatcher for the work the group made due, once for the whole group.
 *
 * <p>Only the writer thread of a {@link GroupCommitter} has one, while it runs a group; everywhere
 * else (a store helper called outside a group) writes go out at once.
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

    private record Audit(Sql sql, String jobId, List<AuditEvent> events) {
    }

    private record Sum(String sql, Statements dialect, String key, long amount) {
    }

    /** How much of the last writes a unit had made when it began, so that a unit undone takes its own back. */
    record Mark(int sums, int audit, int once, int after) {
    }

    private final Map<String, List<Object[]>> rows = new LinkedHashMap<>();
    private final Map<String, Statements> dialects = new LinkedHashMap<>();
    // Sent last, right before the commit: they lock rows every group touches (counters, the audit
    // chain's head, PostgreSQL's notification queue), so they are held for as short as possible
    // and always taken in the same order.
    private final List<Sum> sums = new ArrayList<>();
    private final List<Audit> audit = new ArrayList<>();
    private final List<String> once = new ArrayList<>();
    /** Run by the writer once the group has committed, never if it rolls back. */
    private final List<Runnable> after = new ArrayList<>();

    Deferred() {
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
     * Adds {@code amount} to the row {@code key} with {@code sql} (an upsert taking the key and the
     * amount) before the group commits, or at once outside a group. The group's amounts are added
     * up per key and sent in key order, after every other row and right before the audit chain's
     * lock, so groups committing at once on several connections lock these rows in the same order,
     * briefly, and never wait on each other in a circle.
     */
    public static void sum(Connection c, Statements dialect, String sql, String key, long amount) throws SQLException {
        Deferred d = CURRENT.get();
        if (d == null) {
            PreparedStatement ps = dialect.prepare(c, sql);
            try {
                dialect.bind(ps, key, amount);
                ps.executeUpdate();
            } finally {
                dialect.done(ps);
            }
            return;
        }
        d.sums.add(new Sum(sql, dialect, key, amount));
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

    /**
     * Runs {@code action} once the group has committed, however many units ask (the same action,
     * by {@code equals}), on the writer's thread; never if the group rolls back. Outside a group,
     * at once.
     */
    public static void afterCommit(Runnable action) {
        Deferred d = CURRENT.get();
        if (d == null) {
            action.run();
        } else if (!d.after.contains(action)) {
            d.after.add(action);
        }
    }

    /** Appends to the audit chain before the group commits; false outside a group, where the caller appends at once. */
    static boolean audit(Sql sql, String jobId, List<AuditEvent> events) {
        Deferred d = CURRENT.get();
        if (d == null) {
            return false;
        }
        d.audit.add(new Audit(sql, jobId, List.copyOf(events)));
        return true;
    }

    /**
     * Sends the pending rows on {@code c} now (not the writes kept for the end of the group);
     * nothing when called outside a group.
     */
    public static void flush(Connection c) throws SQLException {
        Deferred d = CURRENT.get();
        if (d != null) {
            d.sendRows(c);
        }
    }

    Mark mark() {
        return new Mark(sums.size(), audit.size(), once.size(), after.size());
    }

    /** Forgets what a unit handed in since {@code mark}: its savepoint was rolled back. */
    void rollbackTo(Mark mark) {
        rows.clear();
        sums.subList(mark.sums(), sums.size()).clear();
        audit.subList(mark.audit(), audit.size()).clear();
        once.subList(mark.once(), once.size()).clear();
        after.subList(mark.after(), after.size()).clear();
    }

    /** What is to run once the group commits, taken before the last writes go out (which forget everything). */
    List<Runnable> takeAfterCommit() {
        List<Runnable> out = List.copyOf(after);
        after.clear();
        return out;
    }

    /** Sends every pending write, then forgets them; on failure they are forgotten too (the transaction is rolled back). */
    void send(Connection c) throws SQLException {
        try {
            sendRows(c);
            sendLast(c);
        } finally {
            discard();
        }
    }

    /** Sends the pending rows, one batch per statement in the order first handed in. */
    void sendRows(Connection c) throws SQLException {
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
        } finally {
            rows.clear();
        }
    }

    /** Sends the sums in key order, the audit records, then the once-only statements. */
    void sendLast(Connection c) throws SQLException {
        try {
            Map<String, TreeMap<String, Long>> bySql = new LinkedHashMap<>();
            Map<String, Statements> sumDialects = new LinkedHashMap<>();
            for (Sum sum : sums) {
                bySql.computeIfAbsent(sum.sql(), k -> new TreeMap<>()).merge(sum.key(), sum.amount(), Math::addExact);
                sumDialects.putIfAbsent(sum.sql(), sum.dialect());
            }
            for (Map.Entry<String, TreeMap<String, Long>> e : bySql.entrySet()) {
                Statements dialect = sumDialects.get(e.getKey());
                PreparedStatement ps = dialect.prepare(c, e.getKey());
                try {
                    for (Map.Entry<String, Long> amount : e.getValue().entrySet()) {
                        dialect.bind(ps, amount.getKey(), amount.getValue());
                        ps.addBatch();
                    }
                    ps.executeBatch();
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
                AuditLog.appendNow(c, audit.getFirst().sql(), entries);
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

    /** Forgets every pending write (the transaction was rolled back, or everything was sent). */
    void discard() {
        rows.clear();
        dialects.clear();
        sums.clear();
        audit.clear();
        once.clear();
        after.clear();
    }
}
