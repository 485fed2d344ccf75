package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.RecordedRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/** A route to an Anthropic provider, configured by file, through the whole node to the fake's Messages endpoint. */
class AnthropicRouteTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start((setup, fake) -> setup.env("TEST_ANTHROPIC_KEY", "sk-ant-servertest").config("""
            providers:
              claude:
                kind: anthropic
                base_url: %s
                api_key_env: TEST_ANTHROPIC_KEY
            routes:
              primary: [claude/claude-haiku-4-5]
              small: [claude/claude-haiku-4-5]
            engine:
              lease: 2s
              shutdown_grace: 1s
            """.formatted(fake.anthropicBaseUrl())));
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;

    @Test
    void extractKeyPointsCompletesThroughAnthropicAfterARetriedOverload() {
        fake.script(FaultScript.perJob(Fault.status(529)));
        Http.Response r = node.http.post("/v1/briefs/extract-key-points", KEY,
                "{\"document\": \"Mainstay keeps jobs durable. Retries are bounded. Results carry provenance.\", \"max_points\": 2}");
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        String id = r.json().path("id").asString();
        JsonNode job = node.awaitTerminal(id);

        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("completed");
        assertThat(job.path("result").path("points").get(0).asString()).isEqualTo("Mainstay keeps jobs durable.");
        assertThat(job.path("provenance").path("provider").asString()).isEqualTo("claude");
        assertThat(job.path("provenance").path("model").asString()).isEqualTo("claude-haiku-4-5-fake-0001");
        assertThat(job.path("provenance").path("validation").asString()).isEqualTo("passed");
        assertThat(job.path("usage").path("input_tokens").asLong()).isPositive();
        assertThat(job.path("stages").get(0).path("attempts").asInt()).isEqualTo(2);

        JsonNode events = node.http.get("/v1/jobs/" + id + "/events", KEY).json().path("events");
        List<String> retryCodes = events.valueStream().filter(e -> e.path("type").asString().equals("retry_scheduled"))
                .map(e -> e.path("data").path("code").asString()).toList();
        assertThat(retryCodes).containsExactly("provider_unavailable");

        List<RecordedRequest> calls = fake.requests().stream().filter(c -> c.job().equals(id)).toList();
        assertThat(calls).extracting(RecordedRequest::answeredWith).containsExactly(Fault.Kind.STATUS, Fault.Kind.OK);
        assertThat(calls).allSatisfy(c -> {
            assertThat(c.path()).isEqualTo("/v1/messages");
            assertThat(c.headers()).containsEntry("x-api-key", "sk-ant-servertest").containsEntry("anthropic-version", "2023-06-01");
            assertThat(c.stage()).isEqualTo("extract");
            assertThat(c.body().path("tool_choice").path("name").asString()).isEqualTo("respond");
            assertThat(c.body().path("system").asString()).isNotBlank();
        });
    }
}
