package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Bulkheads, admission backpressure and the injected clock. */
class LimitsAndClockTest {
    @TempDir
    Path dir;

    @Test
    void perWorkflowConcurrencyBoundsCallsInFlight() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(150))))) {
            String narrow = TestNode.ECHO.replace("workflow: test/echo", "workflow: test/narrow").replace("latency: wait", "latency: async\nconcurrency: 2");
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/narrow", narrow).start()) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    ids.add(node.http.post("/v1/test/narrow", TestNode.DEMO_KEY, "{\"text\": \"narrow " + i + ".\"}").json().path("id").asString());
                }
                ids.forEach(node::awaitTerminal);
                assertThat(fake.maxConcurrentRequests()).isEqualTo(2);
            }
        }
    }

    @Test
    void perProviderConcurrencyBoundsCallsInFlight() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(150))))) {
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).providerOption("concurrency: 3").start()) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 15; i++) {
                    ids.add(node.http.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"wide " + i + ".\"}").json().path("id").asString());
                }
                ids.forEach(node::awaitTerminal);
                assertThat(fake.maxConcurrentRequests()).isEqualTo(3);
            }
        }
    }

    @Test
    void fullAccountBacklogIsRefusedWith429AndRetryAfterAndNothingIsLost() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(400))))) {
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).engine("max_account_backlog: 5").start()) {
                List<String> accepted = new ArrayList<>();
                Http.Response refused = null;
                for (int i = 0; i < 10; i++) {
                    Http.Response r = node.http.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"backlog " + i + ".\"}");
                    if (r.status() == 202) {
                        accepted.add(r.json().path("id").asString());
                    } else {
                        refused = r;
                    }
                }
                assertThat(accepted).hasSize(5);
                assertProblem(refused, 429, "rate_limited");
                assertThat(refused.header("Retry-After")).isEqualTo("5");
                assertThat(refused.json().path("retryable").asBoolean()).isTrue();
                assertThat(refused.json().path("retry_after").asInt()).isEqualTo(5);
                for (String id : accepted) {
                    assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
                }
                assertThat(node.http.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"after.\"}").status()).isEqualTo(202);
            }
        }
    }

    @Test
    void retryWaitsForTheInjectedClockNotTheWallClock() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        try (FakeProvider fake = FakeProvider.start(FaultScript.perJob(Fault.status(429).retryAfter(Duration.ofSeconds(40))))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            ServerConfig cfg = ServerConfig.load(Optional.of(config), TestNode.env(dir));
            try (MainstayServer server = MainstayServer.start(cfg, clock)) {
                Http http = new Http(server.baseUrl());
                String id = http.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"later.\"}").json().path("id").asString();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        http.get("/v1/jobs/" + id, TestNode.DEMO_KEY).json().path("status").asString().equals("retrying"));
                JsonNode retrying = http.get("/v1/jobs/" + id, TestNode.DEMO_KEY).json();
                assertThat(retrying.path("retry_after").asLong()).isBetween(40L, 41L);
                assertThat(retrying.path("error").path("code").asString()).isEqualTo("provider_rate_limited");
                assertThat(fake.requestCount()).isEqualTo(1);

                clock.advance(Duration.ofSeconds(39));
                server.engine().wake();
                // Still not due: the dispatcher must not call the provider yet.
                Awaitility.await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> fake.requestCount() == 1);

                clock.advance(Duration.ofSeconds(2));
                server.engine().wake();
                JsonNode done = TestNode.awaitTerminal(http, TestNode.DEMO_KEY, id);
                assertThat(done.path("status").asString()).isEqualTo("completed");
                assertThat(done.path("created_at").asString()).isEqualTo("2026-01-01T00:00:00Z");
            }
        }
    }
}
