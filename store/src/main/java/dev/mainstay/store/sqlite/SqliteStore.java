package dev.mainstay.store.sqlite;

import dev.mainstay.store.StoreException;
import dev.mainstay.store.jdbc.Dialect;
import dev.mainstay.store.jdbc.GroupCommitter;
import dev.mainstay.store.jdbc.JdbcStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded default store: one SQLite file in WAL mode. All writes go through one
 * {@link GroupCommitter}; reads use a small pool of read connections that see every committed
 * write. {@code synchronous=FULL} by default, so a commit survives power loss, not just a crash.
 */
public final class SqliteStore extends JdbcStore {
    /** How durable a commit is. {@code FULL} survives power loss; {@code NORMAL} survives a process crash. */
    public enum Durability { FULL, NORMAL }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SqliteStore.class);
    private static final int READERS = 4;

    private final Path file;
    private final ProcessLock lock;

    private SqliteStore(Path file, SqliteDialect dialect, ProcessLock lock) {
        super(dialect);
        this.file = file;
        this.lock = lock;
    }

    /**
     * Opens (creating and migrating when needed) the database at {@code file}, for this process
     * alone until {@link #close()}.
     *
     * @throws StoreException when another process has the database open (see {@link ProcessLock})
     */
    public static SqliteStore open(Path file, Durability durability) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new StoreException("cannot create the data directory for " + file + ": " + e.getMessage(), e);
        }
        ProcessLock lock = ProcessLock.take(file);
        try {
            return open(file, durability, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static SqliteStore open(Path file, Durability durability, ProcessLock lock) {
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(durability == Durability.FULL ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(10_000);
        config.enforceForeignKeys(true);
        config.setTempStore(SQLiteConfig.TempStore.MEMORY);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl(url);
        SQLiteConfig readConfig = new SQLiteConfig(config.toProperties());
        readConfig.setReadOnly(true);
        SQLiteDataSource readDs = new SQLiteDataSource(readConfig);
        readDs.setUrl(url);
        try (Connection first = ds.getConnection(); Statement s = first.createStatement()) {
            // Incremental vacuum takes effect through a VACUUM (on a new, empty file the pragma alone
            // would last only as long as this connection): free on a new database, once on an
            // older one, at the first start of a version with it, and never again.
            boolean fresh;
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM sqlite_schema")) {
                fresh = rs.next() && rs.getLong(1) == 0;
            }
            long mode;
            try (ResultSet rs = s.executeQuery("PRAGMA auto_vacuum")) {
                mode = rs.next() ? rs.getLong(1) : 0;
            }
            if (mode != 2) {
                s.execute("PRAGMA auto_vacuum = INCREMENTAL");
                if (!fresh) {
                    LOG.info("turning on incremental vacuum for {}: one VACUUM, once", file);
                }
                s.execute("VACUUM");
            }
        } catch (SQLException e) {
            throw new StoreException("cannot set up the database " + file + ": " + e.getMessage(), e);
        }
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration/sqlite")
                    .loggers("slf4j")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            throw new StoreException("cannot migrate the database " + file + ": " + e.getMessage(), e);
        }
        try {
            Connection writes = ds.getConnection();
            try (Statement s = writes.createStatement()) {
                s.execute("PRAGMA wal_autocheckpoint = 0"); // the checkpointer's job, off the writer's commits
                // Deleted content is overwritten with zeros, not left in free space: an erased value
                // must leave the file, and a file copied off the machine holds only what is live.
                s.execute("PRAGMA secure_delete = ON");
            }
            Dialect.Orphans left = new Dialect.Orphans(
                    strings(writes, "SELECT DISTINCT lease_owner FROM jobs WHERE lease_owner IS NOT NULL"),
                    strings(writes, "SELECT id FROM reservations WHERE state = 'held'"));
            Checkpointer checkpointer = new Checkpointer(ds.getConnection());
            GroupCommitter writer = new GroupCommitter("sqlite", GroupCommitter.Connections.dedicated(writes), GroupCommitter.DEFAULT_MAX_BATCH,
                    StatementCache.savepoints());
            BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);
            for (int i = 0; i < READERS; i++) {
                readers.add(readDs.getConnection());
            }
            return new SqliteStore(file, new SqliteDialect(writer, readers, checkpointer, left), lock);
        } catch (SQLException e) {
            throw new StoreException("cannot open the database " + file + ": " + e.getMessage(), e);
        }
    }

    /** The first column of every row {@code query} answers. */
    private static List<String> strings(Connection c, String query) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Closes the database, then lets another process open it. */
    @Override
    public void close() {
        try {
            super.close();
        } finally {
            lock.close();
        }
    }

    public Path file() {
        return file;
    }
}
