package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configured per-target limits: jobs wait in the queue for a minute budget instead of calling. */
class TargetLimitsTest {
    @TempDir
    Path dir;

    @Test
    void requestsPerMinuteMakeTheThirdJobWaitForTheClock() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).section("targets:\n  fake/gpt-4o-mini: { requests_per_minute: 2 }\n").start(clock)) {
                MainstayServer server = node.server;
                Http http = node.http;
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    ids.add(http.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"budget " + i + ".\"}").json().path("id").asString());
                }
                // Two-stage jobs: the budget of 2 requests lets exactly two model calls through.
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> fake.requestCount() == 2);
                Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> fake.requestCount() == 2);
                String waiting = ids.stream().filter(id -> http.get("/v1/jobs/" + id + "/events", TestNode.DEMO_KEY).json().toString().contains("target_busy"))
                        .findFirst().orElseThrow();
                assertThat(http.get("/v1/jobs/" + waiting, TestNode.DEMO_KEY).json().path("status").asString()).isEqualTo("retrying");

                for (int minute = 0; minute < 4; minute++) {
                    clock.advance(Duration.ofSeconds(61));
                    server.engine().wake();
                    int before = fake.requestCount();
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> fake.requestCount() >= Math.min(6, before + 2));
                }
                for (String id : ids) {
                    assertThat(TestNode.awaitTerminal(http, TestNode.DEMO_KEY, id).path("status").asString()).isEqualTo("completed");
                }
                assertThat(fake.requestCount()).isEqualTo(6);
            }
        }
    }

    @Test
    void perTargetConcurrencyBoundsCallsInFlight() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(100))))) {
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).section("targets:\n  fake/gpt-4o-mini: { concurrency: 1 }\n").start()) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    ids.add(node.http.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"one at a time " + i + ".\"}").json().path("id").asString());
                }
                ids.forEach(node::awaitTerminal);
                assertThat(fake.maxConcurrentRequests()).isEqualTo(1);
            }
        }
    }
}
