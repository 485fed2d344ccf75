package dev.mainstay.store.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the write-ahead log into the database file on a thread and connection of its own, so the
 * writer's commits never pay for it: SQLite's automatic checkpoint runs inside whichever commit
 * takes the log past 1,000 pages, its fsyncs included, while every caller of that group waits.
 * Passive checkpoints never block the writer or the readers; the log is restarted from its
 * beginning once a checkpoint has copied all of it and no reader still needs it.
 */
final class Checkpointer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
    static final Duration EVERY = Duration.ofMillis(250);

    private final Connection connection;
    private final Thread thread;
    private volatile boolean closed;

    Checkpointer(Connection connection) {
        this.connection = connection;
        this.thread = Thread.ofPlatform().name("mainstay-sqlite-checkpoint").daemon(true).start(this::loop);
    }

    private void loop() {
        boolean warned = false;
        while (!closed) {
            try {
                Thread.sleep(EVERY);
                checkpoint("PASSIVE");
                warned = false;
            } catch (InterruptedException e) {
                return;
            } catch (SQLException e) {
                if (!warned) {
                    LOG.warn("sqlite checkpoint failed ({}); the write-ahead log grows until one succeeds", e.getMessage());
                    warned = true;
                }
            }
        }
    }

    /**
     * Copies the whole log into the database and truncates it to nothing, waiting (the busy timeout)
     * for readers that still use it; a warning when it could not. A passive checkpoint first copies
     * what it can without holding writers, so the truncating one, which does, has little left to copy.
     */
    void truncate() {
        try {
            checkpoint("PASSIVE");
            for (int attempt = 1; !checkpoint("TRUNCATE"); attempt++) {
                if (attempt == 3) {
                    LOG.warn("sqlite truncating checkpoint still busy after {} attempts (a reader holds an old snapshot); the write-ahead log keeps older "
                            + "page copies until the next one", attempt);
                    return;
                }
            }
        } catch (SQLException e) {
            LOG.warn("sqlite truncating checkpoint failed ({}); the write-ahead log keeps older page copies until the next one", e.getMessage());
        }
    }

    /**
     * Rebuilds the whole file ({@code VACUUM}), then truncates the log. {@code secure_delete} zeroes
     * every row deleted, but a page that was split or merged earlier keeps the bytes of cells it
     * moved away in its unused gap, which no delete touches: only a rebuilt file is sure to hold
     * nothing but live rows. The writer waits for it (its busy timeout), so it is for a maintenance
     * window or a stopped node, like PostgreSQL's {@code VACUUM FULL}.
     */
    synchronized void vacuum() {
        try (Statement s = connection.createStatement()) {
            s.execute("VACUUM");
        } catch (SQLException e) {
            throw new dev.mainstay.store.StoreException("VACUUM failed: " + e.getMessage(), e);
        }
        truncate();
    }

    /** Runs a checkpoint; false when it could not copy every frame (SQLite answers {@code busy} rather than failing). */
    private synchronized boolean checkpoint(String mode) throws SQLException {
        try (Statement s = connection.createStatement(); java.sql.ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
            return !rs.next() || rs.getInt(1) == 0;
        }
    }

    /** Stops the thread, then copies what is left and truncates the log (the writer is closed by now). */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            checkpoint("TRUNCATE");
        } catch (SQLException e) {
            LOG.warn("final sqlite checkpoint failed: {}", e.getMessage());
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("closing the sqlite checkpoint connection failed", e);
        }
    }
}
