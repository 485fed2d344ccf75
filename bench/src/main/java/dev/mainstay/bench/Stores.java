package dev.mainstay.bench;

import dev.mainstay.store.Store;
import dev.mainstay.store.sqlite.SqliteStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** The stores a benchmark runs on, each with the raw JDBC connection its ceiling is measured through. */
enum Stores {
    SQLITE_FULL("SQLite synchronous=FULL"),
    SQLITE_NORMAL("SQLite synchronous=NORMAL");

    final String label;

    Stores(String label) {
        this.label = label;
    }

    /** The stores available in this run. */
    static List<Stores> available() {
        String only = System.getProperty("mainstay.bench.stores", "");
        return java.util.Arrays.stream(values())
                .filter(s -> only.isBlank() || java.util.Arrays.asList(only.split(",")).contains(s.key()))
                .toList();
    }

    /** The name {@code -Dmainstay.bench.stores} selects by, e.g. {@code sqlite-full}. */
    String key() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    Store open(Path dir) {
        return switch (this) {
            case SQLITE_FULL -> SqliteStore.open(dir.resolve("mainstay.db"), SqliteStore.Durability.FULL);
            case SQLITE_NORMAL -> SqliteStore.open(dir.resolve("mainstay.db"), SqliteStore.Durability.NORMAL);
        };
    }

    /** A plain connection with the store's durability settings, for the ceiling. */
    Connection raw(Path dir) throws SQLException {
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setJournalMode(org.sqlite.SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(this == SQLITE_FULL ? org.sqlite.SQLiteConfig.SynchronousMode.FULL : org.sqlite.SQLiteConfig.SynchronousMode.NORMAL);
        org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + dir.resolve("ceiling.db").toAbsolutePath());
        return ds.getConnection();
    }

    /** SQL dialect bits the ceiling needs. */
    String createTable() {
        return "CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT NOT NULL, owner TEXT, payload TEXT)";
    }

    String claimSql() {
        return "UPDATE t SET status = 'running', owner = 'n1' WHERE id IN (SELECT id FROM t WHERE status = 'queued' ORDER BY id LIMIT ?) RETURNING id";
    }
}
