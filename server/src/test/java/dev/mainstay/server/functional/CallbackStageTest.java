package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeToolServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Callback tool stages over real HTTP: the tool is sent a callback URL with a single-use token, the
 * job waits in {@code waiting_for_tool}, and the result posted to that URL resumes it once.
 */
class CallbackStageTest {
    static final String KEY = TestNode.DEMO_KEY;
    static final FakeToolServer transcriber = FakeToolServer.start();

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup.section("""
            tools:
              transcriber:
                base_url: %s
                timeout: 2s
                allow_private: true
            """.formatted(transcriber.baseUrl())).workflow("test/callback", """
            workflow: test/callback
            version: 1
            latency: async
            input: { type: object, required: [text], properties: { text: { type: string } } }
            stages:
              - id: transcribe
                tool:
                  name: transcriber
                  path: /transcriptions
                  scope: read
                  mode: callback
                  timeout: 10m
                  body: { audio: "{{input.text}}" }
                  result: { type: object, required: [transcript], properties: { transcript: { type: string, minLength: 1 } } }
              - id: summarise
                model:
                  prompt: prompts/echo.mustache
                  route: [primary]
                output:
                  schema: { type: object, required: [summary], properties: { summary: { type: string } } }
            """).workflow("test/callback-short", """
            workflow: test/callback-short
            version: 1
            latency: async
            input: { type: object, required: [text], properties: { text: { type: string } } }
            stages:
              - id: transcribe
                tool: { name: transcriber, path: /transcriptions, scope: read, mode: callback, timeout: 2s, body: { audio: "{{input.text}}" } }
            """));

    @AfterAll
    static void stopTool() {
        transcriber.close();
    }

    private static String submit(String workflow, String text) {
        Http.Response r = node.http.post("/v1/" + workflow, KEY, Json.write(Json.object().put("text", text)));
        assertThat(r.status()).as(r.text()).isEqualTo(202);
        return r.json().path("id").asString();
    }

    private static String awaitStatus(String job, String status) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> node.http.get("/v1/jobs/" + job, KEY).json().path("status").asString().equals(status));
        return job;
    }

    /** The callback URL the tool was sent for {@code job}. */
    private static URI callbackUrl(String job) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> transcriber.requests().stream().anyMatch(r -> r.idempotencyKey().startsWith(job + "/")));
        FakeToolServer.Request sent = transcriber.requests().stream().filter(r -> r.idempotencyKey().startsWith(job + "/")).findFirst().orElseThrow();
        return URI.create(Json.parse(sent.body()).path("callback_url").asString());
    }

    private static Http.Response callback(URI url, String body) {
        return node.http.post(url.getPath(), null, body);
    }

    @Test
    void aCallbackResumesItsJobOnceAndARepeatIsAcknowledgedAndIgnored() {
        String job = submit("test/callback", "an interview recording");
        awaitStatus(job, "waiting_for_tool");
        URI url = callbackUrl(job);
        assertThat(url.getPath()).matches("/v1/callbacks/cb[0-9a-f]{64}");
        assertThat(transcriber.requestsWithKey(job + "/transcribe")).isEqualTo(1);

        Http.Response invalid = callback(url, "{\"transcript\": \"\"}");
        assertThat(invalid.status()).as(invalid.text()).isEqualTo(400);
        assertThat(invalid.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/transcript");
        assertThat(node.http.get("/v1/jobs/" + job, KEY).json().path("status").asString()).isEqualTo("waiting_for_tool");

        Http.Response taken = callback(url, "{\"transcript\": \"We ship on Friday.\"}");
        assertThat(taken.status()).as(taken.text()).isEqualTo(200);
        assertThat(taken.json().path("accepted").asBoolean()).isTrue();
        JsonNode done = node.awaitTerminal(job);
        assertThat(done.path("status").asString()).isEqualTo("completed");

        Http.Response again = callback(url, "{\"transcript\": \"Something else entirely.\"}");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("duplicate").asBoolean()).isTrue();
        JsonNode events = node.http.get("/v1/jobs/" + job + "/events", KEY).json().path("events");
        assertThat(events.findValuesAsString("type").stream().filter("callback_received"::equals)).hasSize(1);
        assertThat(transcriber.requestsWithKey(job + "/transcribe")).as("the tool was called once").isEqualTo(1);
    }

    @Test
    void forgedAndExpiredTokensAreRefusedWithProblems() {
        String job = submit("test/callback-short", "a recording nobody transcribes");
        URI url = callbackUrl(job);
        String token = url.getPath().substring("/v1/callbacks/".length());
        String forged = token.substring(0, 10) + (token.charAt(10) == 'a' ? 'b' : 'a') + token.substring(11);
        Http.Response refused = node.http.post("/v1/callbacks/" + forged, null, "{\"transcript\": \"x\"}");
        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.code()).isEqualTo("not_found");
        assertThat(node.http.post("/v1/callbacks/cb0000", null, "{}").status()).isEqualTo(404);

        // No callback within the stage's 2 s: the stage fails as a tool that did not answer.
        JsonNode failed = node.awaitTerminal(job);
        assertThat(failed.path("status").asString()).isEqualTo("failed");
        assertThat(failed.path("error").path("code").asString()).isEqualTo("tool_failed");
        assertThat(failed.path("error").path("message").asString()).contains("did not call back");
        Http.Response late = callback(url, "{\"transcript\": \"too late\"}");
        assertThat(late.status()).isEqualTo(409);
        assertThat(late.code()).isEqualTo("invalid_state");
        assertThat(node.http.get("/v1/jobs/" + job, KEY).json().path("status").asString()).isEqualTo("failed");
        assertThat(List.of(late.json().path("detail").asString())).allSatisfy(d -> assertThat(d).contains(job));
    }
}
