package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FakeToolServer;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Tool stages over real HTTP: scopes, approvals, exactly one effect per job and stage, the SSRF guard. */
class ToolStageTest {
    static final String KEY = TestNode.DEMO_KEY;
    static final Map<String, String> ENV = Map.of("CRM_TOKEN", "Bearer crm-secret-token");

    static final FakeToolServer crm = FakeToolServer.start();
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> withTools(setup, crm));
    static final FakeProvider fake = node.fake;

    @AfterAll
    static void stopTools() {
        crm.close();
    }

    /** The tool workflows and a {@code crm} tool that is the fake tool server (loopback, so allowed explicitly). */
    static TestNode.Setup withTools(TestNode.Setup setup, FakeToolServer crm) {
        return setup.env(ENV).section("""
                tools:
                  crm:
                    base_url: %s
                    timeout: 2s
                    retries: 2
                    allow_private: true
                    headers: { Authorization: { env: CRM_TOKEN } }
                """.formatted(crm.baseUrl()))
                .workflow("test/tool-read", """
                workflow: test/tool-read
                version: 1
                input: { type: object, required: [customer], properties: { customer: { type: string, pattern: "^[a-z0-9]+$" } } }
                stages:
                  - id: lookup
                    tool: { name: crm, method: GET, path: "/customers/{{input.customer}}", scope: read }
                """)
                .workflow("test/tool-draft", """
                workflow: test/tool-draft
                version: 1
                input: { type: object, required: [text], properties: { text: { type: string } } }
                stages:
                  - id: write
                    model:
                      prompt: prompts/echo.mustache
                      route: [primary]
                    output:
                      schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                  - id: note
                    tool: { name: crm, path: /notes, scope: draft, body: { text: "{{stages.write.summary}}", source: mainstay } }
                """)
                .workflow("test/tool-execute", """
                workflow: test/tool-execute
                version: 1
                input: { type: object, required: [customer, amount], properties: { customer: { type: string }, amount: { type: integer } } }
                stages:
                  - id: refund
                    tool: { name: crm, path: /refunds, scope: execute, body: { customer: "{{input.customer}}", amount: "{{input.amount}}" } }
                """)
                .workflow("test/tool-then-model", """
                workflow: test/tool-then-model
                version: 1
                input: { type: object, required: [text], properties: { text: { type: string } } }
                stages:
                  - id: record
                    tool: { name: crm, path: /records, scope: read, body: { text: "{{input.text}}" } }
                  - id: summarise
                    model:
                      prompt: prompts/echo.mustache
                      route: [primary]
                      timeout: 2s
                    output:
                      schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                    retry: { attempts: 1 }
                """);
    }

    private static JsonNode reviewOf(String jobId) {
        for (JsonNode r : node.http.get("/v1/reviews?limit=500", KEY).json().path("reviews")) {
            if (r.path("job_id").asString().equals(jobId)) {
                return r;
            }
        }
        throw new AssertionError("no review for " + jobId);
    }

    private static String awaitStatus(String jobId, String status) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> node.http.get("/v1/jobs/" + jobId, KEY).json().path("status").asString().equals(status));
        return jobId;
    }

    @Test
    void aReadCallRunsWithTheJobsIdempotencyKeyAndItsAnswerIsTheResult() {
        int before = crm.effects();
        String id = node.http.post("/v1/test/tool-read", KEY, "{\"customer\": \"c42\"}").json().path("id").asString();
        JsonNode job = node.awaitTerminal(id);
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(job.path("result").path("path").asString()).isEqualTo("/customers/c42");
        assertThat(job.path("result").path("method").asString()).isEqualTo("GET");
        assertThat(job.path("provenance").path("provider").asString()).isEqualTo("tool");
        assertThat(crm.effects()).isEqualTo(before + 1);
        FakeToolServer.Request sent = crm.requests().stream().filter(r -> (id + "/lookup").equals(r.idempotencyKey())).findFirst().orElseThrow();
        assertThat(sent.authorization()).isEqualTo("Bearer crm-secret-token");
        List<String> events = node.http.get("/v1/jobs/" + id + "/events", KEY).json().path("events").findValuesAsString("type");
        assertThat(events).containsSubsequence("processing", "tool_started", "completed");
        JsonNode audit = node.http.get("/v1/admin/audit?job=" + id + "&action=tool.called", TestNode.ADMIN_KEY).json().path("records");
        assertThat(audit.size()).isEqualTo(1);
        assertThat(audit.get(0).path("details").path("idempotency_key").asString()).isEqualTo(id + "/lookup");
        assertThat(audit.toString()).doesNotContain("crm-secret-token");
    }

    @Test
    void aDraftIsProposedNotMade() {
        int before = crm.effects();
        String id = node.http.post("/v1/test/tool-draft", KEY, "{\"text\": \"Customer asked for a callback.\"}").json().path("id").asString();
        JsonNode job = node.awaitTerminal(id);
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(job.path("result_type").asString()).isEqualTo("draft");
        JsonNode request = job.path("result").path("request");
        assertThat(request.path("method").asString()).isEqualTo("POST");
        assertThat(request.path("url").asString()).isEqualTo(crm.baseUrl() + "/notes");
        assertThat(request.path("body").path("source").asString()).isEqualTo("mainstay");
        assertThat(request.path("body").path("text").asString()).isNotEmpty();
        assertThat(job.path("result").path("applied").asBoolean()).isFalse();
        assertThat(crm.effects()).isEqualTo(before);
    }

    @Test
    void anExecuteCallWaitsForApprovalThenHappensExactlyOnceEvenWhenReplayed() {
        String id = node.http.post("/v1/test/tool-execute", KEY, "{\"customer\": \"c7\", \"amount\": 30}").json().path("id").asString();
        awaitStatus(id, "waiting_for_review");
        String key = id + "/refund";
        assertThat(crm.requestsWithKey(key)).as("nothing is called before a person approves").isZero();
        JsonNode review = reviewOf(id);
        assertThat(review.path("reason").asString()).startsWith("approval_required");
        assertThat(review.path("proposed").path("body").path("amount").asInt()).isEqualTo(30);
        assertProblem(node.http.post("/v1/reviews/" + review.path("id").asString() + "/decision", KEY,
                "{\"decision\": \"edit\", \"output\": {\"amount\": 3000}}"), 409, "invalid_state");

        assertThat(node.http.post("/v1/reviews/" + review.path("id").asString() + "/decision", KEY, "{\"decision\": \"approve\"}").status()).isEqualTo(200);
        JsonNode job = node.awaitTerminal(id);
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(job.path("result").path("received").path("amount").asInt()).isEqualTo(30);
        assertThat(crm.requestsWithKey(key)).isEqualTo(1);
        JsonNode audit = node.http.get("/v1/admin/audit?job=" + id + "&action=tool.called", TestNode.ADMIN_KEY).json().path("records");
        assertThat(audit.get(0).path("details").path("approved_by").asString()).startsWith("key_demo_");

        assertProblem(node.http.post("/v1/jobs/" + id + "/replay", KEY, null), 409, "invalid_state");
        assertThat(crm.requestsWithKey(key)).isEqualTo(1);
    }

    @Test
    void aRejectedExecuteCallIsNeverMade() {
        String id = node.http.post("/v1/test/tool-execute", KEY, "{\"customer\": \"c8\", \"amount\": 99999}").json().path("id").asString();
        awaitStatus(id, "waiting_for_review");
        node.http.post("/v1/reviews/" + reviewOf(id).path("id").asString() + "/decision", KEY, "{\"decision\": \"reject\", \"note\": \"too much\"}");
        JsonNode job = node.awaitTerminal(id);
        assertThat(job.path("status").asString()).isEqualTo("failed");
        assertThat(job.path("error").path("code").asString()).isEqualTo("review_rejected");
        assertThat(crm.requestsWithKey(id + "/refund")).isZero();
    }

    @Test
    void aReplayAfterALaterStageFailedDoesNotCallTheToolAgain() {
        fake.script(FaultScript.perJob(Fault.status(503), Fault.ok()));
        try {
            String id = node.http.post("/v1/test/tool-then-model", KEY, "{\"text\": \"Record then summarise.\"}").json().path("id").asString();
            JsonNode failed = node.awaitTerminal(id);
            assertThat(failed.path("status").asString()).isEqualTo("failed");
            assertThat(crm.requestsWithKey(id + "/record")).isEqualTo(1);
            assertThat(failed.path("dead_letter").asBoolean()).isTrue();
            assertThat(node.http.post("/v1/jobs/" + id + "/replay", KEY, null).status()).isEqualTo(202);
            assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
            assertThat(crm.requestsWithKey(id + "/record")).isEqualTo(1);
        } finally {
            fake.script(FaultScript.none());
        }
    }

    @Test
    void failuresAreRetriedWithTheSameKeyThenFailTheJobAndAReplayMakesOneEffect() {
        crm.fail(new FakeToolServer.Fault.Status(503), new FakeToolServer.Fault.Status(502), new FakeToolServer.Fault.Status(500));
        String id = node.http.post("/v1/test/tool-read", KEY, "{\"customer\": \"flaky\"}").json().path("id").asString();
        JsonNode failed = node.awaitTerminal(id);
        assertThat(failed.path("status").asString()).isEqualTo("failed");
        assertThat(failed.path("error").path("code").asString()).isEqualTo("tool_failed");
        assertThat(failed.path("error").path("message").asString()).contains("HTTP 500").contains("after 3 attempts");
        assertThat(failed.path("dead_letter").asBoolean()).isTrue();
        assertThat(crm.requestsWithKey(id + "/lookup")).isEqualTo(3);

        int before = crm.effects();
        assertThat(node.http.post("/v1/jobs/" + id + "/replay", KEY, null).status()).isEqualTo(202);
        assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
        assertThat(crm.effects()).isEqualTo(before + 1);
    }

    @Test
    void aCallThatTimesOutAfterItsEffectOrLosesItsConnectionIsRetriedWithTheSameKeyAndMakesOneEffect() {
        int before = crm.effects();
        crm.fail(new FakeToolServer.Fault.Drop(), new FakeToolServer.Fault.HangAfterEffect());
        String id = node.http.post("/v1/test/tool-read", KEY, "{\"customer\": \"slow\"}").json().path("id").asString();
        JsonNode done = node.awaitTerminal(id);
        assertThat(done.path("status").asString()).isEqualTo("completed");
        assertThat(done.path("result").path("path").asString()).isEqualTo("/customers/slow");
        assertThat(crm.requestsWithKey(id + "/lookup")).isEqualTo(3);
        assertThat(crm.effects()).isEqualTo(before + 1);
    }

    @Test
    void aToolOnAPrivateAddressOrAnUnknownToolIsRefusedAtStart(@TempDir Path other) throws Exception {
        TestNode.Setup setup = withTools(TestNode.in(other).provider(fake.baseUrl()), crm);
        Path config = setup.write();
        Files.writeString(config, Files.readString(config).replace("    allow_private: true\n", ""));
        Map<String, String> env = setup.environment();
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(config), env))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tools.crm.base_url")
                .hasMessageContaining("loopback")
                .hasMessageContaining("allow_private");
        Files.writeString(config, Files.readString(config).replace("  crm:\n", "  crm:\n    allow_private: true\n"));
        Files.writeString(other.resolve("workflows/test/tool-read.yaml"), Files.readString(other.resolve("workflows/test/tool-read.yaml")).replace("name: crm", "name: billing"));
        assertThatThrownBy(() -> MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tool-read.yaml")
                .hasMessageContaining("unknown tool 'billing'")
                .hasMessageContaining("crm");
    }

    @Test
    void aToolsHostIsResolvedBeforeEveryCallNotWhenTheConfigurationLoads(@TempDir Path other) throws Exception {
        // The machine's own name resolves through the hosts file to a loopback or private address on
        // nearly every system: a name the configuration cannot judge, that the call-time guard must.
        String host = java.net.InetAddress.getLocalHost().getHostName();
        org.assertj.core.api.Assumptions.assumeThat(java.util.Arrays.stream(java.net.InetAddress.getAllByName(host))
                .map(dev.mainstay.net.OutboundGuard::restricted)).doesNotContainNull();
        TestNode.Setup setup = withTools(TestNode.in(other).provider(fake.baseUrl()), crm);
        for (String tool : List.of("named", "nowhere")) {
            setup.workflow("test/tool-" + tool, """
                    workflow: test/tool-%s
                    version: 1
                    input: { type: object, properties: { customer: { type: string } } }
                    stages:
                      - id: lookup
                        tool: { name: %s, method: GET, path: "/customers/{{input.customer}}", scope: read }
                    """.formatted(tool, tool));
        }
        Path config = setup.write();
        Files.writeString(config, Files.readString(config).replace("tools:\n", """
                tools:
                  named:
                    base_url: http://%s:%d
                  nowhere:
                    base_url: https://crm.example.invalid/api
                """.formatted(host, crm.baseUrl().getPort())));
        try (TestNode second = TestNode.start(other, config, ENV)) {
            String named = second.http.post("/v1/test/tool-named", KEY, "{\"customer\": \"c1\"}").json().path("id").asString();
            String nowhere = second.http.post("/v1/test/tool-nowhere", KEY, "{\"customer\": \"c1\"}").json().path("id").asString();
            JsonNode refused = second.awaitTerminal(named);
            assertThat(refused.path("status").asString()).isEqualTo("failed");
            assertThat(refused.path("error").path("code").asString()).isEqualTo("tool_failed");
            assertThat(refused.path("error").path("message").asString())
                    .startsWith("tool 'named' was not called: '" + host + "' resolves to ").contains("allow_private");
            assertThat(crm.requestsWithKey(named + "/lookup")).as("the guard refused before anything was sent").isZero();
            JsonNode unresolved = second.awaitTerminal(nowhere);
            assertThat(unresolved.path("error").path("message").asString())
                    .isEqualTo("tool 'nowhere' was not called: the host 'crm.example.invalid' does not resolve");
        }
    }
}
