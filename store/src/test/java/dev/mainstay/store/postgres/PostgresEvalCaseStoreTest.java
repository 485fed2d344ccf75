package dev.mainstay.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.store.Store;
import dev.mainstay.store.jdbc.EvalCaseStoreContract;
import dev.mainstay.testkit.PostgresCluster;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stored eval case contract on a real PostgreSQL server, and two nodes on one database seeing the same cases. */
class PostgresEvalCaseStoreTest extends EvalCaseStoreContract {
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
            database = cluster.createDatabase("evalcases");
            DATABASES.add(database);
        }
        return PostgresStore.open(PostgresStore.Config.of(cluster.jdbcUrl(database), cluster.user(), null));
    }

    @Test
    void aSecondNodeOnTheSameDatabaseSeesEveryCase() {
        store.addEvalCase(kase("evc_1", "leads", "seats"));
        try (Store other = openStore()) {
            assertThat(other.evalCase("leads", "seats")).isPresent();
            assertThat(other.deleteEvalCase("leads", "evc_1")).isTrue();
        }
        assertThat(store.evalCase("leads", "seats")).isEmpty();
    }
}
