package dev.mainstay.server.cluster;

import static dev.mainstay.server.testing.GatedWorkflow.NAME;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.GatedWorkflow;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.PostgresCluster;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The activation gate on two nodes sharing one PostgreSQL database: each candidate is gated once
 * (one gate run, one decision, one audit record) whichever node gets there first, a refused one
 * serves on neither node, an activated one on both, and an operator's rollback on one node is
 * served by the other within its sweep.
 */
class ActivationClusterTest {
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

    private List<Http> startNodes(Path config, PostgresCluster pg, String database) {
        List<Http> out = new ArrayList<>();
        for (int n = 0; n < 2; n++) {
            Map<String, String> env = new HashMap<>(TestNode.env(dir));
            env.put("MAINSTAY_DATA_DIR", dir.resolve("node-" + n).toString());
            env.put("MAINSTAY_DB_URL", "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/" + database);
            env.put("MAINSTAY_DB_POOL_SIZE", "4");
            MainstayServer server = MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC());
            nodes.add(server);
            out.add(new Http(server.baseUrl()));
        }
        return out;
    }

    @Test
    void twoNodesGateEachCandidateOnceAndAgreeOnTheActiveVersion() throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String database = pg.createDatabase("activation_gate");
        running.add(() -> pg.dropDatabase(database));
        Path workflows = dir.resolve("workflows");
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            GatedWorkflow.write(workflows, 1, GatedWorkflow.GOOD);
            Path config = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples().write();
            for (Http http : startNodes(config, pg, database)) {
                assertThat(GatedWorkflow.view(http).path("active_version").asInt()).isEqualTo(1);
            }
            stopNodes();

            // A worse v2 on both nodes: refused once, served by neither.
            GatedWorkflow.write(workflows, 2, GatedWorkflow.WORSE);
            List<Http> http = startNodes(config, pg, database);
            JsonNode refused = GatedWorkflow.awaitDecision(http.get(0), 2);
            assertThat(refused.path("decision").asString()).as(refused.toString()).isEqualTo("refused");
            assertThat(GatedWorkflow.awaitDecision(http.get(1), 2)).isEqualTo(refused);
            for (Http node : http) {
                assertThat(GatedWorkflow.view(node).path("active_version").asInt()).isEqualTo(1);
                assertThat(GatedWorkflow.version(GatedWorkflow.view(node), 2).path("state").asString()).isEqualTo("candidate");
                assertThat(GatedWorkflow.submittedVersion(node)).isEqualTo(1);
            }
            assertThat(http.get(1).get("/v1/admin/audit?action=workflow.activation_refused", TestNode.ADMIN_KEY).json().path("records")).hasSize(1);
            stopNodes();

            // A better v3: activated once, served by both.
            GatedWorkflow.write(workflows, 3, GatedWorkflow.BETTER);
            http = startNodes(config, pg, database);
            JsonNode activated = GatedWorkflow.awaitDecision(http.get(1), 3);
            assertThat(activated.path("decision").asString()).as(activated.toString()).isEqualTo("activated");
            for (Http node : http) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> GatedWorkflow.view(node).path("active_version").asInt() == 3);
                assertThat(GatedWorkflow.submittedVersion(node)).isEqualTo(3);
            }

            // A rollback on one node is served by the other.
            Http.Response back = http.get(0).post("/v1/admin/workflows/" + NAME + "/versions/1/activate", TestNode.ADMIN_KEY, "{\"reason\": \"rolling back on node 0\"}");
            assertThat(back.status()).as(back.text()).isEqualTo(200);
            Http other = http.get(1);
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> GatedWorkflow.submittedVersion(other) == 1);
            assertThat(GatedWorkflow.view(other).path("active_version").asInt()).isEqualTo(1);

            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), ""); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT version, highest_version FROM workflow_activations WHERE workflow = '" + NAME + "'")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(1);
                    assertThat(rs.getInt(2)).isEqualTo(3);
                }
                // One gate run per candidate (and one run of v1 to compare with, reused by the second gate), whichever node opened it.
                try (ResultSet rs = s.executeQuery("SELECT version, count(*) FROM eval_runs WHERE requested_by = 'system:activation' GROUP BY version ORDER BY version")) {
                    Map<Integer, Integer> runs = new HashMap<>();
                    while (rs.next()) {
                        runs.put(rs.getInt(1), rs.getInt(2));
                    }
                    assertThat(runs).isEqualTo(Map.of(1, 1, 2, 1, 3, 1));
                }
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM audit_log WHERE subject = '" + NAME + "' AND action IN ('workflow.activated', 'workflow.activation_refused')")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("the first version, v2 refused, v3 activated, the rollback").isEqualTo(4);
                }
            }
        }
    }
}
