package dev.mainstay.server.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.tracing.JobTracer;
import dev.mainstay.tracing.SpanNames;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.tracing.TraceSpan;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtelTracerTest {
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build();
    private final OtelTracer tracer = new OtelTracer(sdk);

    @Test
    void aClientsTraceparentParentsTheSubmitAndTheStoredContextParentsEveryLaterSpan() {
        TraceContext incoming = TraceContext.fromHeaders("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=abc");
        TraceSpan submit = tracer.start(SpanNames.SUBMIT, JobTracer.Kind.SERVER, incoming, Map.of(SpanNames.WORKFLOW, "leads/classify",
                SpanNames.WORKFLOW_VERSION, 1, SpanNames.JOB_ID, "job_1"));
        TraceContext stored = submit.context();
        submit.end();
        // What a node that never saw the submit does: it only has the stored strings.
        TraceContext reloaded = new TraceContext(stored.traceparent(), stored.tracestate());
        TraceSpan stage = tracer.start(SpanNames.STAGE, JobTracer.Kind.INTERNAL, reloaded, Map.of(SpanNames.STAGE_ID, "classify"));
        TraceSpan call = tracer.start(SpanNames.chat("gpt-4o-mini"), JobTracer.Kind.CLIENT, stage.context(),
                Map.of(SpanNames.GEN_AI_OPERATION, "chat", SpanNames.GEN_AI_SYSTEM, "openai", SpanNames.GEN_AI_REQUEST_MODEL, "gpt-4o-mini"));
        try (TraceContext.Scope s = call.enter()) {
            assertThat(TraceContext.current()).isEqualTo(call.context());
        }
        assertThat(TraceContext.current()).isEqualTo(TraceContext.NONE);
        call.set(SpanNames.GEN_AI_INPUT_TOKENS, 120L).set(SpanNames.GEN_AI_FINISH_REASONS, List.of("stop")).error("server_error", "503");
        call.end();
        stage.end();

        List<SpanData> spans = exporter.getFinishedSpanItems();
        assertThat(spans).hasSize(3);
        SpanData s = spans.get(0);
        SpanData st = spans.get(2);
        SpanData c = spans.get(1);
        assertThat(s.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(s.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
        assertThat(s.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(s.getSpanContext().getTraceState().get("vendor")).isEqualTo("abc");
        assertThat(s.getAttributes().get(AttributeKey.longKey(SpanNames.WORKFLOW_VERSION))).isEqualTo(1L);
        assertThat(st.getTraceId()).isEqualTo(s.getTraceId());
        assertThat(st.getParentSpanId()).isEqualTo(s.getSpanId());
        assertThat(c.getParentSpanId()).isEqualTo(st.getSpanId());
        assertThat(c.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(c.getName()).isEqualTo("chat gpt-4o-mini");
        assertThat(c.getAttributes().get(AttributeKey.longKey(SpanNames.GEN_AI_INPUT_TOKENS))).isEqualTo(120L);
        assertThat(c.getAttributes().get(AttributeKey.stringArrayKey(SpanNames.GEN_AI_FINISH_REASONS))).containsExactly("stop");
        assertThat(c.getAttributes().get(AttributeKey.stringKey(SpanNames.ERROR_TYPE))).isEqualTo("server_error");
        assertThat(c.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }

    @Test
    void withoutAClientContextTheSubmitStartsANewTrace() {
        TraceSpan submit = tracer.start(SpanNames.SUBMIT, JobTracer.Kind.SERVER, TraceContext.fromHeaders("not-a-traceparent", null), Map.of());
        submit.end();
        assertThat(exporter.getFinishedSpanItems().getFirst().getParentSpanId()).isEqualTo("0000000000000000");
        assertThat(submit.context().traceparent()).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    }

    @Test
    void invalidTraceparentsAreNoContext() {
        assertThat(TraceContext.fromHeaders("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null)).isEqualTo(TraceContext.NONE);
        assertThat(TraceContext.fromHeaders("00-00000000000000000000000000000000-00f067aa0ba902b7-01", null)).isEqualTo(TraceContext.NONE);
        assertThat(TraceContext.fromHeaders("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", null)).isEqualTo(TraceContext.NONE);
        assertThat(TraceContext.fromHeaders(null, "a=b")).isEqualTo(TraceContext.NONE);
    }

    @Test
    void tracingIsOffUnlessTheEnvironmentConfiguresAnExporter() {
        assertThat(OtelTracer.fromEnvironment(Map.of())).isSameAs(JobTracer.NONE);
        assertThat(OtelTracer.fromEnvironment(Map.of("OTEL_SERVICE_NAME", "x"))).isSameAs(JobTracer.NONE);
        assertThat(OtelTracer.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", "OTEL_SDK_DISABLED", "true")))
                .isSameAs(JobTracer.NONE);
        assertThat(OtelTracer.configured(Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"))).isFalse();
        assertThat(OtelTracer.configured(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"))).isTrue();
        assertThat(JobTracer.NONE.start("x", JobTracer.Kind.INTERNAL, TraceContext.NONE, Map.of())).isSameAs(TraceSpan.NONE);
    }
}
