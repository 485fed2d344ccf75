package dev.mainstay.store.postgres;

import dev.mainstay.store.Store;
import dev.mainstay.store.jdbc.ErasureStoreContract;
import dev.mainstay.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The erasure contract on a real PostgreSQL server. The raw-bytes scan reads the database's own
 * files under the cluster's {@code base/} after a CHECKPOINT; the write-ahead log ({@code pg_wal})
 * is not scanned: it holds the erased rows until its segments are recycled (docs/data.md).
 */
class PostgresErasureStoreTest extends ErasureStoreContract {
    private static PostgresCluster cluster;
    private static final List<String> DATABASES = new CopyOnWriteArrayList<>();

    private String database;

    @BeforeAll
    static void startPostgres() {
        cluster = PostgresCluster.shared();
    }

    @AfterAll
    static void dropDatabases() {
        DATABASES.forEach(cluster::dropDatabase);
        DATABASES.clear();
    }

    @Override
    protected Store openStore() {
        if (database == null) {
            database = cluster.createDatabase("erasure");
            DATABASES.add(database);
        }
        return PostgresStore.open(PostgresStore.Config.of(cluster.jdbcUrl(database), cluster.user(), null));
    }

    @Override
    protected void tamper(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(database), cluster.user(), ""); Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
    }

    @Override
    protected String nowLiteral() {
        return "now()";
    }

    @Override
    protected List<Path> databaseFiles() throws Exception {
        long oid;
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(database), cluster.user(), ""); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
            try (ResultSet rs = s.executeQuery("SELECT oid FROM pg_database WHERE datname = current_database()")) {
                rs.next();
                oid = rs.getLong(1);
            }
        }
        try (Stream<Path> files = Files.list(cluster.dataDirectory().resolve("base").resolve(Long.toString(oid)))) {
            return files.toList();
        }
    }

    @Override
    protected String name(Path file) throws Exception {
        String node = file.getFileName().toString().replaceAll("_.*", "");
        if (!node.matches("[0-9]+")) {
            return file.getFileName().toString();
        }
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(database), cluster.user(), ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT relname FROM pg_class WHERE pg_relation_filenode(oid) = " + node)) {
            return (rs.next() ? rs.getString(1) : "?") + " (" + file.getFileName() + ")";
        }
    }

    /**
     * The plain VACUUM a node runs after an erasure leaves pruned rows' bytes in the pages' free
     * space (measured: every erased row's value was still on file), so the scan follows the rewrite
     * an operator runs with {@code ./mainstay erase --rewrite}.
     */
    @Override
    protected void scrub() {
        store.reclaim(true);
        store.rewrite();
    }

    @Override
    protected int rawScanJobs() {
        return 2_000;
    }
}
