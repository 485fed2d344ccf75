package dev.mainstay.store.sqlite;

import dev.mainstay.store.jdbc.GroupCommitter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Compiled statements kept per connection, for connections a store holds for its whole life (the
 * SQLite writer and readers): compiling SQL again for every write was most of the writer's time.
 * Callers never close what they get; they close its result sets. Not for pooled connections,
 * whose handles change on every checkout.
 */
final class StatementCache {
    private static final Map<Connection, Map<String, PreparedStatement>> STATEMENTS = Collections.synchronizedMap(new WeakHashMap<>());

    private StatementCache() {
    }

    /** The compiled statement for {@code sql} on {@code c}, its parameters cleared. */
    static PreparedStatement prepared(Connection c, String sql) throws SQLException {
        Map<String, PreparedStatement> cache = STATEMENTS.computeIfAbsent(c, k -> new HashMap<>());
        PreparedStatement ps;
        synchronized (cache) {
            ps = cache.get(sql);
            if (ps == null || ps.isClosed()) {
                ps = c.prepareStatement(sql);
                cache.put(sql, ps);
            }
        }
        ps.clearParameters();
        return ps;
    }

    /** Closes and forgets the statements of {@code c} (before the connection closes). */
    static void forget(Connection c) {
        Map<String, PreparedStatement> cache = STATEMENTS.remove(c);
        if (cache != null) {
            synchronized (cache) {
                for (PreparedStatement ps : cache.values()) {
                    try {
                        ps.close();
                    } catch (SQLException ignored) {
                        // closing anyway
                    }
                }
            }
        }
    }

    /** Savepoints made of cached statements, for connections whose driver compiles every SAVEPOINT anew. */
    static GroupCommitter.Savepoints savepoints() {
        return new GroupCommitter.Savepoints() {
            @Override
            public Object mark(Connection c) throws SQLException {
                prepared(c, "SAVEPOINT mainstay_unit").execute();
                return Boolean.TRUE;
            }

            @Override
            public void release(Connection c, Object mark) throws SQLException {
                prepared(c, "RELEASE SAVEPOINT mainstay_unit").execute();
            }

            @Override
            public void rollback(Connection c, Object mark) throws SQLException {
                prepared(c, "ROLLBACK TO SAVEPOINT mainstay_unit").execute();
                prepared(c, "RELEASE SAVEPOINT mainstay_unit").execute();
            }
        };
    }
}
