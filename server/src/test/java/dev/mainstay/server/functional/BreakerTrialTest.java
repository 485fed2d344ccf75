package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * The breaker scenario a new user hit, over real HTTP with the testkit fake provider: a provider
 * answering 503 opens the circuits of both targets of a route; after the cooldown, one job ends
 * before calling (its account's budget refuses the call, or its content is blocked by redaction);
 * the next job, of another account, must still find the circuit's trial free and close it.
 */
class BreakerTrialTest {
    @TempDir
    Path dir;

    /** How the job between the cooldown and the healthy job ends without a call. */
    enum Exit { BUDGET, REDACTION }

    @ParameterizedTest
    @EnumSource(Exit.class)
    void aJobThatEndsWithoutCallingLeavesTheTrialForTheNextJob(Exit exit) throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-22T12:00:00Z"));
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.status(503)))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(config, Files.readString(config)
                    .replace("circuit_breaker: { failures: 1000 }", "circuit_breaker: { failures: 2, cooldown: 30s }")
                    .replace("primary: [fake/gpt-4o-mini]", "primary: [fake/gpt-4o-mini, fake/model-b]"));
            Files.writeString(dir.resolve("workflows/test/notes.yaml"), """
                    workflow: test/notes
                    version: 1
                    latency: async
                    deadline: 5m
                    input:
                      type: object
                      required: [text]
                      properties:
                        text: { type: string, minLength: 1 }
                    stages:
                      - id: notes
                        model:
                          prompt: prompts/echo.mustache
                          route: [primary]
                          max_output_tokens: 200
                        output:
                          schema: { type: object, required: [summary], properties: { summary: { type: string, minLength: 1 } } }
                        retry: { attempts: 1 }
                    redact: { card: block }
                    """);
            try (MainstayServer server = MainstayServer.start(ServerConfig.load(Optional.of(config), TestNode.env(dir)), clock)) {
                Http http = new Http(server.baseUrl());
                // Two jobs against the 503s: each target fails twice in a row, both circuits open.
                for (int i = 0; i < 2; i++) {
                    JsonNode failed = submitAndAwait(http, TestNode.DEMO_KEY, "{\"text\": \"Meeting notes, take " + i + ".\"}");
                    assertThat(failed.path("status").asString()).isEqualTo("failed");
                }
                assertThat(states(http)).containsExactly("open", "open");
                clock.advance(Duration.ofSeconds(31));
                assertThat(states(http)).containsExactly("half_open", "half_open");

                int sent = fake.requestCount();
                JsonNode refused = switch (exit) {
                    case BUDGET -> {
                        // Enough budget to be admitted, not enough for this long transcript's call on either target.
                        String key = Accounts.create(http, "free");
                        assertThat(Accounts.putLimits(http, Accounts.id(http, key), "{\"cost_per_month_usd\": \"0.000300\"}").status())
                                .isEqualTo(200);
                        yield submitAndAwait(http, key, "{\"text\": \"" + "The quarterly review covered hiring, budget and the roadmap. ".repeat(400) + "\"}");
                    }
                    case REDACTION -> submitAndAwait(http, Accounts.create(http, "free"),
                            "{\"text\": \"Refund the card 4111 1111 1111 1111 that was charged twice.\"}");
                };
                assertThat(refused.path("status").asString()).isEqualTo("failed");
                assertThat(refused.path("error").path("code").asString()).isEqualTo(exit == Exit.BUDGET ? "budget_exceeded" : "redaction_blocked");
                assertThat(fake.requestCount()).as("the refused job sent nothing").isEqualTo(sent);
                assertThat(states(http)).as("no trial is left running").containsExactly("half_open", "half_open");

                // The provider is healthy again: another account's first job is the trial, and closes the circuit.
                fake.script(FaultScript.none());
                JsonNode healthy = submitAndAwait(http, TestNode.DEMO_KEY, "{\"text\": \"Meeting notes, after the outage.\"}");
                assertThat(healthy.path("status").asString()).as("%s", healthy).isEqualTo("completed");
                assertThat(healthy.path("provenance").path("model").asString()).startsWith("gpt-4o-mini");
                assertThat(healthy.path("provenance").path("fallback_path").size()).isZero();
                assertThat(states(http).getFirst()).isEqualTo("closed");
            }
        }
    }

    private static JsonNode submitAndAwait(Http http, String key, String body) {
        Http.Response r = http.post("/v1/test/notes", key, body);
        assertThat(r.status()).as("%s", r.text()).isEqualTo(202);
        return TestNode.awaitTerminal(http, key, r.json().path("id").asString());
    }

    /** Breaker states of fake/gpt-4o-mini and fake/model-b, in that order. */
    private static java.util.List<String> states(Http http) {
        JsonNode targets = http.get("/v1/admin/targets", TestNode.ADMIN_KEY).json().path("targets");
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String name : java.util.List.of("fake/gpt-4o-mini", "fake/model-b")) {
            for (JsonNode t : targets) {
                if (t.path("target").asString().equals(name)) {
                    out.add(t.path("state").asString());
                }
            }
        }
        return out;
    }
}
