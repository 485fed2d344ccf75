package dev.mainstay.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mainstay.job.Job;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.NewJob;
import dev.mainstay.job.SubmitOutcome;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoreContract;
import dev.mainstay.testkit.PostgresCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

/**
 * The store contract on a real PostgreSQL server (one throwaway cluster per test JVM, a fresh
 * database per test), and what only a shared database adds: several nodes racing on one schema.
 */
class PostgresStoreTest extends StoreContract {
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
            database = cluster.createDatabase("contract");
            DATABASES.add(database);
        }
        return PostgresStore.open(PostgresStore.Config.of(cluster.jdbcUrl(database), cluster.user(), null));
    }

    /** Another node on the same database. */
    private Store otherNode() {
        Store other = openStore();
        others.add(other);
        return other;
    }

    @AfterEach
    void closeOtherNodes() {
        others.forEach(Store::close);
    }

    @Test
    void nodesRacingOneIdempotencyKeyCreateExactlyOneJob() throws Exception {
        List<Store> nodes = List.of(store, otherNode(), otherNode());
        int perNode = 20;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<SubmitOutcome>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Store node : nodes) {
                for (int i = 0; i < perNode; i++) {
                    NewJob nj = newJob(ACCOUNT, "burst", input("same body"), T0);
                    results.add(pool.submit(() -> {
                        go.await();
                        return node.submit(nj);
                    }));
                }
            }
            go.countDown();
        }
        List<SubmitOutcome> outcomes = new ArrayList<>();
        for (Future<SubmitOutcome> f : results) {
            outcomes.add(f.get());
        }
        List<SubmitOutcome> created = outcomes.stream().filter(o -> o instanceof SubmitOutcome.Created).toList();
        assertThat(created).hasSize(1);
        String id = ((SubmitOutcome.Created) created.getFirst()).job().id();
        assertThat(outcomes).filteredOn(o -> o instanceof SubmitOutcome.Existing).hasSize(nodes.size() * perNode - 1)
                .allSatisfy(o -> assertThat(((SubmitOutcome.Existing) o).job().id()).isEqualTo(id));
        assertThat(nodes.get(1).submit(newJob(ACCOUNT, "burst", input("another body"), T0))).isEqualTo(new SubmitOutcome.Conflict(id));
        assertThat(store.jobs(new JobQuery(ACCOUNT, null, null, null, 100, null)).jobs()).extracting(Job::id).containsExactly(id);
    }

    @Test
    void nodesClaimingAtOnceNeverShareAJob() throws Exception {
        List<Store> nodes = List.of(store, otherNode(), otherNode());
        Set<String> submitted = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 300; i++) {
            submitted.add(((SubmitOutcome.Created) store.submit(newJob(ACCOUNT, null, input("job " + i), T0))).job().id());
        }
        Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int n = 0; n < nodes.size(); n++) {
                Store node = nodes.get(n);
                for (int w = 0; w < 3; w++) {
                    String owner = "node-" + n + "-" + w;
                    pool.submit(() -> {
                        go.await();
                        List<Job> got;
                        do {
                            got = node.claim(owner, 5, T0, T0.plus(LEASE));
                            got.forEach(j -> claims.computeIfAbsent(j.id(), k -> new AtomicInteger()).incrementAndGet());
                        } while (!got.isEmpty());
                        return null;
                    });
                }
            }
            go.countDown();
        }
        assertThat(claims.keySet()).isEqualTo(submitted);
        assertThat(claims.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    }

    @Test
    void aSubmitOnOneNodeWakesTheOthers() {
        Store other = otherNode();
        AtomicInteger wakes = new AtomicInteger();
        other.onWork(wakes::incrementAndGet);
        store.submit(newJob(ACCOUNT, null, input("for anyone"), T0));
        await().atMost(Duration.ofSeconds(10)).until(() -> wakes.get() >= 1);
    }

    @Test
    void claimReadsItsTwoCandidateSetsThroughTheirPartialIndexes() throws SQLException {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(database), cluster.user(), "");
             Statement s = c.createStatement()) {
            s.execute("SET enable_seqscan = off"); // an empty table would otherwise be scanned whole, which proves nothing
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = s.executeQuery("EXPLAIN WITH due AS (SELECT id FROM jobs WHERE status IN ('queued', 'retrying') AND next_run_at <= now() "
                    + "ORDER BY priority DESC, next_run_at LIMIT 10 FOR UPDATE SKIP LOCKED), "
                    + "expired AS (SELECT id FROM jobs WHERE lease_owner IS NOT NULL AND lease_expires_at < now() AND status IN ('processing', 'waiting_for_tool') "
                    + "LIMIT 10 - (SELECT count(*) FROM due) FOR UPDATE SKIP LOCKED) SELECT id FROM due UNION ALL SELECT id FROM expired")) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            assertThat(plan.toString()).contains("jobs_runnable").contains("jobs_leased");
        }
    }

    @Test
    void aDatabaseThatCannotBeReachedFailsTheOpenWithAStoreException() {
        PostgresStore.Config nowhere = PostgresStore.Config.of("jdbc:postgresql://127.0.0.1:1/none", "postgres", "secret")
                .withConnectTimeout(Duration.ofMillis(500));
        assertThatThrownBy(() -> PostgresStore.open(nowhere))
                .isInstanceOf(dev.mainstay.store.StoreException.class)
                .hasMessageContaining("jdbc:postgresql://127.0.0.1:1/none");
        assertThat(nowhere.toString()).doesNotContain("secret");
    }
}
