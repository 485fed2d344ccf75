package dev.mainstay.server.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FakeToolServer;
import dev.mainstay.testkit.FaultScript;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** A tool stage's effect survives a SIGKILL of the node exactly once: the repeat carries the same idempotency key. */
class ToolEffectCrashTest {
    private static final String KEY = TestNode.DEMO_KEY;

    @TempDir
    Path dir;

    @Test
    void sigkillWhileTheCallIsInFlightMakesNoSecondEffect() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none()); FakeToolServer tool = FakeToolServer.start()) {
            TestNode.Setup setup = TestNode.in(dir).provider(fake.baseUrl()).env("CRM_TOKEN", "Bearer crm-secret-token")
                    .section("""
                            tools:
                              crm:
                                base_url: %s
                                timeout: 2s
                                retries: 2
                                allow_private: true
                                headers: { Authorization: { env: CRM_TOKEN } }
                            """.formatted(tool.baseUrl()))
                    .workflow("test/tool-read", """
                            workflow: test/tool-read
                            version: 1
                            input: { type: object, required: [customer], properties: { customer: { type: string, pattern: "^[a-z0-9]+$" } } }
                            stages:
                              - id: lookup
                                tool: { name: crm, method: GET, path: "/customers/{{input.customer}}", scope: read }
                            """);
            int port = TestNode.freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            // The integration makes the effect, then the answer never arrives: the caller dies waiting.
            tool.fail(new FakeToolServer.Fault.HangAfterEffect());
            Process server = setup.launch(port, "tool-crash-server.log");
            try {
                String id = http.post("/v1/test/tool-read", KEY, "{\"customer\": \"crash\"}").json().path("id").asString();
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> tool.effects() == 1);
                assertThat(http.get("/v1/jobs/" + id, KEY).json().path("status").asString()).isEqualTo("waiting_for_tool");
                server.destroyForcibly().waitFor();

                server = setup.launch(port, "tool-crash-server.log");
                JsonNode job = TestNode.awaitTerminal(http, KEY, id);
                assertThat(job.path("status").asString()).isEqualTo("completed");
                assertThat(tool.requestsWithKey(id + "/lookup")).as("called again after the crash, with the same key").isEqualTo(2);
                assertThat(tool.effects()).as("one effect however often it was asked").isEqualTo(1);
                assertThat(job.path("result").path("id").asString()).isEqualTo("effect_1");
            } finally {
                server.destroyForcibly().waitFor();
            }
        }
    }
}
