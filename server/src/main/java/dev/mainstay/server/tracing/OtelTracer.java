package dev.mainstay.server.tracing;

import dev.mainstay.tracing.JobTracer;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.tracing.TraceSpan;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's trace in OpenTelemetry: each {@link TraceSpan} is an SDK span, parented on the W3C
 * context given (the client's {@code traceparent} for the submit, the job's stored context for
 * everything after), exported as the standard {@code OTEL_*} variables say (OTLP by default).
 */
public final class OtelTracer implements JobTracer, AutoCloseable {
    private static final String SCOPE = "dev.mainstay";
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<TraceContext> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(TraceContext carrier) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(TraceContext carrier, String key) {
            return carrier == null ? null : switch (key) {
                case "traceparent" -> carrier.traceparent();
                case "tracestate" -> carrier.tracestate();
                default -> null;
            };
        }
    };

    private final Tracer tracer;
    private final AutoCloseable owned;

    /** Traces into {@code otel}, which the caller owns (tests pass an SDK with an in-memory exporter). */
    public OtelTracer(OpenTelemetry otel) {
        this(otel, null);
    }

    private OtelTracer(OpenTelemetry otel, AutoCloseable owned) {
        this.tracer = otel.getTracer(SCOPE);
        this.owned = owned;
    }

    /**
     * The tracer the environment asks for: OpenTelemetry's SDK, configured by the standard
     * variables, when an exporter is configured ({@code OTEL_EXPORTER_OTLP_ENDPOINT},
     * {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, or {@code OTEL_TRACES_EXPORTER} other than
     * {@code none}) and {@code OTEL_SDK_DISABLED} is not {@code true}; else {@link JobTracer#NONE},
     * so that a node nobody asked to trace spends nothing on it.
     */
    public static JobTracer fromEnvironment(Map<String, String> env) {
        if (!configured(env)) {
            return JobTracer.NONE;
        }
        Map<String, String> defaults = new HashMap<>();
        defaults.put("otel.service.name", "mainstay");
        // Metrics are Prometheus's, logs are the node's own lines: only traces are exported.
        defaults.put("otel.metrics.exporter", "none");
        defaults.put("otel.logs.exporter", "none");
        // OTLP over HTTP with protobuf, as the OTLP specification's default says (the Java SDK
        // would default to gRPC, whose transport is not shipped): a collector's port 4318.
        defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
        // The variables given win over these defaults; OpenTelemetry reads the process's own
        // environment too, and a variable set there wins over both.
        env.forEach((k, v) -> {
            if (k.startsWith("OTEL_")) {
                defaults.put(k.toLowerCase(java.util.Locale.ROOT).replace('_', '.'), v);
            }
        });
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder().addPropertiesSupplier(() -> defaults).disableShutdownHook().build()
                .getOpenTelemetrySdk();
        return new OtelTracer(sdk, sdk);
    }

    static boolean configured(Map<String, String> env) {
        if ("true".equalsIgnoreCase(env.getOrDefault("OTEL_SDK_DISABLED", "").strip())) {
            return false;
        }
        String exporter = env.getOrDefault("OTEL_TRACES_EXPORTER", "").strip();
        if (!exporter.isEmpty()) {
            return !exporter.equalsIgnoreCase("none");
        }
        return !env.getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "").isBlank() || !env.getOrDefault("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").isBlank();
    }

    @Override
    public TraceSpan start(String name, Kind kind, TraceContext parent, Map<String, Object> attributes) {
        return start(name, kind, parent, attributes, null);
    }

    @Override
    public TraceSpan start(String name, Kind kind, TraceContext parent, Map<String, Object> attributes, Instant startedAt) {
        Context parentContext = parent.present() ? W3C.extract(Context.root(), parent, GETTER) : Context.root();
        SpanBuilder b = tracer.spanBuilder(name).setParent(parentContext).setSpanKind(switch (kind) {
            case INTERNAL -> SpanKind.INTERNAL;
            case CLIENT -> SpanKind.CLIENT;
            case SERVER -> SpanKind.SERVER;
        });
        if (startedAt != null) {
            b.setStartTimestamp(startedAt);
        }
        OtelSpan span = new OtelSpan(b.startSpan());
        attributes.forEach(span::set);
        return span;
    }

    /** Flushes what is buffered and stops exporting. */
    @Override
    public void close() {
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                // Shutting down: an exporter that cannot flush loses its last spans, nothing more.
            }
        }
    }

    private static final class OtelSpan implements TraceSpan {
        private final Span span;
        private TraceContext context;

        OtelSpan(Span span) {
            this.span = span;
        }

        @Override
        public TraceContext context() {
            if (context == null) {
                Map<String, String> headers = new HashMap<>();
                W3C.inject(Context.root().with(span), headers, Map::put);
                context = new TraceContext(headers.get("traceparent"), headers.get("tracestate"));
            }
            return context;
        }

        @Override
        public TraceSpan set(String key, Object value) {
            switch (value) {
                case null -> {
                }
                case String s -> span.setAttribute(key, s);
                case Long l -> span.setAttribute(key, l);
                case Integer i -> span.setAttribute(key, i.longValue());
                case Double d -> span.setAttribute(key, d);
                case Boolean b -> span.setAttribute(key, b);
                case List<?> list -> span.setAttribute(AttributeKey.stringArrayKey(key), list.stream().map(String::valueOf).toList());
                default -> span.setAttribute(key, value.toString());
            }
            return this;
        }

        @Override
        public void error(String type, String description) {
            span.setAttribute("error.type", type);
            span.setStatus(StatusCode.ERROR, description);
        }

        @Override
        public void end() {
            span.end();
        }

        @Override
        public void end(Instant at) {
            span.end(at);
        }
    }
}
