package dev.mainstay.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The erasure log on two nodes sharing one PostgreSQL database: an erasure made through one node
 * reaches the other node's {@code erasures.log} at that node's next sweep (and a node started
 * later has it from its start), so any one node's log is enough to erase again what a restored
 * backup brings back.
 */
class ErasureLogClusterTest {
    private static final String SUPPORT = """
            workflow: test/support
            version: 1
            latency: async
            deadline: 10m
            subject: /customer/email
            input:
              type: object
              required: [text, customer]
              properties:
                text: { type: string, minLength: 1 }
                customer:
                  type: object
                  properties:
                    email: { type: string }
            stages:
              - id: echo
                model:
                  prompt: prompts/echo.mustache
                  route: [primary]
                  timeout: 60s
                output:
                  schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                retry: { attempts: 1 }
            """;

    @TempDir
    Path dir;

    private final List<AutoCloseable> running = new ArrayList<>();
    private final List<MainstayServer> nodes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        stopNodes();
        for (AutoCloseable c : running.reversed()) {
            c.close();
        }
    }

    private void stopNodes() {
        nodes.forEach(MainstayServer::stop);
        nodes.clear();
    }

    private MainstayServer node(Path config, PostgresCluster pg, String database, int n) {
        Map<String, String> env = new HashMap<>(TestNode.env(dir));
        env.put("MAINSTAY_DATA_DIR", dir.resolve("node-" + n).toString());
        env.put("MAINSTAY_DB_URL", "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/" + database);
        env.put("MAINSTAY_DB_POOL_SIZE", "4");
        MainstayServer server = MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC());
        nodes.add(server);
        return server;
    }

    private Path log(int n) {
        return dir.resolve("node-" + n + "/erasures.log");
    }

    private String logOf(int n) throws Exception {
        return Files.isRegularFile(log(n)) ? Files.readString(log(n)) : "";
    }

    @Test
    void anErasureMadeThroughOneNodeReachesEveryNodesLog() throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String database = pg.createDatabase("erasure_log");
        running.add(() -> pg.dropDatabase(database));
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/support", SUPPORT).write();
            Http a = new Http(node(config, pg, database, 0).baseUrl());
            Http b = new Http(node(config, pg, database, 1).baseUrl());
            Http.Response submitted = a.post("/v1/test/support", TestNode.DEMO_KEY, "{\"text\": \"Hello from ivy@example.com.\", \"customer\": {\"email\": \"ivy@example.com\"}}");
            assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
            String job = submitted.json().path("id").asString();
            assertThat(TestNode.awaitTerminal(a, TestNode.DEMO_KEY, job).path("status").asString()).isEqualTo("completed");

            Http.Response erased = a.post("/v1/admin/erasures", TestNode.ADMIN_KEY, "{\"subject\": \"ivy@example.com\"}");
            assertThat(erased.status()).as(erased.text()).isEqualTo(201);
            String id = erased.json().path("id").asString();
            assertThat(logOf(0)).contains(id);
            assertThat(logOf(1)).as("node 1 ran no erasure and has not swept yet").doesNotContain(id);

            // Node 1's next sweep (whether or not it holds the sweep lease) brings its log up to date, once.
            assertThat(b.post("/v1/admin/retention/sweep", TestNode.ADMIN_KEY, "").status()).isEqualTo(200);
            assertThat(logOf(1)).contains(id).doesNotContain("ivy@example.com");
            assertThat(b.post("/v1/admin/retention/sweep", TestNode.ADMIN_KEY, "").status()).isEqualTo(200);
            assertThat(logOf(1).lines().filter(l -> l.contains(id)).count()).isEqualTo(1);

            // A node started later, with a data directory of its own, has it from its start.
            node(config, pg, database, 2);
            assertThat(logOf(2)).contains(id);

            // Its log alone is enough: with the erasure gone from the database (as in a backup older
            // than it) and the job's result back, a node replaying that log erases the job again.
            stopNodes();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), ""); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO job_subjects (digest, job_id) SELECT target, '" + job + "' FROM erasures");
                s.executeUpdate("DELETE FROM erasures");
                s.executeUpdate("UPDATE jobs SET result = '{\"summary\": \"restored for ivy@example.com\"}', erased_at = NULL, payloads_expired_at = NULL WHERE id = '"
                        + job + "'");
            }
            Files.delete(log(0));
            Http restored = new Http(node(config, pg, database, 1).baseUrl());
            assertThat(restored.get("/v1/jobs/" + job, TestNode.DEMO_KEY).json().path("result").isNull()).isTrue();
            assertThat(restored.get("/v1/admin/erasures/" + id, TestNode.ADMIN_KEY).json().path("requested_by").asString()).isEqualTo("system:erasure-log");
        }
    }
}
