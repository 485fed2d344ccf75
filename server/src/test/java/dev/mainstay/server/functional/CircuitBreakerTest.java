package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** A target that keeps failing opens its circuit: later jobs skip it without calling it. */
class CircuitBreakerTest {
    @TempDir
    Path dir;

    @Test
    void openCircuitSendsJobsStraightToTheNextTargetAndShowsInTheAdminEndpoint() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.perJob(Fault.status(503)))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(config, Files.readString(config)
                    .replace("  small: [fake/gpt-4o-mini]", "  small: [fake/gpt-4o-mini]\n  pair: [fake/model-a, fake/model-b]")
                    .replace("circuit_breaker: { failures: 1000 }", "circuit_breaker: { failures: 2, cooldown: 1h }"));
            Files.writeString(dir.resolve("workflows/test/paired.yaml"), Files.readString(dir.resolve("workflows/test/echo.yaml"))
                    .replace("workflow: test/echo", "workflow: test/paired").replace("route: [primary]", "route: [pair]")
                    .replace("retry: { attempts: 3, backoff: 20ms, max_backoff: 100ms }", "retry: { attempts: 1 }"));
            try (TestNode node = TestNode.start(dir, config, Map.of())) {
                for (int i = 0; i < 2; i++) {
                    JsonNode job = node.http.post("/v1/test/paired", TestNode.DEMO_KEY, "{\"text\": \"trip " + i + ".\"}", "Prefer", "wait=20").json();
                    assertThat(job.path("provenance").path("model").asString()).isEqualTo("model-b-fake-0001");
                }
                fake.script(FaultScript.none()); // model-a would answer now, but nobody asks it
                JsonNode third = node.http.post("/v1/test/paired", TestNode.DEMO_KEY, "{\"text\": \"skip.\"}", "Prefer", "wait=20").json();
                assertThat(third.path("status").asString()).isEqualTo("degraded");
                List<String> models = fake.requests().stream().filter(r -> r.job().equals(third.path("id").asString()))
                        .map(r -> r.body().path("model").asString()).toList();
                assertThat(models).as("model-a is not called while its circuit is open").containsExactly("model-b");
                assertThat(third.path("provenance").path("fallback_path").get(0).asString())
                        .startsWith("fake/model-a: provider_unavailable, switched to fake/model-b");
                JsonNode events = node.http.get("/v1/jobs/" + third.path("id").asString() + "/events", TestNode.DEMO_KEY).json();
                assertThat(events.toString()).contains("circuit for fake/model-a is open");

                JsonNode targets = node.http.get("/v1/admin/targets", TestNode.ADMIN_KEY).json().path("targets");
                JsonNode a = null;
                for (JsonNode t : targets) {
                    if (t.path("target").asString().equals("fake/model-a")) {
                        a = t;
                    }
                }
                assertThat(a).isNotNull();
                assertThat(a.path("state").asString()).isEqualTo("open");
                assertThat(a.path("consecutive_failures").asInt()).isEqualTo(2);
                assertProblem(node.http.get("/v1/admin/targets", TestNode.DEMO_KEY), 403, "forbidden");
            }
        }
    }
}
