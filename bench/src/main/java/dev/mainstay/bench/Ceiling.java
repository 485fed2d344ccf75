package dev.mainstay.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The physical limit of a store: trivial rows inserted, claimed and completed in batches through
 * the same JDBC driver with the same durability as the engine's store, one commit per batch step
 * (three commits per batch). Nothing the engine does (JSON, schemas, events, provenance) is in it.
 */
final class Ceiling {
    private Ceiling() {
    }

    /** Rows per second through insert, claim and complete. */
    static double rowsPerSecond(Stores kind, Path dir, int rows, int batch) throws Exception {
        try (Connection c = kind.raw(dir)) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS t");
                s.execute(kind.createTable());
                s.execute("CREATE INDEX t_queued ON t (id) WHERE status = 'queued'");
            }
            c.setAutoCommit(false);
            c.commit();
            run(c, kind, Math.min(rows / 5, 2_000), batch); // warm-up
            long t0 = System.nanoTime();
            run(c, kind, rows, batch);
            return rows / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static void run(Connection c, Stores kind, int rows, int batch) throws Exception {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO t (status, payload) VALUES ('queued', ?)");
             PreparedStatement claim = c.prepareStatement(kind.claimSql());
             PreparedStatement done = c.prepareStatement("UPDATE t SET status = 'done', owner = NULL WHERE id = ?")) {
            for (int n = 0; n < rows; n += batch) {
                for (int i = 0; i < batch; i++) {
                    insert.setString(1, "{\"text\":\"job " + (n + i) + "\"}");
                    insert.addBatch();
                }
                insert.executeBatch();
                c.commit();
                List<Long> ids = new ArrayList<>(batch);
                claim.setInt(1, batch);
                try (ResultSet rs = claim.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
                c.commit();
                for (long id : ids) {
                    done.setLong(1, id);
                    done.addBatch();
                }
                done.executeBatch();
                c.commit();
            }
        }
    }
}
