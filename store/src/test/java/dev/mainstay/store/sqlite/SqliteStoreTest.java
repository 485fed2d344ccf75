package dev.mainstay.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mainstay.job.Job;
import dev.mainstay.job.JobStatus;
import dev.mainstay.limits.Reservation;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoreContract;
import dev.mainstay.store.StoreException;
import dev.mainstay.store.SubmitOutcome;
import dev.mainstay.usage.UsageQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
    void onlyOneStoreAtATimeRunsOnAFileAndItsLockGoesWithIt() {
        assertThatThrownBy(() -> SqliteStore.open(dir.resolve("data/mainstay.db"), SqliteStore.Durability.NORMAL))
                .isInstanceOf(StoreException.class).hasMessageContaining("already open");
        // The refused attempt left the first store's lock in place: still one store only.
        assertThatThrownBy(() -> SqliteStore.open(dir.resolve("data/../data/mainstay.db"), SqliteStore.Durability.NORMAL))
                .isInstanceOf(StoreException.class);
        store.close();
        store = openStore();
        assertThat(store.countUnfinished(null)).isZero();
    }

    @Test
    void everyLeaseFoundAtOpenIsAnOrphanWhateverItsOwnerButNoLaterOne() {
        Job orphan = ((SubmitOutcome.Created) store.submit(newJob(ACCOUNT, null, input("left behind"), T0))).job();
        assertThat(store.claim("node-gone", 1, T0, T0.plus(LEASE))).hasSize(1);
        reserve(store, new Reservation("rsv_gone", ACCOUNT, orphan.id(), List.of(), T0, T0.plusSeconds(90)));
        reopen();
        // This run's own work, begun before the engine recovered: not an orphan.
        Job mine = ((SubmitOutcome.Created) store.submit(newJob(ACCOUNT, null, input("this run's"), T0))).job();
        assertThat(store.claim("node-new", 1, T0, T0.plus(LEASE))).extracting(Job::id).containsExactly(mine.id());
        reserve(store, new Reservation("rsv_mine", ACCOUNT, mine.id(), List.of(), T0, T0.plusSeconds(90)));

        assertThat(store.recoverLeases("node-new", T0.plusSeconds(1))).isEqualTo(new Store.Recovered(1, 1));
        assertThat(store.job(orphan.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        assertThat(store.job(mine.id()).orElseThrow().status()).isEqualTo(JobStatus.PROCESSING);
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(60), UsageQuery.GroupBy.ACCOUNT)))
                .extracting(UsageQuery.Row::unknownOutcomeCalls).containsExactly(1L);
        assertThat(store.recoverLeases("node-new", T0.plusSeconds(2))).as("once per open").isEqualTo(new Store.Recovered(0, 0));
        assertThat(store.job(mine.id()).orElseThrow().status()).isEqualTo(JobStatus.PROCESSING);
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
