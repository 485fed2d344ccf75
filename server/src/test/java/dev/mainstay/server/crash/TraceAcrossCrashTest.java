package dev.mainstay.server.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.OtlpReceiver;
import dev.mainstay.server.testing.OtlpReceiver.Received;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.RecordedRequest;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A job's trace survives the death of the node running it: the node, a process of its own
 * exporting over OTLP as the {@code OTEL_*} variables say, is SIGKILLed while the job's model
 * call is in flight; the restarted node takes the job back and its spans join the trace of the
 * submit, read from the job's stored context.
 */
class TraceAcrossCrashTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final String CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CLIENT_SPAN = "b7ad6b7169203331";

    @TempDir
    Path dir;

    @Test
    void aJobSigkilledMidCallContinuesItsTraceAfterTheRestart() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start();
             FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMinutes(10))))) {
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
            int port = TestNode.freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            Process server = TestNode.launchProcess(dir, config, port, receiver.env(), "trace-crash-server.log");
            try {
                Http.Response accepted = http.post("/v1/test/prompt", KEY, "{\"text\": \"Traced across a crash.\"}",
                        "traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01");
                assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
                String id = accepted.json().path("id").asString();
                // The call hangs in flight, and the submit's span has reached the collector.
                Awaitility.await("the call in flight").atMost(Duration.ofSeconds(60)).until(() -> fake.requestCount() >= 1);
                Awaitility.await("the submit span").atMost(Duration.ofSeconds(30))
                        .until(() -> receiver.job(id).stream().anyMatch(s -> s.name().equals("mainstay.submit")));
                List<Received> before = receiver.job(id);
                assertThat(before).extracting(Received::name).containsExactly("mainstay.submit");
                Received submit = before.getFirst();

                server.destroyForcibly().waitFor();
                fake.script(FaultScript.none());
                server = TestNode.launchProcess(dir, config, port, receiver.env(), "trace-crash-server.log");
                JsonNode job = TestNode.awaitTerminal(http, KEY, id);
                assertThat(job.path("status").asString()).as("%s", job.path("error")).isEqualTo("completed");

                Awaitility.await("the spans of the resumed run").atMost(Duration.ofSeconds(30)).until(() ->
                        receiver.job(id).stream().anyMatch(s -> s.name().equals("chat gpt-4o-mini") && !s.error())
                                && receiver.job(id).stream().anyMatch(s -> s.name().equals("mainstay.stage only")));
                List<Received> spans = receiver.job(id);
                // One trace, the client's, across both processes; the submit was recorded once.
                assertThat(spans).extracting(Received::traceId).containsOnly(CLIENT_TRACE);
                assertThat(spans).filteredOn(s -> s.name().equals("mainstay.submit")).containsExactly(submit);
                assertThat(submit.parentSpanId()).isEqualTo(CLIENT_SPAN);
                // The restarted node's stage span hangs under the submit, which it only knew from the store.
                Received stage = spans.stream().filter(s -> s.name().equals("mainstay.stage only")).reduce((a, b) -> b).orElseThrow();
                assertThat(stage.parentSpanId()).isEqualTo(submit.spanId());
                assertThat(stage.attributes()).containsEntry("mainstay.stage.outcome", "completed").containsEntry("mainstay.job.id", id);
                Received chat = spans.stream().filter(s -> s.name().equals("chat gpt-4o-mini") && !s.error()).findFirst().orElseThrow();
                assertThat(chat.parentSpanId()).isEqualTo(stage.spanId());
                assertThat(chat.attributes()).containsEntry("gen_ai.request.model", "gpt-4o-mini").containsKey("gen_ai.usage.output_tokens");

                // Both calls told the provider the trace: the one the kill cut off and the one after it.
                List<RecordedRequest> calls = fake.requests().stream().filter(r -> r.job().equals(id)).toList();
                assertThat(calls).hasSize(2);
                assertThat(calls).allSatisfy(r -> assertThat(r.headers().get("traceparent")).startsWith("00-" + CLIENT_TRACE + "-"));
                assertThat(calls.getLast().headers()).containsEntry("traceparent", "00-" + CLIENT_TRACE + "-" + chat.spanId() + "-01");
                assertThat(calls.getFirst().headers().get("traceparent")).isNotEqualTo(calls.getLast().headers().get("traceparent"));
            } finally {
                server.destroyForcibly().waitFor();
            }
        }
    }
}
