package dev.mainstay.store.sqlite;

import dev.mainstay.store.Store;
import dev.mainstay.store.StoreContract;
import java.nio.file.Path;
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
}
