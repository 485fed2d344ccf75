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
                server = sigkillThreeBursts(server, config, port, fake, http, "round", 30, accepted);
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
                JsonNode totals = http.get("/v1/usage?group_by=workflow", KEY).json().path("totals");
                long spent = TestNode.micros(totals.path("cost_usd").asString());
                long unknown = TestNode.micros(totals.path("unknown_outcome_cost_usd").asString());
                long unknownCalls = totals.path("unknown_outcome_calls").asLong();
                assertThat(spent).as("spent %d against a budget of %d", spent, budget).isLessThanOrEqualTo(budget);
                // Counted once: the ledger is what the jobs report, one call per completed job, plus
                // the calls in flight at the kill, charged at their estimates rather than forgotten.
                assertThat(jobCost).isEqualTo(perJob * (completed + 1));
                assertThat(spent).isEqualTo(jobCost + unknown);
                assertThat(unknownCalls).as("the kill landed on calls in flight").isPositive();
                assertThat(totals.path("calls").asLong()).isEqualTo(completed + 1 + unknownCalls);
                // The budget was spent down to less than one call's estimate: what stopped the burst.
                assertThat(budget - spent).isLessThan(unknown / unknownCalls);
            } finally {
                server.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void everyCallTheProviderReceivedIsInTheLedgerAcrossSigkillsAndNoneTwice() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(200), Duration.ofMillis(1200))))) {
            Path config = TestNode.writeFiles(dir, fake, "30s", "1s");
            int port = freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            Map<String, String> accepted = new ConcurrentHashMap<>();
            Process server = launch(config, port);
            try {
                server = sigkillThreeBursts(server, config, port, fake, http, "ledger", 25, accepted);
                long jobCost = 0;
                for (String id : accepted.values()) {
                    JsonNode job = TestNode.awaitTerminal(http, KEY, id);
                    assertThat(job.path("status").asString()).as(id).isEqualTo("completed");
                    jobCost += TestNode.micros(job.path("usage").path("cost_usd").asString());
                }
                // One charge id per call; an estimate replaced by a late answer has two audit records under one id.
                Map<String, java.util.Set<String>> charged = new java.util.HashMap<>();
                modelCalls(http).forEach((job, details) -> charged.put(job, details.stream().map(d -> d.path("charge").asString())
                        .collect(java.util.stream.Collectors.toSet())));
                long flagged = modelCalls(http).values().stream().flatMap(List::stream).filter(d -> d.path("usage").asString("").equals("unknown_outcome")).count();
                JsonNode totals = http.get("/v1/usage?group_by=model", KEY).json().path("totals");
                long calls = totals.path("calls").asLong();
                long unknown = totals.path("unknown_outcome_calls").asLong();
                int received = fake.requestCount();

                // Every call the provider received is in the ledger: settled, or charged at its
                // estimate because it was in flight when the node died.
                Map<String, Long> receivedPerJob = fake.requests().stream().collect(java.util.stream.Collectors.groupingBy(RecordedRequest::job,
                        java.util.stream.Collectors.counting()));
                receivedPerJob.forEach((job, n) -> assertThat((long) charged.getOrDefault(job, java.util.Set.of()).size())
                        .as("charges of job %s for its %d calls: %s", job, n, charged.get(job)).isGreaterThanOrEqualTo(n));
                assertThat(calls).as("ledger calls against %d received by the provider", received).isGreaterThanOrEqualTo(received);
                assertThat(calls - unknown).as("settled calls are calls the provider answered").isLessThanOrEqualTo(received);
                assertThat(unknown).as("the kills landed on calls in flight").isPositive();
                // None counted twice: one ledger row per charge, and the jobs' own usage plus the
                // estimates of the lost calls is the whole ledger.
                assertThat(charged.values().stream().mapToLong(java.util.Set::size).sum()).isEqualTo(calls);
                assertThat(TestNode.micros(totals.path("cost_usd").asString()))
                        .isEqualTo(jobCost + TestNode.micros(totals.path("unknown_outcome_cost_usd").asString()));
                assertThat(flagged).as("flagged in the audit log as in the ledger").isEqualTo(unknown);
            } finally {
                server.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void aNodeRestartedAfterSigkillTakesBackItsJobsAtOnceInsteadOfWaitingOutItsLeases() throws Exception {
        // The first calls hang; the node dies under them. Its leases would run 10 minutes, far past
        // the jobs' deadline of 3 minutes (which leaves a loaded machine time to restart the node).
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMinutes(10))))) {
            Path config = TestNode.writeFiles(dir, fake, "10m", "1s");
            Files.writeString(dir.resolve("workflows/test/prompt.yaml"), """
                    workflow: test/prompt
                    version: 1
                    latency: async
                    deadline: 3m
                    input:
                      type: object
                      required: [text]
                      properties:
                        text: { type: string, minLength: 1 }
                    stages:
                      - id: only
                        model:
                          prompt: prompts/echo.mustache
                          route: [primary]
                          timeout: 15m
                        output:
                          schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                    """);
            int port = freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            Process server = launch(config, port);
            try {
                List<String> ids = new java.util.ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    ids.add(http.post("/v1/test/prompt", KEY, "{\"text\": \"Taken back " + i + ".\"}").json().path("id").asString());
                }
                Awaitility.await("calls in flight").atMost(Duration.ofSeconds(60)).until(() -> fake.requestCount() >= 3);
                server.destroyForcibly().waitFor();
                fake.script(FaultScript.none());
                server = launch(config, port);
                for (String id : ids) {
                    JsonNode job = TestNode.awaitTerminal(http, KEY, id);
                    assertThat(job.path("status").asString()).as("job %s: %s", id, job.path("error")).isEqualTo("completed");
                    List<JsonNode> events = new java.util.ArrayList<>();
                    http.get("/v1/jobs/" + id + "/events", KEY).json().path("events").forEach(events::add);
                    List<String> types = events.stream().map(e -> e.path("type").asString()).toList();
                    assertThat(types).as("job %s", id).containsSubsequence("processing", "requeued", "processing", "completed");
                    JsonNode requeued = events.stream().filter(e -> e.path("type").asString().equals("requeued")).findFirst().orElseThrow();
                    assertThat(requeued.path("data").path("reason").asString()).contains("took back");
                    List<String> nodes = events.stream().filter(e -> e.path("type").asString().equals("processing"))
                            .map(e -> e.path("data").path("node").asString()).toList();
                    assertThat(nodes).as("the restarted node runs under the name of the one that died").containsOnly(nodes.getFirst());
                }
                JsonNode totals = http.get("/v1/usage", KEY).json().path("totals");
                assertThat(totals.path("calls").asInt()).isEqualTo(6);
                assertThat(totals.path("unknown_outcome_calls").asInt()).as("the three calls the kill cut off").isEqualTo(3);
            } finally {
                server.destroyForcibly().waitFor();
            }
        }
    }

    /** Every {@code model.called} audit record's details, by job, through the admin API. */
    static Map<String, List<JsonNode>> modelCalls(Http http) {
        Map<String, List<JsonNode>> out = new java.util.HashMap<>();
        long after = 0;
        while (true) {
            JsonNode page = http.get("/v1/admin/audit?action=model.called&limit=1000&after=" + after, TestNode.ADMIN_KEY).json();
            for (JsonNode r : page.path("records")) {
                out.computeIfAbsent(r.path("job").asString(), j -> new java.util.ArrayList<>()).add(r.path("details"));
            }
            if (page.path("next_after").isNull() || page.path("next_after").isMissingNode()) {
                return out;
            }
            after = page.path("next_after").asLong();
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

    /**
     * Three rounds of a burst of {@code perRound} submits to {@code test/pipeline} (keys
     * {@code prefix<round>-<i>}), cut by a SIGKILL once ten more model calls were made, so that
     * calls are in flight and some submits lose their answer; the node starts again and each key is
     * sent once more, as a client that saw no answer would. Returns the node that runs afterwards
     * (on a failure, it is killed first).
     */
    private Process sigkillThreeBursts(Process server, Path config, int port, FakeProvider fake, Http http, String prefix, int perRound,
            Map<String, String> accepted) throws Exception {
        try {
            for (int round = 1; round <= 3; round++) {
                int before = fake.requestCount();
                String keys = prefix + round + "-";
                Thread submitter = Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < perRound; i++) {
                        submit(http, keys + i, accepted);
                    }
                });
                Awaitility.await("model calls in round " + round).atMost(Duration.ofSeconds(30)).until(() -> fake.requestCount() >= before + 10);
                server.destroyForcibly().waitFor(); // SIGKILL: calls are in flight
                submitter.join();
                server = launch(config, port);
                // A client that saw no answer retries with the same key: no duplicate, nothing lost.
                for (int i = 0; i < perRound; i++) {
                    submit(http, keys + i, accepted);
                }
            }
            return server;
        } catch (Exception | AssertionError e) {
            server.destroyForcibly().waitFor();
            throw e;
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
