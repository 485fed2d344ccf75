package dev.mainstay.server.cluster;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.PostgresCluster;
import dev.mainstay.testkit.RecordedRequest;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Three Mainstay nodes on one PostgreSQL database (a throwaway server from the testkit), each with
 * its own data directory and port: nodes die, the database restarts, clients race, and a budget is
 * shared, and what the cluster promises still holds.
 */
class ClusterTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final String BODY = "{\"text\": \"A job for the cluster.\"}";

    @TempDir
    Path dir;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stopNodes() throws Exception {
        for (AutoCloseable c : running.reversed()) {
            c.close();
        }
    }

    private static String url(PostgresCluster pg, String database) {
        return "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/" + database;
    }

    private Map<String, String> nodeEnv(int n, String dbUrl) {
        Map<String, String> env = new HashMap<>(TestNode.env(dir));
        env.put("MAINSTAY_DATA_DIR", dir.resolve("node-" + n).toString());
        env.put("MAINSTAY_DB_URL", dbUrl);
        env.put("MAINSTAY_DB_POOL_SIZE", "4");
        return env;
    }

    /** Three nodes in this JVM, each with its own store, engine and HTTP server. */
    private List<Http> startInProcess(Path config, String dbUrl) {
        return startInProcess(config, dbUrl, 0, 3);
    }

    private List<Http> startInProcess(Path config, String dbUrl, int from, int to) {
        List<Http> nodes = new ArrayList<>();
        for (int n = from; n < to; n++) {
            MainstayServer server = MainstayServer.start(ServerConfig.load(Optional.of(config), nodeEnv(n, dbUrl)), Clock.systemUTC());
            running.add(server::stop);
            nodes.add(new Http(server.baseUrl()));
        }
        return nodes;
    }

    /** A node as its own process, so that it can be killed with SIGKILL. */
    private Process launch(Path config, int n, String dbUrl, int port) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        // C1 only: this node lives for seconds, and starts sooner without the optimising compiler.
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "dev.mainstay.server.Main", "up", "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("target", "cluster-test-node-" + n + ".log").toFile()));
        pb.environment().putAll(nodeEnv(n, dbUrl));
        pb.environment().put("MAINSTAY_PORT", Integer.toString(port));
        Process p = pb.start();
        running.add(() -> p.destroyForcibly().waitFor());
        return p;
    }

    private static void awaitReady(Http http) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> http.get("/health/ready", null).status() == 200);
    }

    /** Submits with an idempotency key; records the job on a 2xx, ignores a node that is down or refusing. */
    private static void submit(Http http, String key, Map<String, String> accepted) {
        try {
            Http.Response r = http.post("/v1/test/single", KEY, BODY.replace("cluster", "cluster, " + key), "Idempotency-Key", key);
            if (r.status() / 100 == 2) {
                String id = r.json().path("id").asString();
                String before = accepted.putIfAbsent(key, id);
                assertThat(before == null || before.equals(id)).as("key %s mapped to %s and %s", key, before, id).isTrue();
            }
        } catch (IllegalStateException connectionLost) {
            // The node died mid-request: the client saw no answer and will retry elsewhere.
        }
    }

    private static List<JsonNode> events(Http http, String jobId) {
        List<JsonNode> out = new ArrayList<>();
        http.get("/v1/jobs/" + jobId + "/events", KEY).json().path("events").forEach(out::add);
        return out;
    }

    /** Whether the job's last claim is the given node's and the job has not ended. */
    private static boolean inFlightOn(Http http, String jobId, String node) {
        List<JsonNode> events = events(http, jobId);
        String lastClaim = null;
        for (JsonNode e : events) {
            switch (e.path("type").asString()) {
                case "processing" -> lastClaim = e.path("data").path("node").asString();
                case "completed", "partially_completed", "degraded", "failed", "cancelled" -> {
                    return false;
                }
                default -> { }
            }
        }
        return node.equals(lastClaim);
    }

    private static Map<String, Long> callsPerJob(FakeProvider fake) {
        return fake.requests().stream().collect(Collectors.groupingBy(RecordedRequest::job, Collectors.counting()));
    }

    @Test
    void aNodeKilledMidBurstLeavesEveryJobToTheOthersToCompleteExactlyOnce() throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String database = pg.createDatabase("cluster_kill");
        running.add(() -> pg.dropDatabase(database));
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(300), Duration.ofMillis(900))))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(dir.resolve("workflows/test/single.yaml"), TestNode.single(""));
            // The node to kill is a process of its own; the two that survive it run in this JVM.
            int port = freePort();
            Process doomed = launch(config, 0, url(pg, database), port);
            List<Http> nodes = new ArrayList<>();
            nodes.add(new Http(URI.create("http://127.0.0.1:" + port)));
            nodes.addAll(startInProcess(config, url(pg, database), 1, 3));
            awaitReady(nodes.getFirst());

            Map<String, String> accepted = new ConcurrentHashMap<>();
            int jobs = 90;
            Thread submitter = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < jobs; i++) {
                    submit(nodes.get(i % 3), "kill-" + i, accepted);
                }
            });
            String doomedName = Files.readString(dir.resolve("node-0").resolve("node-id")).strip();
            // Kill only once the doomed node holds a job it has not finished: a loaded machine may
            // otherwise let the two nodes in this JVM claim everything first.
            Awaitility.await("a job in flight on the node to kill").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> accepted.values().stream().anyMatch(id -> inFlightOn(nodes.get(1), id, doomedName)));
            doomed.destroyForcibly().waitFor(); // SIGKILL, mid-burst: calls are in flight on it
            submitter.join();
            // Clients that lost their answer retry on a node that is up, with the same key.
            for (int i = 0; i < jobs; i++) {
                submit(nodes.get(1 + i % 2), "kill-" + i, accepted);
            }
            assertThat(accepted).hasSize(jobs);

            Http survivor = nodes.get(1);
            Map<String, String> ranOnKilled = new HashMap<>();
            for (String id : accepted.values()) {
                JsonNode job = TestNode.awaitTerminal(survivor, KEY, id);
                assertThat(job.path("status").asString()).as("job %s", id).isEqualTo("completed");
                List<JsonNode> events = events(survivor, id);
                assertThat(events).filteredOn(e -> e.path("type").asString().equals("completed")).as("job %s completed once", id).hasSize(1);
                List<String> claimedBy = events.stream().filter(e -> e.path("type").asString().equals("processing"))
                        .map(e -> e.path("data").path("node").asString()).toList();
                if (claimedBy.size() > 1) {
                    ranOnKilled.put(id, claimedBy.getFirst());
                }
            }
            Map<String, Long> calls = callsPerJob(fake);
            for (String id : accepted.values()) {
                if (ranOnKilled.containsKey(id)) {
                    // Its call was in flight on the killed node; the lease ran out and another node ran it again.
                    assertThat(calls.get(id)).as("calls for job %s", id).isBetween(1L, 2L);
                } else {
                    assertThat(calls.get(id)).as("calls for job %s, claimed once", id).isEqualTo(1L);
                }
            }
            assertThat(ranOnKilled).as("the kill landed on jobs in flight, which the others took over").isNotEmpty();
            assertThat(Set.copyOf(ranOnKilled.values())).as("only the killed node lost jobs").hasSize(1);
            assertThat(survivor.get("/v1/jobs?workflow=test/single&limit=500", KEY).json().path("jobs").size()).isEqualTo(jobs);
        }
    }

    @Test
    void aNodeRestartedOnItsDataDirectoryTakesBackItsOwnJobsAtOnceAndChargesItsCallsInFlight() throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String database = pg.createDatabase("cluster_recover");
        running.add(() -> pg.dropDatabase(database));
        // The calls hang and the node dies under them; its leases would run 10 minutes.
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMinutes(10))))) {
            Path config = TestNode.writeFiles(dir, fake, "10m", "1s");
            Files.writeString(dir.resolve("workflows/test/single.yaml"), TestNode.single(""));
            int port = freePort();
            Process doomed = launch(config, 0, url(pg, database), port);
            Http node = new Http(URI.create("http://127.0.0.1:" + port));
            awaitReady(node);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(node.post("/v1/test/single", KEY, BODY.replace("cluster", "cluster, job " + i)).json().path("id").asString());
            }
            Awaitility.await("calls in flight").atMost(Duration.ofSeconds(60)).until(() -> fake.requestCount() >= 3);
            doomed.destroyForcibly().waitFor();
            // A second node, on a data directory of its own, busy with one job of its own (its one slot) throughout.
            Path busy = dir.resolve("mainstay-busy.yaml");
            Files.writeString(busy, Files.readString(config) + "  max_in_flight: 1\n");
            Http other = startInProcess(busy, url(pg, database), 1, 2).getFirst();
            String othersJob = other.post("/v1/test/single", KEY, BODY.replace("cluster", "cluster, the other node's job")).json().path("id").asString();
            Awaitility.await("the other node's call").atMost(Duration.ofSeconds(60)).until(() -> fake.requestCount() >= 4);
            fake.script(FaultScript.none());
            launch(config, 0, url(pg, database), port);
            awaitReady(node);
            for (String id : ids) {
                JsonNode job = TestNode.awaitTerminal(node, KEY, id);
                assertThat(job.path("status").asString()).as("job %s", id).isEqualTo("completed");
                List<JsonNode> events = events(node, id);
                assertThat(events).filteredOn(e -> e.path("type").asString().equals("requeued"))
                        .singleElement().satisfies(e -> assertThat(e.path("data").path("reason").asString()).contains("took back what an earlier run left"));
                assertThat(events.stream().filter(e -> e.path("type").asString().equals("processing")).map(e -> e.path("data").path("node").asString()).distinct())
                        .as("one node name before and after the restart").hasSize(1);
            }
            // The other node's lease is its own: still running its (hanging) call, not taken.
            JsonNode theirs = other.get("/v1/jobs/" + othersJob, KEY).json();
            assertThat(theirs.path("status").asString()).isEqualTo("processing");
            assertThat(events(other, othersJob)).extracting(e -> e.path("type").asString()).doesNotContain("requeued");
            JsonNode totals = node.get("/v1/usage", KEY).json().path("totals");
            assertThat(totals.path("unknown_outcome_calls").asInt()).as("the calls the kill cut off, at their estimates").isEqualTo(3);
            assertThat(totals.path("calls").asInt()).isEqualTo(6);
        }
    }

    @Test
    void aDatabaseRestartMidBurstLosesNothingAccepted() throws Exception {
        PostgresCluster pg = PostgresCluster.create();
        running.add(pg); // stopped after the nodes
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(50), Duration.ofMillis(300))))) {
            String database = pg.createDatabase("cluster_restart");
            Path config = TestNode.writeFiles(dir, fake, "5s", "1s");
            Files.writeString(dir.resolve("workflows/test/single.yaml"), TestNode.single(""));
            List<Http> nodes = startInProcess(config, url(pg, database));

            Map<String, String> accepted = new ConcurrentHashMap<>();
            Set<String> refusedDuringOutage = ConcurrentHashMap.newKeySet();
            int jobs = 150;
            CountDownLatch halfway = new CountDownLatch(1);
            Thread submitter = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < jobs; i++) {
                    String key = "restart-" + i;
                    submit(nodes.get(i % 3), key, accepted);
                    if (!accepted.containsKey(key)) {
                        refusedDuringOutage.add(key);
                    }
                    if (i == jobs / 3) {
                        halfway.countDown();
                    }
                }
            });
            halfway.await();
            pg.restart(); // every session of every node ends, as in a failover
            submitter.join();
            // What was refused while the database was away is retried by its client, once it is back.
            for (String key : refusedDuringOutage) {
                Awaitility.await("resubmit " + key).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    submit(nodes.get(2), key, accepted);
                    return accepted.containsKey(key);
                });
            }
            assertThat(accepted).hasSize(jobs);
            for (String id : accepted.values()) {
                JsonNode job = TestNode.awaitTerminal(nodes.get(0), KEY, id);
                assertThat(job.path("status").asString()).as("job %s", id).isEqualTo("completed");
                assertThat(events(nodes.get(0), id)).filteredOn(e -> e.path("type").asString().equals("completed")).hasSize(1);
            }
            assertThat(nodes.get(1).get("/v1/jobs?workflow=test/single&limit=500", KEY).json().path("jobs").size())
                    .as("one job per key, no duplicates").isEqualTo(jobs);
        }
    }

    @Test
    void duplicateSubmitsRacingAcrossNodesCreateOneJob() throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String database = pg.createDatabase("cluster_idem");
        running.add(() -> pg.dropDatabase(database));
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok()))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(dir.resolve("workflows/test/single.yaml"), TestNode.single(""));
            List<Http> nodes = startInProcess(config, url(pg, database));
            for (int round = 0; round < 5; round++) {
                String key = "race-" + round;
                CountDownLatch go = new CountDownLatch(1);
                ConcurrentLinkedQueue<Http.Response> answers = new ConcurrentLinkedQueue<>();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < 30; i++) {
                        Http node = nodes.get(i % 3);
                        pool.submit(() -> {
                            go.await();
                            answers.add(node.post("/v1/test/single", KEY, BODY, "Idempotency-Key", key));
                            return null;
                        });
                    }
                    go.countDown();
                }
                // 202 while the job runs, 200 once it has finished: a repeat is answered with the job as it is.
                assertThat(answers).hasSize(30).allSatisfy(r -> assertThat(r.status()).isIn(200, 202));
                assertThat(answers.stream().map(r -> r.json().path("id").asString()).collect(Collectors.toSet())).as("round %d", round).hasSize(1);
            }
            assertThat(nodes.get(0).get("/v1/jobs?workflow=test/single&limit=500", KEY).json().path("jobs").size()).isEqualTo(5);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fake.requestCount() >= 5);
            assertThat(callsPerJob(fake).values()).allSatisfy(n -> assertThat(n).isEqualTo(1L));
        }
    }

    @Test
    void aBudgetSharedByEveryNodeIsNotOverspentBeyondOneReservationPerNode() throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String database = pg.createDatabase("cluster_budget");
        running.add(() -> pg.dropDatabase(database));
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(20), Duration.ofMillis(80))))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(dir.resolve("workflows/test/single.yaml"), TestNode.single(""));
            List<Http> nodes = startInProcess(config, url(pg, database));
            Http first = nodes.getFirst();
            String key = Accounts.create(first, "pro");
            String account = Accounts.id(first, key);
            String calibration = first.post("/v1/test/single", key, BODY).json().path("id").asString();
            long perJob = TestNode.micros(TestNode.awaitTerminal(first, key, calibration).path("usage").path("cost_usd").asString());
            assertThat(perJob).isPositive();
            long budget = perJob * 31;
            assertThat(Accounts.putLimits(first, account, "{\"cost_per_month_usd\": \"" + BigDecimal.valueOf(budget, 6).toPlainString() + "\"}")
                    .status()).isEqualTo(200);

            ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 100; i++) {
                    Http node = nodes.get(i % 3);
                    int n = i;
                    pool.submit(() -> {
                        Http.Response r = node.post("/v1/test/single", key, BODY, "Idempotency-Key", "budget-" + n);
                        if (r.status() == 202) {
                            accepted.add(r.json().path("id").asString());
                        } else {
                            assertProblem(r, 429, "budget_exceeded");
                        }
                    });
                }
            }
            Function<JsonNode, String> outcome = job -> job.path("status").asString()
                    + (job.path("error").isObject() ? "/" + job.path("error").path("code").asString() : "");
            Map<String, Integer> outcomes = new HashMap<>();
            long jobCost = perJob;
            for (String id : accepted) {
                JsonNode job = TestNode.awaitTerminal(nodes.get(2), key, id);
                outcomes.merge(outcome.apply(job), 1, Integer::sum);
                jobCost += TestNode.micros(job.path("usage").path("cost_usd").asString());
            }
            assertThat(outcomes.keySet()).as("%s", outcomes).isSubsetOf("completed", "failed/budget_exceeded");
            JsonNode usage = nodes.get(1).get("/v1/usage?group_by=workflow", key).json();
            long spent = TestNode.micros(usage.path("totals").path("cost_usd").asString());
            assertThat(spent).as("spent %d against a budget of %d on 3 nodes", spent, budget).isLessThanOrEqualTo(budget + 3 * perJob);
            // Counted once across nodes: the ledger is what the jobs report.
            assertThat(spent).isEqualTo(jobCost);
            assertThat(outcomes.getOrDefault("completed", 0)).as("%s", outcomes).isBetween(20, 33);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
