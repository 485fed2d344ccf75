package dev.mainstay.bench;

import dev.mainstay.store.Store;
import dev.mainstay.store.sqlite.SqliteStore;
import java.nio.file.Path;
import dev.mainstay.store.postgres.PostgresStore;
import dev.mainstay.testkit.PostgresCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;

/** The stores a benchmark runs on, each with the raw JDBC connection its ceiling is measured through. */
enum Stores {
    SQLITE_FULL("SQLite synchronous=FULL"),
    SQLITE_NORMAL("SQLite synchronous=NORMAL"),
    POSTGRES("PostgreSQL synchronous_commit=on");

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
            case POSTGRES -> {
                PostgresCluster pg = postgres();
                yield PostgresStore.open(PostgresStore.Config.of(pg.jdbcUrl(pg.createDatabase("bench")), PostgresCluster.USER, null));
            }
        };
    }

    /** A plain connection with the store's durability settings, for the ceiling. */
    Connection raw(Path dir) throws SQLException {
        if (this == POSTGRES) {
            PostgresCluster pg = postgres();
            return DriverManager.getConnection(pg.jdbcUrl(pg.createDatabase("ceiling")), PostgresCluster.USER, null);
        }
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setJournalMode(org.sqlite.SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(this == SQLITE_FULL ? org.sqlite.SQLiteConfig.SynchronousMode.FULL : org.sqlite.SQLiteConfig.SynchronousMode.NORMAL);
        org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + dir.resolve("ceiling.db").toAbsolutePath());
        return ds.getConnection();
    }

    /** SQL dialect bits the ceiling needs. */
    String createTable() {
        return this == POSTGRES
                ? "CREATE TABLE t (id BIGSERIAL PRIMARY KEY, status TEXT NOT NULL, owner TEXT, payload TEXT)"
                : "CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT NOT NULL, owner TEXT, payload TEXT)";
    }

    String claimSql() {
        return "UPDATE t SET status = 'running', owner = 'n1' WHERE id IN (SELECT id FROM t WHERE status = 'queued' ORDER BY id LIMIT ?"
                + (this == POSTGRES ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING id";
    }

    private static PostgresCluster cluster;

    /**
     * The throwaway PostgreSQL of this run (the testkit's: fsync on, synchronous_commit on, run as
     * the postgres user), started on first use and removed when the JVM exits.
     */
    static synchronized PostgresCluster postgres() {
        if (cluster == null) {
            cluster = PostgresCluster.create();
        }
        return cluster;
    }
}
