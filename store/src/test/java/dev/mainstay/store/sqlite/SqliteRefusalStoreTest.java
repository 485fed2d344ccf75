package dev.mainstay.store.sqlite;

import dev.mainstay.store.Store;
import dev.mainstay.store.jdbc.RefusalStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The admission refusal contract on a real SQLite file. */
class SqliteRefusalStoreTest extends RefusalStoreContract {
    @TempDir
    Path dir;

    @Override
    protected Store openStore() {
        return SqliteStore.open(dir.resolve("data/mainstay.db"), SqliteStore.Durability.NORMAL);
    }
}
