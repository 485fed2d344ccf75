package dev.mainstay.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mainstay.store.StoreException;
import dev.mainstay.testkit.PostgresCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The group committer on PostgreSQL, where other sessions can deadlock it or kill its connection. */
class GroupCommitterTest {
    private static PostgresCluster cluster;
    private String database;
    private String url;
    private GroupCommitter committer;
    private final AtomicInteger opened = new AtomicInteger();

    @BeforeAll
    static void startPostgres() {
        cluster = PostgresCluster.shared();
    }

    @BeforeEach
    void setUp() throws SQLException {
        database = cluster.createDatabase("committer");
        url = cluster.jdbcUrl(database);
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id integer PRIMARY KEY, v integer NOT NULL)");
            s.execute("INSERT INTO t VALUES (1, 0), (2, 0)");
        }
        committer = new GroupCommitter("test", new GroupCommitter.Connections() {
            @Override
            public Connection borrow() throws SQLException {
                opened.incrementAndGet();
                Connection c = connect();
                c.setAutoCommit(false);
                return c;
            }

            @Override
            public void giveBack(Connection connection, boolean broken) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // a dead one cannot be closed politely
                }
            }
        }, 64);
    }

    @AfterEach
    void tearDown() {
        committer.close();
        cluster.dropDatabase(database);
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(url, cluster.user(), "");
    }

    private int value(int id) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT v FROM t WHERE id = " + id)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** How many units failed; each of them on a duplicate key. */
    private static int failedWithDuplicateKey(List<Future<Integer>> results) throws InterruptedException {
        int failed = 0;
        for (Future<Integer> r : results) {
            try {
                r.get();
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(StoreException.class).hasMessageContaining("duplicate key");
                failed++;
            }
        }
        return failed;
    }

    @Test
    void concurrentUnitsShareCommitsAndAFailingOneUndoesOnlyItself() throws Exception {
        int n = 100;
        long before = committer.commits();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                int k = i;
                results.add(pool.submit(() -> {
                    go.await();
                    return committer.execute(c -> {
                        execute(c, "UPDATE t SET v = v + 1 WHERE id = 1");
                        if (k % 10 == 0) {
                            execute(c, "INSERT INTO t VALUES (1, 0)"); // duplicate key: this unit alone is undone
                        }
                        return k;
                    });
                }));
            }
            go.countDown();
        }
        assertThat(failedWithDuplicateKey(results)).isEqualTo(10);
        assertThat(value(1)).isEqualTo(n - 10);
        assertThat(committer.commits() - before).isPositive().isLessThan(n);
    }

    private static final Deferred.Statements PLAIN = new Deferred.Statements() {
        @Override
        public java.sql.PreparedStatement prepare(Connection c, String sql) throws SQLException {
            return c.prepareStatement(sql);
        }

        @Override
        public void done(java.sql.PreparedStatement ps) throws SQLException {
            ps.close();
        }

        @Override
        public void bind(java.sql.PreparedStatement ps, Object... values) throws SQLException {
            for (int i = 0; i < values.length; i++) {
                ps.setObject(i + 1, values[i]);
            }
        }
    };

    @Test
    void deferredRowsCommitWithTheirUnitsAndAFailingUnitTakesOnlyItsOwn() throws Exception {
        try (Connection c = connect()) {
            execute(c, "CREATE TABLE d (seq serial PRIMARY KEY, k integer UNIQUE NOT NULL, unit integer NOT NULL)");
            execute(c, "INSERT INTO d (k, unit) VALUES (-1, -1)");
        }
        int n = 100;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                int k = i;
                results.add(pool.submit(() -> {
                    go.await();
                    return committer.execute(c -> {
                        Deferred.update(c, PLAIN, "INSERT INTO d (k, unit) VALUES (?, ?)", 2 * k, k);
                        Deferred.update(c, PLAIN, "INSERT INTO d (k, unit) VALUES (?, ?)", 2 * k + 1, k);
                        if (k % 10 == 0) {
                            Deferred.update(c, PLAIN, "UPDATE d SET k = -1 WHERE k = ?", 2 * k); // fails when sent: -1 is taken
                        }
                        execute(c, "UPDATE t SET v = v + 1 WHERE id = 1");
                        return k;
                    });
                }));
            }
            go.countDown();
        }
        assertThat(failedWithDuplicateKey(results)).isEqualTo(10);
        assertThat(value(1)).as("the failing units' own statements were undone with their deferred rows").isEqualTo(n - 10);
        List<int[]> rows = new ArrayList<>();
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT k, unit FROM d WHERE k >= 0 ORDER BY seq")) {
            while (rs.next()) {
                rows.add(new int[] {rs.getInt(1), rs.getInt(2)});
            }
        }
        assertThat(rows).hasSize(2 * (n - 10)).allSatisfy(r -> assertThat(r[1] % 10).isNotZero());
        for (int i = 0; i < rows.size(); i += 2) {
            assertThat(rows.get(i + 1)[0]).as("a unit's rows keep their order").isEqualTo(rows.get(i)[0] + 1);
        }
    }

    @Test
    void whatFollowsACommitRunsOnceForTheGroupAndNeverForAUnitThatWasUndone() throws Exception {
        AtomicInteger wakes = new AtomicInteger();
        AtomicInteger undone = new AtomicInteger();
        Runnable wake = wakes::incrementAndGet;
        Runnable never = undone::incrementAndGet;
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // A first unit holds the writer while the others queue up behind it, so they run as one group.
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> committer.execute(c -> {
            holding.countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> release.getCount() == 0);
            return 0;
        }));
        assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
        int n = 10;
        AtomicInteger failed = new AtomicInteger();
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            callers.add(Thread.ofPlatform().start(() -> {
                try {
                    committer.execute(c -> {
                        execute(c, "UPDATE t SET v = v + 1 WHERE id = 1");
                        Deferred.afterCommit(wake);
                        if (k == 3) {
                            Deferred.afterCommit(never);
                            execute(c, "INSERT INTO t VALUES (1, 0)"); // duplicate key: this unit alone is undone
                        }
                        return k;
                    });
                } catch (StoreException e) {
                    failed.incrementAndGet();
                }
            }));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> callers.stream().allMatch(t -> t.getState() == Thread.State.WAITING));
        long before = committer.commits();
        release.countDown();
        assertThat(first.get()).isZero();
        for (Thread t : callers) {
            t.join();
        }
        assertThat(failed.get()).isEqualTo(1);
        assertThat(value(1)).isEqualTo(n - 1);
        assertThat(committer.commits() - before).as("the holding unit's commit, then the group's").isEqualTo(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> wakes.get() >= 1);
        assertThat(wakes.get()).as("nine units asked, one group committed").isEqualTo(1);
        assertThat(undone.get()).isZero();
    }

    @Test
    void outsideAGroupDeferredRowsGoOutAtOnce() throws Exception {
        try (Connection c = connect()) {
            Deferred.update(c, PLAIN, "UPDATE t SET v = 5 WHERE id = ?", 2);
        }
        assertThat(value(2)).isEqualTo(5);
    }

    @Test
    void aUnitThatLosesADeadlockRunsAgainAfterTheOthersCommit() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch holdsRowTwo = new CountDownLatch(1);
        CountDownLatch closeTheCycle = new CountDownLatch(1);
        try (Connection other = connect()) {
            other.setAutoCommit(false);
            // PostgreSQL looks for a deadlock in a session once it has waited deadlock_timeout. The
            // committer's session waits last and checks after 1s; the other one would check only
            // after 30s. So the committer's unit is the one undone, always.
            execute(other, "SET deadlock_timeout = '30s'");
            execute(other, "UPDATE t SET v = 10 WHERE id = 1");
            CompletableFuture<Integer> unit = CompletableFuture.supplyAsync(() -> committer.execute(c -> {
                execute(c, "UPDATE t SET v = 20 WHERE id = 2");
                if (runs.incrementAndGet() == 1) {
                    holdsRowTwo.countDown();
                    await().atMost(Duration.ofSeconds(30)).until(() -> closeTheCycle.getCount() == 0);
                }
                execute(c, "UPDATE t SET v = 20 WHERE id = 1"); // the first time, this closes the cycle
                return 1;
            }));
            assertThat(holdsRowTwo.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> otherWaits = CompletableFuture.runAsync(() -> {
                try {
                    execute(other, "UPDATE t SET v = 10 WHERE id = 2"); // waits for the committer's unit
                    other.commit();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Connection observer = connect()) {
                await().atMost(Duration.ofSeconds(10)).until(() -> waitingForALock(observer));
            }
            closeTheCycle.countDown();
            otherWaits.get();
            assertThat(unit.get()).isEqualTo(1);
        }
        assertThat(runs.get()).isEqualTo(2);
        assertThat(value(1)).isEqualTo(20);
        assertThat(value(2)).isEqualTo(20);
    }

    private boolean waitingForALock(Connection observer) throws SQLException {
        try (Statement s = observer.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) {
            rs.next();
            return rs.getInt(1) > 0;
        }
    }

    @Test
    void aBatchWhoseConnectionDiesBeforeItsCommitRunsAgainOnAFreshOne() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        int result = committer.execute(c -> {
            execute(c, "UPDATE t SET v = v + 1 WHERE id = 1");
            if (runs.incrementAndGet() == 1) {
                execute(c, "SELECT pg_terminate_backend(pg_backend_pid())"); // as a database restart would
            }
            return 7;
        });
        assertThat(result).isEqualTo(7);
        assertThat(runs.get()).isEqualTo(2);
        assertThat(value(1)).as("applied once, not twice").isEqualTo(1);
        assertThat(opened.get()).isEqualTo(2);
    }

    @Test
    void aConnectionThatKeepsDyingFailsTheBatchSayingNothingWasApplied() {
        assertThatThrownBy(() -> committer.execute(c -> {
            execute(c, "UPDATE t SET v = v + 1 WHERE id = 1");
            execute(c, "SELECT pg_terminate_backend(pg_backend_pid())");
            return 0;
        })).isInstanceOf(StoreException.class).hasMessageContaining("none was applied");
    }
}
