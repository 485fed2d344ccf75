package dev.mainstay.server.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.OtlpReceiver;
import dev.mainstay.server.testing.OtlpReceiver.Received;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.FakeToolServer;
import dev.mainstay.testkit.RecordedRequest;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A job's trace as a collector receives it: a node whose tracer is what the standard
 * {@code OTEL_*} variables configure exports over OTLP/HTTP to a receiver on loopback, which
 * decodes the protobuf. One trace per job, the submit at its root (or under the client's span),
 * a span per stage step, per model call with the GenAI attributes, per fallback rung.
 */
class JobTracesTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";

    @TempDir
    static Path dir;
    static OtlpReceiver receiver;
    static FakeProvider fake;
    static FakeToolServer crm;
    static TestNode node;

    @BeforeAll
    static void start() {
        receiver = OtlpReceiver.start();
        fake = FakeProvider.start(FaultScript.none());
        crm = FakeToolServer.start();
        node = TestNode.in(dir).provider(fake.baseUrl())
                .section("""
                        tools:
                          crm:
                            base_url: %s
                            timeout: 2s
                            allow_private: true
                        """.formatted(crm.baseUrl()))
                .workflow("test/tool-execute", """
                        workflow: test/tool-execute
                        version: 1
                        input: { type: object, required: [customer, amount], properties: { customer: { type: string }, amount: { type: integer } } }
                        stages:
                          - id: refund
                            tool: { name: crm, path: /refunds, scope: execute, body: { customer: "{{input.customer}}", amount: "{{input.amount}}" } }
                        """)
                .workflow("test/laddered", """
                        workflow: test/laddered
                        version: 1
                        latency: wait
                        input:
                          type: object
                          required: [document]
                          properties:
                            document: { type: string, minLength: 1 }
                            max_points: { type: integer, default: 2 }
                        stages:
                          - id: extract
                            model:
                              prompt: prompts/echo-document.mustache
                              route: [primary]
                              timeout: 2s
                            output:
                              schema:
                                type: object
                                required: [points, confidence]
                                properties:
                                  points: { type: array, minItems: 1, items: { type: string } }
                                  confidence: { type: number, minimum: 0, maximum: 1 }
                            retry: { attempts: 1 }
                        fallback: [cached, { rules: extractive-summary }]
                        """)
                .file("prompts/echo-document.mustache", "Summarise.\n<document>\n{{input.document}}\n</document>\n")
                .start(Clock.systemUTC(), OtelTracer.fromEnvironment(receiver.env()));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        fake.close();
        crm.close();
        receiver.close();
    }

    private static JsonNode run(String workflow, String body, FaultScript script, String... headers) {
        fake.script(script);
        Http.Response r = node.http.post("/v1/" + workflow, KEY, body, headers);
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        return node.awaitTerminal(r.json().path("id").asString());
    }

    /** Waits until the job's spans include one that each of {@code expected} accepts, and returns them all. */
    @SafeVarargs
    private static List<Received> spans(String jobId, Predicate<Received>... expected) {
        Awaitility.await("spans of " + jobId).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> List.of(expected).stream().allMatch(p -> receiver.job(jobId).stream().anyMatch(p)));
        return receiver.job(jobId);
    }

    private static Predicate<Received> named(String name) {
        return s -> s.name().equals(name);
    }

    private static Received only(List<Received> spans, String name) {
        List<Received> found = spans.stream().filter(named(name)).toList();
        assertThat(found).as("spans named '%s' among %s", name, spans.stream().map(Received::name).toList()).hasSize(1);
        return found.getFirst();
    }

    private static List<Received> all(List<Received> spans, String name) {
        return spans.stream().filter(named(name)).toList();
    }

    /** What every span of a job carries, and that it is all one trace. */
    private static void oneTrace(List<Received> spans, String jobId, String workflow) {
        assertThat(spans).extracting(Received::traceId).containsOnly(spans.getFirst().traceId());
        for (Received s : spans) {
            assertThat(s.attributes()).as(s.name()).containsEntry("mainstay.workflow", workflow).containsEntry("mainstay.workflow.version", 1L)
                    .containsEntry("mainstay.job.id", jobId);
            assertThat(s.service()).isEqualTo("mainstay-test");
        }
    }

    @Test
    void aSuccessfulJobIsOneTraceUnderTheClientsSpanWithGenAiAttributesAndNoContent() {
        String text = "Tracing must never carry this sentence.";
        JsonNode job = run("test/echo", "{\"text\": \"" + text + "\"}", FaultScript.none(),
                "traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01", "tracestate", "vendor=abc");
        assertThat(job.path("status").asString()).isEqualTo("completed");
        String id = job.path("id").asString();
        List<Received> spans = spans(id, named("mainstay.submit"), named("mainstay.stage echo"), named("chat gpt-4o-mini"));
        assertThat(spans).hasSize(3);
        oneTrace(spans, id, "test/echo");

        Received submit = only(spans, "mainstay.submit");
        Received stage = only(spans, "mainstay.stage echo");
        Received chat = only(spans, "chat gpt-4o-mini");
        // The client's traceparent is the submit's parent: the job joins the caller's trace.
        assertThat(submit.traceId()).isEqualTo(CLIENT_TRACE);
        assertThat(submit.parentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(submit.kind()).isEqualTo(SpanKind.SPAN_KIND_SERVER);
        assertThat(stage.parentSpanId()).isEqualTo(submit.spanId());
        assertThat(stage.attributes()).containsEntry("mainstay.stage.id", "echo").containsEntry("mainstay.attempt", 1L)
                .containsEntry("mainstay.stage.outcome", "completed");
        assertThat(stage.error()).isFalse();

        assertThat(chat.parentSpanId()).isEqualTo(stage.spanId());
        assertThat(chat.kind()).isEqualTo(SpanKind.SPAN_KIND_CLIENT);
        assertThat(chat.attributes())
                .containsEntry("gen_ai.operation.name", "chat")
                .containsEntry("gen_ai.provider.name", "fake")
                .containsEntry("gen_ai.system", "fake")
                .containsEntry("gen_ai.request.model", "gpt-4o-mini")
                .containsEntry("gen_ai.response.model", job.path("provenance").path("model").asString())
                .containsEntry("gen_ai.usage.input_tokens", job.path("usage").path("input_tokens").asLong())
                .containsEntry("gen_ai.usage.output_tokens", job.path("usage").path("output_tokens").asLong())
                .containsEntry("gen_ai.response.finish_reasons", List.of("stop"))
                .doesNotContainKey("error.type");
        assertThat(chat.number("gen_ai.usage.input_tokens")).isPositive();

        // The provider was told the call's span: its traceparent names the chat span.
        List<RecordedRequest> calls = fake.requests().stream().filter(r -> r.job().equals(id)).toList();
        assertThat(calls).hasSize(1);
        assertThat(calls.getFirst().headers()).containsEntry("traceparent", "00-" + CLIENT_TRACE + "-" + chat.spanId() + "-01")
                .containsEntry("tracestate", "vendor=abc");

        // Never the prompt or the answer.
        String answer = job.path("result").path("summary").asString();
        for (Received s : spans) {
            for (Object v : s.attributes().values()) {
                assertThat(String.valueOf(v)).doesNotContain(text).doesNotContain("Summarise");
                if (!answer.isBlank()) {
                    assertThat(String.valueOf(v)).doesNotContain(answer);
                }
            }
        }
    }

    @Test
    void aJobSubmittedWithoutTraceparentStartsATraceOfItsOwn() {
        JsonNode a = run("test/echo", "{\"text\": \"First of two.\"}", FaultScript.none());
        JsonNode b = run("test/echo", "{\"text\": \"Second of two.\"}", FaultScript.none(), "traceparent", "not-a-traceparent");
        Received submitA = only(spans(a.path("id").asString(), named("mainstay.submit")), "mainstay.submit");
        Received submitB = only(spans(b.path("id").asString(), named("mainstay.submit")), "mainstay.submit");
        // A malformed traceparent is no context, as the W3C recommendation asks: a root span, not a 400.
        assertThat(submitA.parentSpanId()).isEmpty();
        assertThat(submitB.parentSpanId()).isEmpty();
        assertThat(submitA.traceId()).isNotEqualTo(submitB.traceId());
    }

    @Test
    void aRetriedJobHasAStageSpanPerAttemptInTheSameTrace() {
        JsonNode job = run("test/echo", "{\"text\": \"Retry me once.\"}", FaultScript.perJob(Fault.status(503), Fault.ok()));
        assertThat(job.path("status").asString()).isEqualTo("completed");
        String id = job.path("id").asString();
        List<Received> spans = spans(id, named("mainstay.submit"), s -> s.name().equals("mainstay.stage echo") && Long.valueOf(2).equals(s.attributes().get("mainstay.attempt")),
                s -> s.name().equals("chat gpt-4o-mini") && !s.error());
        oneTrace(spans, id, "test/echo");
        Received submit = only(spans, "mainstay.submit");
        List<Received> stages = all(spans, "mainstay.stage echo");
        assertThat(stages).hasSize(2).allSatisfy(s -> assertThat(s.parentSpanId()).isEqualTo(submit.spanId()));
        Received first = stages.stream().filter(s -> s.number("mainstay.attempt") == 1).findFirst().orElseThrow();
        Received second = stages.stream().filter(s -> s.number("mainstay.attempt") == 2).findFirst().orElseThrow();
        assertThat(first.attributes()).containsEntry("mainstay.stage.outcome", "retry").containsEntry("error.type", "provider_unavailable");
        assertThat(first.error()).isTrue();
        assertThat(second.attributes()).containsEntry("mainstay.stage.outcome", "completed");

        List<Received> chats = all(spans, "chat gpt-4o-mini");
        assertThat(chats).hasSize(2);
        Received failed = chats.stream().filter(Received::error).findFirst().orElseThrow();
        Received answered = chats.stream().filter(c -> !c.error()).findFirst().orElseThrow();
        assertThat(failed.parentSpanId()).isEqualTo(first.spanId());
        assertThat(failed.attributes()).containsEntry("error.type", "server_error").doesNotContainKey("gen_ai.response.model");
        assertThat(answered.parentSpanId()).isEqualTo(second.spanId());
        assertThat(answered.attributes()).containsKey("gen_ai.response.model").containsEntry("gen_ai.usage.output_tokens",
                job.path("usage").path("output_tokens").asLong());
    }

    @Test
    void aLadderRescueHasASpanPerRungUnderTheStageThatFailed() {
        JsonNode job = run("test/laddered", "{\"document\": \"Refunds take five days. Refunds need a receipt. Receipts are emailed.\"}",
                FaultScript.always(Fault.refusal()));
        assertThat(job.path("status").asString()).isEqualTo("degraded");
        assertThat(job.path("result_type").asString()).isEqualTo("fallback");
        String id = job.path("id").asString();
        List<Received> spans = spans(id, named("mainstay.submit"), named("mainstay.stage extract"), named("mainstay.fallback cached"),
                named("mainstay.fallback rules:extractive-summary"));
        oneTrace(spans, id, "test/laddered");
        Received stage = only(spans, "mainstay.stage extract");
        assertThat(stage.parentSpanId()).isEqualTo(only(spans, "mainstay.submit").spanId());
        assertThat(stage.attributes()).containsEntry("mainstay.stage.outcome", "rescued").containsEntry("error.type", "provider_refused");

        Received chat = only(spans, "chat gpt-4o-mini");
        assertThat(chat.parentSpanId()).isEqualTo(stage.spanId());
        assertThat(chat.attributes()).containsEntry("error.type", "refused").containsEntry("gen_ai.response.finish_reasons", List.of("content_filter"));

        Received cached = only(spans, "mainstay.fallback cached");
        Received rules = only(spans, "mainstay.fallback rules:extractive-summary");
        assertThat(List.of(cached, rules)).allSatisfy(r -> assertThat(r.parentSpanId()).isEqualTo(stage.spanId()));
        assertThat(cached.attributes()).containsEntry("mainstay.fallback.rung", "cached").containsEntry("mainstay.fallback.taken", false);
        assertThat(rules.attributes()).containsEntry("mainstay.fallback.rung", "rules:extractive-summary").containsEntry("mainstay.fallback.taken", true);
        assertThat(receiver.contentTypes()).contains("application/x-protobuf");
    }

    @Test
    void anApprovedToolCallHasItsReviewWaitAndItsCallInTheJobsTrace() {
        String id = node.http.post("/v1/test/tool-execute", KEY, "{\"customer\": \"c7\", \"amount\": 30}").json().path("id").asString();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> node.http.get("/v1/jobs/" + id, KEY).json().path("status").asString()
                .equals("waiting_for_review"));
        String review = node.http.get("/v1/reviews?limit=500", KEY).json().path("reviews").values().stream()
                .filter(r -> r.path("job_id").asString().equals(id)).findFirst().orElseThrow().path("id").asString();
        assertThat(node.http.post("/v1/reviews/" + review + "/decision", KEY, "{\"decision\": \"approve\"}").status()).isEqualTo(200);
        assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");

        List<Received> spans = spans(id, named("mainstay.submit"), named("mainstay.review"), named("mainstay.tool crm"),
                s -> s.name().equals("mainstay.stage refund") && "completed".equals(s.attributes().get("mainstay.stage.outcome")));
        oneTrace(spans, id, "test/tool-execute");
        Received submit = only(spans, "mainstay.submit");
        Received wait = only(spans, "mainstay.review");
        assertThat(wait.parentSpanId()).isEqualTo(submit.spanId());
        assertThat(wait.attributes()).containsEntry("mainstay.review.id", review).containsEntry("mainstay.review.decision", "approve")
                .containsEntry("mainstay.review.expired", false).containsEntry("mainstay.stage.id", "refund");
        assertThat(wait.endNanos()).isGreaterThanOrEqualTo(wait.startNanos());

        List<Received> stages = all(spans, "mainstay.stage refund");
        assertThat(stages).extracting(s -> s.attributes().get("mainstay.stage.outcome")).containsExactlyInAnyOrder("review", "completed");
        Received ran = stages.stream().filter(s -> "completed".equals(s.attributes().get("mainstay.stage.outcome"))).findFirst().orElseThrow();
        Received call = only(spans, "mainstay.tool crm");
        assertThat(call.kind()).isEqualTo(SpanKind.SPAN_KIND_CLIENT);
        assertThat(call.parentSpanId()).isEqualTo(ran.spanId());
        assertThat(call.attributes()).containsEntry("mainstay.tool.name", "crm").containsEntry("http.response.status_code", 200L);
        assertThat(call.error()).isFalse();
    }

    @Test
    void withoutOtelVariablesTheTracerIsTheNoOp() {
        assertThat(OtelTracer.fromEnvironment(Map.of())).isSameAs(dev.mainstay.tracing.JobTracer.NONE);
        assertThat(OtelTracer.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(), "OTEL_SDK_DISABLED", "true")))
                .isSameAs(dev.mainstay.tracing.JobTracer.NONE);
    }
}
