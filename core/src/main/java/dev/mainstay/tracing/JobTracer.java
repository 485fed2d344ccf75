package dev.mainstay.tracing;

import java.time.Instant;
import java.util.Map;

/**
 * Starts the spans of a job's trace: the submit, each stage, each model and tool call, each
 * review wait and fallback rung. A job's trace goes on across claims, restarts and nodes because
 * every span after the submit is started under the trace context stored with the job (W3C
 * {@code traceparent} and {@code tracestate}).
 *
 * <p>The server wires OpenTelemetry behind this interface when the standard {@code OTEL_*}
 * variables configure an exporter; otherwise it is {@link #NONE}, whose spans cost nothing.
 */
public interface JobTracer {
    /** Traces nothing: every span is {@link TraceSpan#NONE}. */
    JobTracer NONE = (name, kind, parent, attributes) -> TraceSpan.NONE;

    /** What a span stands for, as OpenTelemetry's span kinds say it. */
    enum Kind {
        INTERNAL,
        /** A call out of Mainstay: a model or a tool. */
        CLIENT,
        /** A request into Mainstay: the submit. */
        SERVER
    }

    /**
     * Starts a span.
     *
     * @param parent the trace context to continue; {@link TraceContext#NONE} starts a new trace
     * @param attributes strings, longs, doubles and booleans; never prompt or answer content
     */
    TraceSpan start(String name, Kind kind, TraceContext parent, Map<String, Object> attributes);

    /**
     * Starts a span that began earlier than now: a review's wait, which is recorded once a person
     * (or the expiry) decides, on whichever node that happens. Without an override the span
     * starts now.
     */
    default TraceSpan start(String name, Kind kind, TraceContext parent, Map<String, Object> attributes, Instant startedAt) {
        return start(name, kind, parent, attributes);
    }

    /** Whether spans are recorded at all; callers skip building attributes when not. */
    default boolean enabled() {
        return this != NONE;
    }
}
