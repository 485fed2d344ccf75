package dev.mainstay.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.store.Store;
import dev.mainstay.store.StoreContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on a real SQLite file. */
class SqliteStoreTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    protected Store openStore() {
        return SqliteStore.open(dir.resolve("data/mainstay.db"), SqliteStore.Durability.NORMAL);
    }

    @Override
    protected void tamper(String sql) throws java.sql.SQLException {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("data/mainstay.db"));
             java.sql.Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
    }

    @Test
    void theLogIsCopiedIntoTheDatabaseOffTheWritersCommitsAndEmptiedOnClose() throws Exception {
        Path db = dir.resolve("data/mainstay.db");
        Path wal = dir.resolve("data/mainstay.db-wal");
        long before = Files.size(db);
        for (int i = 0; i < 200; i++) {
            store.submit(newJob(ACCOUNT, null, input("checkpoint " + i + " " + "x".repeat(500)), T0));
        }
        // Far below SQLite's own 1,000-page automatic checkpoint, which the writer no longer runs.
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.size(db) > before);
        store.close();
        assertThat(Files.exists(wal) ? Files.size(wal) : 0).isZero();
        store = openStore();
        assertThat(store.countUnfinished(ACCOUNT)).isEqualTo(200);
    }
}
