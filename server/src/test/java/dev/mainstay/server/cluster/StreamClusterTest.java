package dev.mainstay.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.Json;
import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.stream.SseClient;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.PostgresCluster;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Two nodes on one PostgreSQL database. A client streams the account's events from node A while
 * 200 jobs are submitted to node B; every event of every job reaches the client, and for the
 * events written on node B the delay from the event's time to its arrival on node A's stream is
 * measured (printed: p50, p99, max).
 */
class StreamClusterTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final int JOBS = 200;

    @TempDir
    Path dir;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : running.reversed()) {
            c.close();
        }
    }

    private MainstayServer node(Path config, int n, String dbUrl) {
        Map<String, String> env = new HashMap<>(TestNode.env(dir));
        env.put("MAINSTAY_DATA_DIR", dir.resolve("node-" + n).toString());
        env.put("MAINSTAY_DB_URL", dbUrl);
        env.put("MAINSTAY_DB_POOL_SIZE", "4");
        MainstayServer server = MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC());
        running.add(server::stop);
        return server;
    }

    @Test
    void eventsWrittenOnOneNodeReachAStreamOnTheOtherWithEveryEventOnce() throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String database = pg.createDatabase("stream_cluster");
        running.add(() -> pg.dropDatabase(database));
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(20), Duration.ofMillis(200))))) {
            Path config = TestNode.writeFiles(dir, fake, "30s", "1s");
            String url = "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/" + database;
            MainstayServer a = node(config, 0, url);
            MainstayServer b = node(config, 1, url);
            Http toB = new Http(b.baseUrl());
            String nodeB = b.engine().config().nodeId();

            Map<String, List<SseClient.Event>> byJob = new ConcurrentHashMap<>();
            try (SseClient stream = SseClient.open(a.baseUrl().resolve("/v1/events"), KEY,
                    e -> byJob.computeIfAbsent(Json.parse(e.data()).path("job_id").asString(), k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(e))) {
                assertThat(stream.status()).isEqualTo(200);
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < JOBS; i++) {
                    Http.Response r = toB.post("/v1/test/echo", KEY, "{\"text\": \"Job " + i + " for the stream.\"}");
                    assertThat(r.status()).isIn(200, 202);
                    ids.add(r.json().path("id").asString());
                }
                for (String id : ids) {
                    TestNode.awaitTerminal(toB, KEY, id);
                }
                // Every event of every job, once and in order, on node A's stream.
                await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().allMatch(id -> byJob.containsKey(id)
                        && byJob.get(id).size() == toB.get("/v1/jobs/" + id + "/events", KEY).json().path("events").size()));
                List<Long> delays = new ArrayList<>();
                int fromB = 0;
                for (String id : ids) {
                    List<SseClient.Event> got = List.copyOf(byJob.get(id));
                    List<Long> seqs = got.stream().map(e -> Json.parse(e.data()).path("seq").asLong()).toList();
                    List<Long> listed = new ArrayList<>();
                    toB.get("/v1/jobs/" + id + "/events", KEY).json().path("events").forEach(e -> listed.add(e.path("seq").asLong()));
                    assertThat(seqs).as("events of %s", id).isEqualTo(listed);
                    // The job ran on node B when B claimed it; then B wrote all its events (the submit too).
                    boolean ranOnB = got.stream().map(e -> Json.parse(e.data())).anyMatch(d -> d.path("type").asString().equals("processing")
                            && d.path("data").path("node").asString().equals(nodeB));
                    if (ranOnB) {
                        fromB++;
                        for (SseClient.Event e : got) {
                            Instant at = Instant.parse(Json.parse(e.data()).path("at").asString());
                            delays.add(Duration.between(at, e.receivedAt()).toMillis());
                        }
                    }
                }
                assertThat(fromB).as("jobs node B ran").isPositive();
                delays.sort(null);
                long p50 = delays.get(delays.size() / 2);
                long p99 = delays.get((int) Math.ceil(delays.size() * 0.99) - 1);
                System.out.printf("STREAM-CLUSTER: %d jobs, %d run on node B, %d events written on B: delay to node A's stream p50 %d ms, p99 %d ms, max %d ms%n",
                        JOBS, fromB, delays.size(), p50, p99, delays.getLast());
                assertThat(p99).as("p99 delay (ms) of events written on node B reaching a stream on node A").isLessThan(1000);
            }
        }
    }
}
