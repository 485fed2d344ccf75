package dev.mainstay.store.jdbc;

import dev.mainstay.Json;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditChain;
import dev.mainstay.audit.AuditCheck;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalLong;
import dev.mainstay.store.StoreException;
import tools.jackson.databind.JsonNode;

/**
 * The {@code audit_log} table. Appends run inside the caller's write transaction: they read the
 * chain's head and add after it, so the head must not move under them. With a single writer
 * nothing else can append meanwhile; where several nodes write, the dialect locks the chain's head
 * first ({@link Dialect#lockAuditChain}), which serialises appends across nodes until the
 * transaction ends.
 */
final class AuditLog {
    private AuditLog() {
    }

    /** One event to append, with the job it belongs to (null: its subject's job, if any). */
    record Entry(String jobId, AuditEvent event) {
    }

    /**
     * Appends after the current head, in order, within {@code c}'s transaction: inside a group of
     * the writer just before the group commits (one head read for the whole group), otherwise now.
     */
    static void append(Connection c, Sql sql, String jobId, List<AuditEvent> events) throws SQLException {
        if (events.isEmpty() || Deferred.audit(sql, jobId, events)) {
            return;
        }
        List<Entry> entries = new ArrayList<>(events.size());
        for (AuditEvent e : events) {
            entries.add(new Entry(jobId, e));
        }
        appendNow(c, sql, entries);
    }

    static void appendNow(Connection c, Sql sql, List<Entry> entries) throws SQLException {
        sql.lockAuditChain(c);
        // A log cut to nothing goes on from its checkpoint, so the chain never restarts at genesis.
        Map.Entry<Long, String> head = sql.first(c, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", rs -> Map.entry(rs.getLong(1), rs.getString(2)))
                .or(() -> checkpoint(c, sql))
                .orElse(Map.entry(0L, AuditChain.GENESIS));
        long seq = head.getKey();
        String prev = head.getValue();
        List<Object[]> rows = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            AuditEvent e = entry.event();
            seq++;
            String job = entry.jobId() != null ? entry.jobId() : e.subject() != null && e.subject().startsWith("job_") ? e.subject() : null;
            AuditRecord.Stored stored = AuditChain.stored(e);
            String hash = AuditChain.hash(seq, prev, stored, job);
            rows.add(new Object[] {seq, stored.at(), stored.actor(), stored.action(), stored.accountId(), stored.subject(), job, stored.details(), prev, hash});
            prev = hash;
        }
        sql.batch(c, "INSERT INTO audit_log (seq, at, actor, action, account_id, subject, job_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows);
    }

    /** The latest cut's checkpoint: the last removed record's position and hash. */
    static Optional<Map.Entry<Long, String>> checkpoint(Connection c, Sql sql) {
        try {
            return sql.first(c, "SELECT through_seq, head_hash FROM audit_checkpoints ORDER BY through_seq DESC LIMIT 1",
                    rs -> Map.entry(rs.getLong(1), rs.getString(2)));
        } catch (SQLException e) {
            throw new StoreException("cannot read the audit checkpoint: " + e.getMessage(), e);
        }
    }

    static List<AuditRecord> query(Connection c, AuditQuery q) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_log WHERE seq > ?");
        List<Object> args = new ArrayList<>(List.of(q.afterSeq()));
        Sql.and(sql, args, "job_id = ?", q.jobId());
        Sql.and(sql, args, "actor = ?", q.actor());
        Sql.and(sql, args, "action = ?", q.action() == null ? null : q.action().wire());
        Sql.and(sql, args, "account_id = ?", q.accountId());
        Sql.and(sql, args, "at >= ?", q.from() == null ? null : AuditChain.at(q.from()));
        Sql.and(sql, args, "at < ?", q.to() == null ? null : AuditChain.at(q.to()));
        sql.append(" ORDER BY seq LIMIT ").append(q.limit());
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                if (args.get(i) instanceof Long n) {
                    ps.setLong(i + 1, n);
                } else {
                    ps.setString(i + 1, (String) args.get(i));
                }
            }
            List<AuditRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(record(rs));
                }
            }
            return out;
        }
    }

    /** Walks the whole chain in pages of {@code page} records. */
    static AuditCheck verify(Connection c, Sql sql, int page) throws SQLException {
        Map.Entry<Long, String> start = checkpoint(c, sql).orElse(Map.entry(0L, AuditChain.GENESIS));
        Iterator<AuditRecord> all = new Iterator<>() {
            private List<AuditRecord> batch = List.of();
            private int next;
            private long after;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next < batch.size()) {
                    return true;
                }
                if (done) {
                    return false;
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT " + page)) {
                    ps.setLong(1, after);
                    List<AuditRecord> read = new ArrayList<>(page);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            read.add(record(rs));
                        }
                    }
                    batch = read;
                    next = 0;
                    done = read.size() < page;
                    if (!read.isEmpty()) {
                        after = read.getLast().seq();
                    }
                    return !read.isEmpty();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public AuditRecord next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return batch.get(next++);
            }
        };
        try {
            return AuditChain.verify(all, hash -> locate(c, hash), start.getKey(), start.getValue());
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            throw e;
        }
    }

    private static OptionalLong locate(Connection c, String hash) {
        try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM audit_log WHERE hash = ? ORDER BY seq LIMIT 1")) {
            ps.setString(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static AuditRecord record(ResultSet rs) throws SQLException {
        AuditRecord.Stored stored = new AuditRecord.Stored(rs.getString("at"), rs.getString("actor"), rs.getString("action"),
                rs.getString("account_id"), rs.getString("subject"), rs.getString("details"));
        return new AuditRecord(rs.getLong("seq"), event(stored), rs.getString("job_id"), rs.getString("prev_hash"), rs.getString("hash"), stored);
    }

    /** The event for display; a row edited past reading shows what can be read (verify fails it by its hash). */
    private static AuditEvent event(AuditRecord.Stored s) {
        Instant at;
        try {
            at = Instant.parse(s.at());
        } catch (RuntimeException e) {
            at = Instant.EPOCH;
        }
        JsonNode details;
        try {
            details = s.details() == null ? null : Json.parse(s.details());
        } catch (RuntimeException e) {
            details = Json.object().put("unreadable", s.details());
        }
        return new AuditEvent(at, s.actor() == null ? "" : s.actor(), AuditAction.fromWire(s.action()).orElse(AuditAction.CONFIG_LOADED), s.accountId(), s.subject(), details);
    }
}
