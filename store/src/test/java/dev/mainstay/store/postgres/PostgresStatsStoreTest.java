package dev.mainstay.store.postgres;

import dev.mainstay.store.Store;
import dev.mainstay.store.jdbc.StatsStoreContract;
import dev.mainstay.testkit.PostgresCluster;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The stats buckets contract on a real PostgreSQL server; its concurrent folds are two nodes' pools on one database. */
class PostgresStatsStoreTest extends StatsStoreContract {
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
            database = cluster.createDatabase("stats");
            DATABASES.add(database);
        }
        return PostgresStore.open(PostgresStore.Config.of(cluster.jdbcUrl(database), cluster.user(), null));
    }

    @Override
    protected Optional<Store> openSecondNode() {
        return Optional.of(openStore());
    }
}
