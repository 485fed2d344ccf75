package dev.mainstay.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.limits.RefusalCount;
import dev.mainstay.store.Store;
import dev.mainstay.store.jdbc.RefusalStoreContract;
import dev.mainstay.testkit.PostgresCluster;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admission refusal contract on a real PostgreSQL server, and two nodes' counts adding up on one database. */
class PostgresRefusalStoreTest extends RefusalStoreContract {
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
            database = cluster.createDatabase("refusals");
            DATABASES.add(database);
        }
        return PostgresStore.open(PostgresStore.Config.of(cluster.jdbcUrl(database), cluster.user(), null));
    }

    @Test
    void twoNodesCountsAddUp() {
        store.addRefusals(List.of(new RefusalCount("acme", D1, "requests_per_minute", 4)));
        try (Store other = openStore()) {
            other.addRefusals(List.of(new RefusalCount("acme", D1, "requests_per_minute", 6)));
            assertThat(other.refusals("acme", D1, D1)).containsExactly(new RefusalCount("acme", D1, "requests_per_minute", 10));
        }
        assertThat(store.refusals("acme", D1, D1)).containsExactly(new RefusalCount("acme", D1, "requests_per_minute", 10));
    }
}
