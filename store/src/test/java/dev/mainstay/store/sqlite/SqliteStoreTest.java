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
}
