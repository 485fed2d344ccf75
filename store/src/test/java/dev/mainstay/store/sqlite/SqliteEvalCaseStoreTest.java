package dev.mainstay.store.sqlite;

import dev.mainstay.store.Store;
import dev.mainstay.store.jdbc.EvalCaseStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The stored eval case contract on a real SQLite file. */
class SqliteEvalCaseStoreTest extends EvalCaseStoreContract {
    @TempDir
    Path dir;

    @Override
    protected Store openStore() {
        return SqliteStore.open(dir.resolve("data/mainstay.db"), SqliteStore.Durability.NORMAL);
    }
}
