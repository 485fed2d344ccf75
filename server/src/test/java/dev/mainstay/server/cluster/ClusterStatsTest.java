package dev.mainstay.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/admin/stats} is the cluster's, not a node's: two nodes on one PostgreSQL database,
 * jobs submitted to both, and each node's summary equals the other's and a count over the jobs
 * table itself.
 */
class ClusterStatsTest {
    private static final String METERED = """
            workflow: test/metered
            version: 1
            latency: wait
            input:
              type: object
              required: [document]
              properties:
                document: { type: string, minLength: 1 }
                max_points: { type: integer, default: 2 }
            stages:
              - id: extract
                model:
                  prompt: prompts/echo-document.mustache
                  route: [primary]
                  timeout: 5s
                output:
                  schema:
                    type: object
                    required: [points, confidence]
                    properties:
                      points: { type: array, minItems: 1, items: { type: string } }
                      confidence: { type: number, minimum: 0, maximum: 1 }
                retry: { attempts: 2, backoff: 10ms, max_backoff: 20ms }
            fallback: [{ rules: extractive-summary }]
            """;

    @TempDir
    Path dir;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : running.reversed()) {
            c.close();
        }
    }

    @Test
    void everyNodeAnswersTheCountsOfTheJobsTable() throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String database = pg.createDatabase("cluster_stats");
        running.add(() -> pg.dropDatabase(database));
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(dir.resolve("workflows/test/metered.yaml"), METERED);
            Files.writeString(dir.resolve("workflows/prompts/echo-document.mustache"), "Summarise.\n<document>\n{{input.document}}\n</document>\n");
            List<Http> nodes = new ArrayList<>();
            for (int n = 0; n < 2; n++) {
                Map<String, String> env = new HashMap<>(TestNode.env(dir));
                env.put("MAINSTAY_DATA_DIR", dir.resolve("node-" + n).toString());
                env.put("MAINSTAY_DB_URL", "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/" + database);
                env.put("MAINSTAY_DB_POOL_SIZE", "4");
                MainstayServer server = MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC());
                running.add(server::stop);
                nodes.add(new Http(server.baseUrl()));
            }
            Instant from = Instant.now().minusSeconds(60);
            // Plain successes, jobs retried once after a 503, and jobs the rules rung rescues; on both nodes.
            submit(nodes, fake, FaultScript.none(), 5);
            submit(nodes, fake, FaultScript.perJob(Fault.status(503)), 4);
            submit(nodes, fake, FaultScript.always(Fault.refusal()), 3);
            Instant to = Instant.now().plusSeconds(60);

            String query = "/v1/admin/stats?from=" + from + "&to=" + to + "&bucket=hour";
            JsonNode first = nodes.get(0).get(query, TestNode.ADMIN_KEY).json();
            JsonNode second = nodes.get(1).get(query, TestNode.ADMIN_KEY).json();
            assertThat(second).isEqualTo(first);

            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), ""); Statement s = c.createStatement()) {
                Map<String, Long> byStatus = new HashMap<>();
                try (ResultSet rs = s.executeQuery("SELECT status, count(*) FROM jobs GROUP BY status")) {
                    while (rs.next()) {
                        byStatus.put(rs.getString(1), rs.getLong(2));
                    }
                }
                long total = byStatus.values().stream().mapToLong(Long::longValue).sum();
                assertThat(total).isEqualTo(12);
                assertThat(first.path("jobs").path("submitted").asLong()).isEqualTo(total);
                byStatus.forEach((status, n) -> assertThat(first.path("jobs").path("by_status").path(status).asLong()).as(status).isEqualTo(n));
                long retried = scalar(s, "SELECT count(DISTINCT job_id) FROM job_events WHERE type = 'retry_scheduled'");
                long cost = scalar(s, "SELECT coalesce(sum(cost_micros), 0) FROM jobs");
                long input = scalar(s, "SELECT coalesce(sum(input_tokens), 0) FROM jobs");
                long stagesPassed = scalar(s, "SELECT count(*) FROM job_stages WHERE status = 'completed' AND provenance::jsonb ->> 'validation' = 'passed'");
                long stagesChecked = scalar(s, "SELECT count(*) FROM job_stages WHERE status = 'completed' AND provenance::jsonb ->> 'validation' IS NOT NULL");
                assertThat(retried).isEqualTo(4);
                assertThat(byStatus).containsEntry("completed", 9L).containsEntry("degraded", 3L);
                assertThat(first.path("success_rate").asDouble()).isEqualTo(Math.round(9 / 12.0 * 10_000) / 10_000.0);
                assertThat(first.path("retry_rate").asDouble()).isEqualTo(Math.round(retried / 12.0 * 10_000) / 10_000.0);
                assertThat(first.path("fallback_rate").asDouble()).isEqualTo(0.25);
                assertThat(first.path("fallback_rate_by_rung").path("rules:extractive-summary").asDouble()).isEqualTo(0.25);
                assertThat(first.path("validation_first_pass_rate").asDouble())
                        .isEqualTo(Math.round((double) stagesPassed / stagesChecked * 10_000) / 10_000.0);
                assertThat(first.path("usage").path("input_tokens").asLong()).isEqualTo(input);
                assertThat(TestNode.micros(first.path("usage").path("cost_usd").asString())).isEqualTo(cost);
                assertThat(first.path("latency_ms").path("stages").get(0).path("count").asLong()).isEqualTo(stagesChecked);
                assertThat(first.path("series").size()).isBetween(1, 2);
            }
        }
    }

    private static void submit(List<Http> nodes, FakeProvider fake, FaultScript script, int n) {
        fake.script(script);
        for (int i = 0; i < n; i++) {
            Http node = nodes.get(i % 2);
            Http.Response r = node.post("/v1/test/metered", TestNode.DEMO_KEY, "{\"document\": \"Job " + i + " of a cluster. It counts.\"}");
            assertThat(r.status()).as(r.text()).isIn(200, 202);
            assertThat(TestNode.isTerminal(TestNode.awaitTerminal(node, TestNode.DEMO_KEY, r.json().path("id").asString()).path("status").asString()))
                    .isTrue();
        }
    }

    private static long scalar(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
