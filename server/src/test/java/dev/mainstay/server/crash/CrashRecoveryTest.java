package dev.mainstay.server.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.RecordedRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The server runs as its own process and is killed with SIGKILL three times while jobs are being
 * submitted and run. Afterwards every accepted job completes, idempotency keys still map to their
 * jobs, and no stage whose output was committed is ever asked of the model again.
 */
class CrashRecoveryTest {
    private static final String KEY = TestNode.DEMO_KEY;

    @TempDir
    Path dir;

    @Test
    void sigkillDuringABurstLosesNoAcceptedJobAndRerunsNoCommittedStage() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(200), Duration.ofMillis(1200))))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            int port = freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            Map<String, String> accepted = new ConcurrentHashMap<>(); // idempotency key -> job id

            Process server = launch(config, port);
            try {
                for (int round = 1; round <= 3; round++) {
                    int before = fake.requestCount();
                    int r = round;
                    // Submits keep arriving while the kill lands, so some are cut off mid-request.
                    Thread submitter = Thread.ofVirtual().start(() -> {
                        for (int i = 0; i < 30; i++) {
                            submit(http, "round" + r + "-" + i, accepted);
                        }
                    });
                    Awaitility.await("model calls in round " + round).atMost(Duration.ofSeconds(30)).until(() -> fake.requestCount() >= before + 10);
                    server.destroyForcibly().waitFor();
                    submitter.join();
                    server = launch(config, port);
                    // A client that saw no answer retries with the same key: no duplicate, nothing lost.
                    for (int i = 0; i < 30; i++) {
                        submit(http, "round" + r + "-" + i, accepted);
                    }
                }
                assertThat(accepted).hasSize(3 * 30);
                for (String id : accepted.values()) {
                    JsonNode job = TestNode.awaitTerminal(http, KEY, id);
                    assertThat(job.path("status").asString()).as(id).isEqualTo("completed");
                }
                // Idempotency survived the crashes: a repeat of any key returns its original job.
                for (int i = 0; i < 30; i += 7) {
                    Http.Response again = http.post("/v1/test/pipeline", KEY, body("round1-" + i), "Idempotency-Key", "round1-" + i);
                    assertThat(again.json().path("id").asString()).isEqualTo(accepted.get("round1-" + i));
                }
                assertThat(http.get("/v1/jobs?workflow=test/pipeline&limit=500", KEY).json().path("jobs").size()).isEqualTo(accepted.size());
            } finally {
                server.destroyForcibly().waitFor();
            }

            // Once the second stage has been asked for, the first stage was committed: it must never run again.
            int interrupted = 0;
            for (String id : accepted.values()) {
                List<String> stages = fake.requests().stream().filter(rr -> rr.job().equals(id)).map(RecordedRequest::stage).toList();
                int firstSecond = stages.indexOf("second");
                assertThat(firstSecond).as("job %s reached its second stage", id).isGreaterThan(0);
                assertThat(stages.subList(firstSecond, stages.size())).as("stages asked for job %s: %s", id, stages).doesNotContain("first");
                interrupted += stages.size() - 2;
            }
            // The kills did land on calls in flight: some stages were asked for again after a crash.
            assertThat(interrupted).isPositive();
        }
    }

    @Test
    void sigkillDuringABurstAgainstABudgetNeitherOverspendsNorCountsTwice() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(100), Duration.ofMillis(600))))) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(dir.resolve("workflows/test/single.yaml"), TestNode.single(""));
            Files.writeString(dir.resolve("workflows/test/single.yaml"), Files.readString(dir.resolve("workflows/test/single.yaml"))
                    .replace("max_output_tokens: 200", "max_output_tokens: 200\n      timeout: 3s"));
            int port = freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            Map<String, String> accepted = new ConcurrentHashMap<>();
            Process server = launch(config, port);
            long perJob;
            long budget;
            try {
                String first = http.post("/v1/test/single", KEY, "{\"text\": \"Crash test under a budget.\"}").json().path("id").asString();
                perJob = TestNode.micros(TestNode.awaitTerminal(http, KEY, first).path("usage").path("cost_usd").asString());
                budget = perJob * 41;
                String account = Accounts.id(http, KEY);
                assertThat(Accounts.putLimits(http, account, "{\"cost_per_month_usd\": \"" + java.math.BigDecimal.valueOf(budget, 6).toPlainString() + "\"}")
                        .status()).isEqualTo(200);
                Thread submitter = Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 150; i++) {
                        submitSingle(http, "budget-" + i, accepted);
                    }
                });
                Awaitility.await("model calls under the budget").atMost(Duration.ofSeconds(30)).until(() -> fake.requestCount() >= 15);
                server.destroyForcibly().waitFor();
                submitter.join();
                server = launch(config, port);
                for (int i = 0; i < 150; i++) {
                    submitSingle(http, "budget-" + i, accepted);
                }
                long completed = 0;
                long jobCost = perJob;
                for (String id : accepted.values()) {
                    JsonNode job = TestNode.awaitTerminal(http, KEY, id);
                    String status = job.path("status").asString();
                    assertThat(status.equals("completed") || job.path("error").path("code").asString().equals("budget_exceeded"))
                            .as("job %s ended %s", id, job).isTrue();
                    completed += status.equals("completed") ? 1 : 0;
                    jobCost += TestNode.micros(job.path("usage").path("cost_usd").asString());
                }
                JsonNode usage = http.get("/v1/usage?group_by=workflow", KEY).json();
                long spent = TestNode.micros(usage.path("totals").path("cost_usd").asString());
                assertThat(spent).as("spent %d against a budget of %d", spent, budget).isLessThanOrEqualTo(budget);
                // Counted once: the ledger is exactly what the jobs report, one call per completed job.
                assertThat(spent).isEqualTo(jobCost).isEqualTo(perJob * (completed + 1));
                assertThat(completed).isBetween(30L, 40L);
            } finally {
                server.destroyForcibly().waitFor();
            }
        }
    }

    private static void submitSingle(Http http, String key, Map<String, String> accepted) {
        try {
            Http.Response r = http.post("/v1/test/single", KEY, "{\"text\": \"Crash test under a budget.\"}", "Idempotency-Key", key);
            if (r.status() == 202) {
                accepted.putIfAbsent(key, r.json().path("id").asString());
            }
        } catch (IllegalStateException connectionLost) {
            // The server died mid-request; the client retries.
        }
    }

    @Test
    void sigtermStopsGracefullyAndTheNextStartFinishesWhatWasRunning() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofSeconds(4))))) {
            Path config = TestNode.writeFiles(dir, fake, "30s", "500ms");
            int port = freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            Map<String, String> accepted = new ConcurrentHashMap<>();
            Process server = launch(config, port);
            for (int i = 0; i < 8; i++) {
                submit(http, "term-" + i, accepted);
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> fake.requestCount() >= 8);
            server.destroy(); // SIGTERM
            assertThat(server.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // The lease is 30 s: the graceful hand-back (a 'requeued' event) is what lets the next start resume at once.
            fake.script(FaultScript.none());
            Process again = launch(config, port);
            try {
                for (String id : accepted.values()) {
                    JsonNode job = TestNode.awaitTerminal(http, KEY, id);
                    assertThat(job.path("status").asString()).isEqualTo("completed");
                    JsonNode events = http.get("/v1/jobs/" + id + "/events", KEY).json().path("events");
                    assertThat(events.findValuesAsString("type")).as("job %s was handed back on SIGTERM", id).contains("requeued");
                }
            } finally {
                again.destroyForcibly().waitFor();
            }
        }
    }

    private static String body(String key) {
        return "{\"text\": \"Crash test " + key + ". Nothing may be lost.\"}";
    }

    private static void submit(Http http, String key, Map<String, String> accepted) {
        try {
            Http.Response r = http.post("/v1/test/pipeline", KEY, body(key), "Idempotency-Key", key);
            if (r.status() == 202 || r.status() == 200) {
                String id = r.json().path("id").asString();
                String before = accepted.putIfAbsent(key, id);
                assertThat(before == null || before.equals(id)).as("key %s mapped to %s and %s", key, before, id).isTrue();
            }
        } catch (IllegalStateException connectionLost) {
            // The server died mid-request: the client did not get an answer and will retry.
        }
    }

    private Process launch(Path config, int port) throws IOException {
        return TestNode.launchProcess(dir, config, port, Map.of(), "crash-test-server.log");
    }

    private static int freePort() throws IOException {
        return TestNode.freePort();
    }
}
