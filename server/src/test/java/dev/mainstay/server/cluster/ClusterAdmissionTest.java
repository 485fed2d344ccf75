package dev.mainstay.server.cluster;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
 * Admission against a budget holds across nodes: two nodes on one PostgreSQL database share the
 * account's counters, so once what is left cannot cover the workflow's cheapest first call, every
 * node refuses the submit with the same numbers, and none sends anything to review.
 */
class ClusterAdmissionTest {
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
    void everyNodeRefusesOnceTheSharedBudgetCannotCoverTheFirstCall() throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String database = pg.createDatabase("cluster_admission");
        running.add(() -> pg.dropDatabase(database));
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(dir.resolve("workflows/test/meetings.yaml"), """
                    workflow: test/meetings
                    version: 1
                    latency: async
                    input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                    stages:
                      - id: notes
                        model: { prompt: prompts/echo.mustache, route: [primary], max_output_tokens: 600 }
                        output:
                          schema: { type: object, required: [summary], properties: { summary: { type: string, minLength: 1 } } }
                        retry: { attempts: 1 }
                    fallback: [review]
                    """);
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
            String key = Accounts.create(nodes.getFirst(), "free");
            assertThat(Accounts.putLimits(nodes.getFirst(), Accounts.id(nodes.getFirst(), key), "{\"cost_per_month_usd\": \"0.0005\"}")
                    .status()).isEqualTo(200);

            // Jobs on alternating nodes spend the shared budget until one node refuses.
            int accepted = 0;
            Http.Response refused = null;
            for (int i = 0; i < 40 && refused == null; i++) {
                Http node = nodes.get(i % 2);
                Http.Response r = node.post("/v1/test/meetings", key, "{\"text\": \"Standup " + i + ".\"}");
                if (r.status() == 202) {
                    accepted++;
                    TestNode.awaitTerminal(node, key, r.json().path("id").asString());
                } else {
                    refused = r;
                }
            }
            assertThat(accepted).isPositive();
            assertThat(refused).as("refused within forty submits").isNotNull();
            assertProblem(refused, 429, "budget_exceeded");
            for (Http node : nodes) {
                Http.Response again = node.post("/v1/test/meetings", key, "{\"text\": \"One more.\"}");
                assertProblem(again, 429, "budget_exceeded");
                assertThat(again.json().path("detail").asString()).isEqualTo(refused.json().path("detail").asString());
                JsonNode budget = node.get("/v1/usage", key).json().path("budgets").get(0);
                assertThat(budget.path("remaining").asString()).isEqualTo(nodes.getFirst().get("/v1/usage", key).json().path("budgets").get(0).path("remaining").asString());
                assertThat(node.get("/v1/reviews", key).json().path("reviews").size()).isZero();
            }
            assertThat(nodes.get(1).get("/v1/jobs?limit=500", key).json().path("jobs").size()).isEqualTo(accepted);
        }
    }
}
