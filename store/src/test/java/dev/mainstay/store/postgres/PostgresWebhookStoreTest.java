package dev.mainstay.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.store.Store;
import dev.mainstay.store.jdbc.WebhookStoreContract;
import dev.mainstay.testkit.PostgresCluster;
import dev.mainstay.webhook.DueDelivery;
import dev.mainstay.webhook.EventTypes;
import dev.mainstay.webhook.WebhookEndpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The webhook store contract on a real PostgreSQL server, and nodes racing for one endpoint's deliveries. */
class PostgresWebhookStoreTest extends WebhookStoreContract {
    private static PostgresCluster cluster;
    private static final List<String> DATABASES = new CopyOnWriteArrayList<>();

    private String database;
    private final List<Store> others = new ArrayList<>();

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
            database = cluster.createDatabase("webhooks");
            DATABASES.add(database);
        }
        return PostgresStore.open(PostgresStore.Config.of(cluster.jdbcUrl(database), cluster.user(), null));
    }

    @AfterEach
    void closeOtherNodes() {
        others.forEach(Store::close);
    }

    @Test
    void nodesRacingForDeliveriesLeaseEachToOneAndNeverExceedTheEndpointsConcurrency() throws Exception {
        WebhookEndpoint e = endpoint(ACCOUNT, null, 3, EventTypes.JOB_COMPLETED);
        for (int i = 0; i < 40; i++) {
            store.enqueue(e.id(), "msg_race_" + i, EventTypes.WEBHOOK_TEST, "{}", T0);
        }
        List<Store> nodes = new ArrayList<>(List.of(store));
        for (int i = 0; i < 3; i++) {
            Store other = openStore();
            others.add(other);
            nodes.add(other);
        }
        Map<String, String> leasedBy = new ConcurrentHashMap<>();
        AtomicInteger doubles = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> claims = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int n = 0; n < 8; n++) {
                Store node = nodes.get(n % nodes.size());
                String owner = "node-" + n;
                claims.add(pool.submit(() -> {
                    go.await();
                    List<DueDelivery> got = node.claimDeliveries(owner, 10, T0, T0.plus(Duration.ofSeconds(40)));
                    for (DueDelivery d : got) {
                        if (leasedBy.putIfAbsent(d.delivery().id(), owner) != null) {
                            doubles.incrementAndGet();
                        }
                    }
                    return got.size();
                }));
            }
            go.countDown();
            int total = 0;
            for (Future<Integer> f : claims) {
                total += f.get();
            }
            assertThat(doubles.get()).isZero();
            assertThat(total).as("the endpoint's three slots, across every node").isEqualTo(3);
        }
    }
}
