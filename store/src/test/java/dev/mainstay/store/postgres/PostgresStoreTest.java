package dev.mainstay.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mainstay.job.Job;
import dev.mainstay.job.JobStatus;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Admission;
import dev.mainstay.limits.Counter;
import dev.mainstay.limits.Hold;
import dev.mainstay.limits.Reservation;
import dev.mainstay.limits.Scope;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.UsageQuery;
import java.time.Instant;
import dev.mainstay.job.JobQuery;
import dev.mainstay.store.NewJob;
import dev.mainstay.store.SubmitOutcome;
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

    @Override
    protected void tamper(String sql) throws java.sql.SQLException {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(database), cluster.user(), ""); Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
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
    void claimReadsItsCandidatesThroughTheirPartialIndexes() throws SQLException {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(database), cluster.user(), "");
             Statement s = c.createStatement()) {
            s.execute("SET enable_seqscan = off"); // an empty table would otherwise be scanned whole, which proves nothing
            String due = plan(s, "EXPLAIN SELECT id FROM jobs WHERE account_id = 'acct_a' AND status IN ('queued', 'retrying') AND next_run_at <= now() "
                    + "AND NOT (id = ANY ('{}'::text[])) ORDER BY priority DESC, next_run_at, id LIMIT 10 FOR UPDATE SKIP LOCKED");
            String expired = plan(s, "EXPLAIN SELECT id FROM jobs WHERE lease_owner IS NOT NULL AND lease_expires_at < now() "
                    + "AND status IN ('processing', 'waiting_for_tool') LIMIT 10 FOR UPDATE SKIP LOCKED");
            String running = plan(s, "EXPLAIN SELECT account_id, COUNT(*) FROM jobs WHERE account_id = ANY ('{acct_a}'::text[]) AND status = 'processing' GROUP BY account_id");
            assertThat(due).contains("jobs_runnable_by_account");
            assertThat(expired).contains("jobs_leased");
            assertThat(running).contains("jobs_running_by_account");
        }
    }

    private static String plan(Statement s, String explain) throws SQLException {
        StringBuilder plan = new StringBuilder();
        try (ResultSet rs = s.executeQuery(explain)) {
            while (rs.next()) {
                plan.append(rs.getString(1)).append('\n');
            }
        }
        return plan.toString();
    }

    /** Runs {@code perNode} calls on each node at once and returns their results. */
    private static <T> List<T> race(List<Store> nodes, int perNode, java.util.function.BiFunction<Store, Integer, java.util.concurrent.Callable<T>> call) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            int i = 0;
            for (Store node : nodes) {
                for (int k = 0; k < perNode; k++) {
                    java.util.concurrent.Callable<T> c = call.apply(node, i++);
                    futures.add(pool.submit(() -> {
                        go.await();
                        return c.call();
                    }));
                }
            }
            go.countDown();
        }
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            out.add(f.get());
        }
        return out;
    }

    @Test
    void nodesReservingAtOnceNeverHoldMoreThanTheBudget() throws Exception {
        String cost = Scope.accountCost(ACCOUNT, T0);
        String tokens = Scope.accountTokens(ACCOUNT, T0);
        List<Reservation.Outcome> outcomes = race(List.of(store, otherNode(), otherNode()), 20, (node, i) -> () -> reserve(node, new Reservation("rsv_" + i, ACCOUNT, "job_" + i,
                List.of(new Hold(cost, Hold.Unit.MICRO_USD, 100, 1_000, "cost_per_month_usd", "account " + ACCOUNT, Scope.monthEnd(T0)),
                        new Hold(tokens, Hold.Unit.TOKENS, 10, 10_000, "tokens_per_day", "account " + ACCOUNT, Scope.dayEnd(T0))),
                T0, T0.plusSeconds(90))));
        assertThat(outcomes).filteredOn(o -> o instanceof Reservation.Outcome.Granted).hasSize(10);
        assertThat(store.counter(cost)).isEqualTo(new Counter(0, 1_000));
        assertThat(store.counter(tokens)).as("refused reservations held no tokens").isEqualTo(new Counter(0, 100));
    }

    @Test
    void oneChargeSentByEveryNodeAtOnceCountsOnceAndSettlesItsReservationOnce() throws Exception {
        String cost = Scope.accountCost(ACCOUNT, T0);
        assertThat(reserve(store, new Reservation("rsv_once", ACCOUNT, "job_once", List.of(
                new Hold(cost, Hold.Unit.MICRO_USD, 500, 1_000, "cost_per_month_usd", "account " + ACCOUNT, Scope.monthEnd(T0))), T0, T0.plusSeconds(90))))
                .isInstanceOf(Reservation.Outcome.Granted.class);
        Charge charge = new Charge("chg_once", "rsv_once", ACCOUNT, "job_once", "support/draft-response", "draft", "openai", "gpt-4o-mini", 10, 0, 20, 300, T0,
                List.of(new Charge.CounterScope(cost, Hold.Unit.MICRO_USD)));
        race(List.of(store, otherNode(), otherNode()), 5, (node, i) -> () -> {
            node.charge(List.of(charge));
            return null;
        });
        assertThat(store.counter(cost)).isEqualTo(new Counter(300, 0));
        assertThat(store.usage(new UsageQuery(ACCOUNT, T0, T0.plusSeconds(1), UsageQuery.GroupBy.ACCOUNT)))
                .containsExactly(new UsageQuery.Row(ACCOUNT, 1, 10, 0, 20, 300));
    }

    @Test
    void nodesSubmittingAtOnceShareOneRateBucket() throws Exception {
        Admission rpm = new Admission(List.of(new Admission.Bucket("rpm/" + ACCOUNT, 5, Duration.ofMinutes(1), "requests_per_minute", "account " + ACCOUNT)), List.of(), null);
        List<SubmitOutcome> outcomes = race(List.of(store, otherNode(), otherNode()), 15,
                (node, i) -> () -> node.submit(newJob(ACCOUNT, null, input("racing " + i), T0), rpm));
        assertThat(outcomes).filteredOn(o -> o instanceof SubmitOutcome.Created).hasSize(5);
        assertThat(outcomes).filteredOn(o -> o instanceof SubmitOutcome.Refused).hasSize(40);
        assertThat(store.countUnfinished(ACCOUNT)).isEqualTo(5);
    }

    @Test
    void nodesClaimingAtOnceNeverLeaseMoreThanAnAccountsMaxConcurrentJobs() throws Exception {
        store.setLimits(ACCOUNT, new AccountLimits(null, null, null, 2), "key_admin", T0);
        for (int i = 0; i < 30; i++) {
            store.submit(newJob(ACCOUNT, null, input("limited " + i), T0));
        }
        List<Store> nodes = List.of(store, otherNode(), otherNode());
        Instant hour = T0.plus(Duration.ofHours(1));
        List<List<Job>> claims = race(nodes, 4, (node, i) -> () -> node.claim("node-" + i, 3, T0, hour));
        assertThat(claims.stream().mapToInt(List::size).sum()).isEqualTo(2);
        assertThat(store.jobs(new JobQuery(ACCOUNT, null, JobStatus.PROCESSING, null, 100, null)).jobs()).hasSize(2);
    }

    @Test
    void nodesClaimingAtOnceNeverLeaseMoreThanTheDefaultMaxConcurrentJobs() throws Exception {
        for (int i = 0; i < 30; i++) {
            store.submit(newJob(ACCOUNT, null, input("defaulted " + i), T0));
            store.submit(newJob("acct_other", null, input("defaulted " + i), T0));
        }
        List<Store> nodes = List.of(store, otherNode(), otherNode());
        Instant hour = T0.plus(Duration.ofHours(1));
        AccountLimits defaults = new AccountLimits(null, null, null, 2);
        List<List<Job>> claims = race(nodes, 4, (node, i) -> () -> node.claim("node-" + i, 3, T0, hour, defaults));
        assertThat(claims.stream().mapToInt(List::size).sum()).isEqualTo(4);
        assertThat(store.jobs(new JobQuery(ACCOUNT, null, JobStatus.PROCESSING, null, 100, null)).jobs()).hasSize(2);
        assertThat(store.jobs(new JobQuery("acct_other", null, JobStatus.PROCESSING, null, 100, null)).jobs()).hasSize(2);
    }

    @Test
    void aRestartedNodeLeavesOtherNodesLeasesToExpire() {
        Job theirs = ((SubmitOutcome.Created) store.submit(newJob(ACCOUNT, null, input("another node's"), T0))).job();
        assertThat(otherNode().claim("node-2", 1, T0, T0.plus(LEASE))).hasSize(1);
        reserve(store, new Reservation("rsv_theirs", ACCOUNT, theirs.id(), List.of(), T0, T0.plusSeconds(90)));
        reopen();
        assertThat(store.recoverLeases("node-1", T0.plusSeconds(1))).isEqualTo(new Store.Recovered(0, 0));
        assertThat(store.job(theirs.id()).orElseThrow().status()).isEqualTo(JobStatus.PROCESSING);
        assertThat(store.claim("node-1", 10, T0.plusSeconds(1), T0.plusSeconds(31))).as("its lease still runs").isEmpty();
        assertThat(store.claim("node-1", 10, T0.plus(LEASE).plusMillis(1), T0.plusSeconds(61))).as("then it expires").extracting(Job::id).containsExactly(theirs.id());
        assertThat(store.expireReservations(T0.plusSeconds(91))).isEqualTo(1);
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
