package dev.mainstay.store.jdbc;

import dev.mainstay.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Runs statements through a {@link Dialect}: reads, writes in the group transaction, rows sent
 * before the group commits ({@link #later}), and the values of a row. Parameters are bound in
 * order; a {@link Dialect.In} stands for all of its own.
 */
public final class Sql implements Deferred.Statements {
    private final Dialect dialect;

    public Sql(Dialect dialect) {
        this.dialect = dialect;
    }

    /** Reads one row of a result set. */
    @FunctionalInterface
    public interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** Runs {@code work} on a connection that sees every committed write. */
    public <T> T read(GroupCommitter.Work<T> work) {
        return dialect.read(work);
    }

    /** Runs {@code unit} in the next group transaction; returns once that transaction has committed. */
    public <T> T write(GroupCommitter.Work<T> unit) {
        return dialect.write(unit);
    }

    @Override
    public PreparedStatement prepare(Connection c, String sql) throws SQLException {
        return dialect.prepare(c, sql);
    }

    @Override
    public void done(PreparedStatement ps) throws SQLException {
        dialect.done(ps);
    }

    @Override
    public void bind(PreparedStatement ps, Object... values) throws SQLException {
        int index = 1;
        for (Object v : values) {
            if (v instanceof Dialect.In in) {
                for (Object a : in.args()) {
                    bindOne(ps, index++, a);
                }
            } else {
                bindOne(ps, index++, v);
            }
        }
    }

    // A chain of instanceof tests rather than a pattern switch: it runs for every parameter of every
    // statement, and the switch's type-dispatch call site costs more than the tests themselves.
    private void bindOne(PreparedStatement ps, int index, Object value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.NULL);
        } else if (value instanceof String s) {
            ps.setString(index, s);
        } else if (value instanceof Long n) {
            ps.setLong(index, n);
        } else if (value instanceof Integer n) {
            ps.setInt(index, n);
        } else {
            dialect.bind(ps, index, value);
        }
    }

    void lockAuditChain(Connection c) throws SQLException {
        dialect.lockAuditChain(c);
    }

    /** Runs {@code sql} now; returns its update count. */
    public int update(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = prepare(c, sql);
        try {
            bind(ps, args);
            return ps.executeUpdate();
        } finally {
            done(ps);
        }
    }

    /** Runs {@code sql} before the group commits, in one batch with the group's other rows of it (see {@link Deferred}). */
    public void later(Connection c, String sql, Object... args) throws SQLException {
        Deferred.update(c, this, sql, args);
    }

    /** Runs {@code sql} once per row of {@code rows}, in one batch. */
    public void batch(Connection c, String sql, List<Object[]> rows) throws SQLException {
        PreparedStatement ps = prepare(c, sql);
        try {
            for (Object[] row : rows) {
                bind(ps, row);
                ps.addBatch();
            }
            ps.executeBatch();
        } finally {
            done(ps);
        }
    }

    /** Every row the query returns. */
    public <T> List<T> list(Connection c, String sql, Row<T> row, Object... args) throws SQLException {
        return query(c, sql, args, rs -> {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(row.map(rs));
            }
            return out;
        });
    }

    /** The first row the query returns, if any (empty too when {@code row} reads it as null). */
    public <T> Optional<T> first(Connection c, String sql, Row<T> row, Object... args) throws SQLException {
        return query(c, sql, args, rs -> rs.next() ? Optional.ofNullable(row.map(rs)) : Optional.<T>empty());
    }

    private <T> T query(Connection c, String sql, Object[] args, Row<T> results) throws SQLException {
        PreparedStatement ps = prepare(c, sql);
        try {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                return results.map(rs);
            }
        } finally {
            done(ps);
        }
    }

    /** Adds {@code AND clause} to a condition when {@code value} is given, and the value to its parameters. */
    public static void and(StringBuilder where, List<Object> args, String clause, Object value) {
        if (value != null) {
            where.append(" AND ").append(clause);
            args.add(value);
        }
    }

    /** The first column of a row, as text. */
    public static String text(ResultSet rs) throws SQLException {
        return rs.getString(1);
    }

    public Instant instant(ResultSet rs, String column) throws SQLException {
        return dialect.instant(rs, column);
    }

    public static JsonNode json(ResultSet rs, String column) throws SQLException {
        String v = rs.getString(column);
        return v == null ? null : Json.parse(v);
    }

    public static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    /** Concatenates statement parameters, e.g. a ledger row's before a transition's. */
    static Object[] concat(Object[] first, List<Object> then) {
        Object[] out = new Object[first.length + then.size()];
        System.arraycopy(first, 0, out, 0, first.length);
        for (int i = 0; i < then.size(); i++) {
            out[first.length + i] = then.get(i);
        }
        return out;
    }
}
