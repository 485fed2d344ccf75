package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import dev.mainstay.testkit.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Answers that a provider's specification allows but that are odd (negative or absurd token
 * counts, a number no field can hold), requests with such numbers, and a job claimed after its
 * deadline: each ends with a clear code, and every model call made is in the usage ledger and the
 * audit log.
 */
class ProviderOddAnswersTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;
    static final String LEAD = "{\"message\": \"Our bank needs pricing for 2000 seats.\"}";
    @TempDir
    static Path dir;

    @BeforeEach
    void reset() {
        fake.script(FaultScript.none());
    }

    @Test
    void negativeTokenCountsAreChargedAtTheEstimateFlaggedAndTheJobCompletes() {
        fake.script(FaultScript.always(Fault.negativeUsage()));
        Http.Response r = node.http.post("/v1/leads/classify", KEY, LEAD);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode job = r.json();

        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("completed");
        assertThat(job.path("result_type").asString()).isEqualTo("full");
        assertThat(job.path("result").path("segment").asString()).isEqualTo("enterprise");
        long input = job.path("usage").path("input_tokens").asLong();
        assertThat(input).as("the prompt as Mainstay counts it").isGreaterThan(100);
        assertThat(job.path("usage").path("output_tokens").asLong()).as("the stage's max_output_tokens").isEqualTo(200);
        assertThat(job.path("usage").path("cost_usd").asString()).isNotEqualTo("0.000000");

        List<JsonNode> calls = modelCalls(job);
        assertThat(calls).singleElement().satisfies(c -> {
            assertThat(c.path("usage").asString()).isEqualTo("estimated");
            assertThat(c.path("usage_note").asString()).isEqualTo("the provider reported prompt tokens -17 and answer tokens -3; charged " + input
                    + " prompt and 200 answer tokens as estimated");
            assertThat(c.path("input_tokens").asLong()).isEqualTo(input);
        });
        assertThat(ledger(job)).containsExactly(new LedgerRow(input, 200, calls.getFirst().path("cost_usd").asString()));
        assertThat(requestsOf(job)).hasSize(1);
    }

    @Test
    void absurdTokenCountsAreChargedAtTheEstimateNotAtTheirFaceValue() {
        fake.script(FaultScript.always(Fault.absurdUsage()));
        JsonNode job = node.http.post("/v1/leads/classify", KEY, LEAD).json();
        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("completed");
        assertThat(job.path("usage").path("output_tokens").asLong()).isEqualTo(200);
        assertThat(job.path("usage").path("input_tokens").asLong()).isBetween(100L, 10_000L);
        assertThat(modelCalls(job)).singleElement().satisfies(c -> assertThat(c.path("usage_note").asString())
                .startsWith("the provider reported prompt tokens " + Long.MAX_VALUE + ", more than ")
                .contains(" and answer tokens missing or not a usable whole number; charged "));
        assertThat(ledger(job)).hasSize(1);
    }

    @Test
    void aHugeNumberInAnIntegerFieldIsRepairedThenTheLadderAnswersAndBothCallsAreRecorded() {
        fake.script(FaultScript.always(Fault.ok().numbers("1e308")));
        Http.Response r = node.http.post("/v1/leads/classify", KEY, LEAD);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode job = r.json();

        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("degraded");
        assertThat(job.path("result_type").asString()).isEqualTo("fallback");
        assertThat(job.path("result").path("segment").asString()).isEqualTo("enterprise");
        assertThat(job.path("provenance").path("model").asString()).isEqualTo("rules:keyword-classifier");
        assertThat(job.path("provenance").path("fallback_path").values().stream().map(JsonNode::asString).toList())
                .containsExactly("fake/gpt-4o-mini: invalid_model_output", "rules:keyword-classifier: built the result without a model");
        JsonNode stage = job.path("stages").get(0);
        assertThat(stage.path("status").asString()).isEqualTo("failed");
        assertThat(stage.path("attempts").asInt()).isEqualTo(1);
        assertThat(stage.path("error").path("code").asString()).isEqualTo("invalid_model_output");
        assertThat(stage.path("error").path("message").asString()).contains("after one repair: /score: must have a maximum value of 100");

        // The answer and its repair were both billed: both are in the ledger and the audit log.
        assertThat(requestsOf(job)).hasSize(2);
        assertThat(modelCalls(job)).hasSize(2).allSatisfy(c -> assertThat(c.has("usage")).as("reported usage, not estimated").isFalse());
        assertThat(ledger(job)).hasSize(2);
        assertThat(job.path("usage").path("input_tokens").asLong()).isEqualTo(ledger(job).stream().mapToLong(LedgerRow::input).sum());
    }

    @ParameterizedTest(name = "max_points {0}")
    @ValueSource(strings = {"1e308", "1e19", "-1e308", "-1e19", "123456789012345678901234567890"})
    void aNumberBeyondAnyIntegerInARequestIsA400NamingItsPointer(String number) {
        Http.Response r = node.http.post("/v1/briefs/extract-key-points", KEY, "{\"document\": \"x\", \"max_points\": " + number + "}");
        assertProblem(r, 400, "invalid_input");
        assertThat(r.json().path("errors").values().stream().map(e -> e.path("pointer").asString()).toList()).containsExactly("/max_points");
        assertThat(r.json().path("errors").get(0).path("detail").asString()).startsWith(number.startsWith("-") ? "must have a minimum value of 1" : "must have a maximum value of 20");
    }

    @Test
    void aJobClaimedAfterItsDeadlineEndsDeadlineExceededWithoutANegativeTime() throws Exception {
        Path own = dir.resolve("deadline");
        Files.createDirectories(own);
        Path config = TestNode.writeFiles(own, fake, "2s", "1s");
        Files.writeString(own.resolve("workflows/test/late.yaml"), """
                workflow: test/late
                version: 1
                latency: async
                deadline: 10s
                input:
                  type: object
                  required: [text]
                  properties:
                    text: { type: string, minLength: 1 }
                stages:
                  - id: answer
                    model:
                      prompt: prompts/echo.mustache
                      route: [primary]
                      timeout: 5s
                    output:
                      schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                    retry: { attempts: 2, backoff: 10ms, max_backoff: 20ms }
                fallback: [cached]
                """);
        ManualClock clock = new ManualClock(Instant.parse("2026-03-01T09:00:00Z"));
        try (MainstayServer server = MainstayServer.start(ServerConfig.load(Optional.of(config), TestNode.env(own)), clock)) {
            Http http = new Http(server.baseUrl());
            // Five answers give the target a p95 latency, so the engine weighs it against the time left.
            for (int i = 0; i < 5; i++) {
                String id = http.post("/v1/test/late", KEY, "{\"text\": \"Warm-up number " + i + ".\"}").json().path("id").asString();
                assertThat(TestNode.awaitTerminal(http, KEY, id).path("status").asString()).isEqualTo("completed");
            }
            fake.script(FaultScript.perJob(Fault.status(429).retryAfter(Duration.ofSeconds(2))));
            String id = http.post("/v1/test/late", KEY, "{\"text\": \"This one waits out a restart.\"}").json().path("id").asString();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> http.get("/v1/jobs/" + id, KEY).json().path("status").asString().equals("retrying"));

            // The node is away for 30 s (say, restarting): the retry comes due long after the 10 s deadline.
            clock.advance(Duration.ofSeconds(30));
            server.engine().wake();
            JsonNode job = TestNode.awaitTerminal(http, KEY, id);

            assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("failed");
            assertThat(job.path("error").path("code").asString()).isEqualTo("deadline_exceeded");
            assertThat(job.path("error").path("message").asString())
                    .isEqualTo("the workflow deadline of PT10S passed at 2026-03-01T09:00:10Z, before stage 'answer' could run on fake/gpt-4o-mini");
            assertThat(job.path("stages").get(0).path("error").path("code").asString()).isEqualTo("deadline_exceeded");
            assertThat(job.path("provenance").path("fallback_path").values().stream().map(JsonNode::asString).toList())
                    .containsExactly("fake/gpt-4o-mini: deadline_exceeded", "cached: no earlier full result for this input");
            assertThat(job.toString()).doesNotContainPattern("-\\d+ ms").doesNotContain("provider_timeout");
            assertThat(fake.requests().stream().filter(q -> q.job().equals(id)).count()).as("no call after the deadline").isEqualTo(1);
        }
    }

    private static List<RecordedRequest> requestsOf(JsonNode job) {
        return fake.requests().stream().filter(r -> r.job().equals(job.path("id").asString())).toList();
    }

    /** The details of the job's {@code model.called} audit records. */
    static List<JsonNode> modelCalls(TestNode node, JsonNode job) {
        JsonNode records = node.http.get("/v1/admin/audit?action=model.called&job=" + job.path("id").asString(), TestNode.ADMIN_KEY).json().path("records");
        return records.values().stream().map(r -> r.path("details")).toList();
    }

    private static List<JsonNode> modelCalls(JsonNode job) {
        return modelCalls(node.node(), job);
    }

    record LedgerRow(long input, long output, String costUsd) {
    }

    /** The job's rows of the usage ledger, read from the node's SQLite file. */
    static List<LedgerRow> ledger(TestNode node, JsonNode job) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + node.dir.resolve("var/mainstay.db"));
             PreparedStatement s = c.prepareStatement("SELECT input_tokens, output_tokens, cost_micros FROM usage_ledger WHERE job_id = ? ORDER BY at, id")) {
            s.setString(1, job.path("id").asString());
            List<LedgerRow> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new LedgerRow(rs.getLong(1), rs.getLong(2), dev.mainstay.limits.AccountLimits.Money.usd(rs.getLong(3))));
                }
            }
            return out;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<LedgerRow> ledger(JsonNode job) {
        return ledger(node.node(), job);
    }
}
