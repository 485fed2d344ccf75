package dev.mainstay.tracing;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A W3C trace context as the headers carry it: {@code traceparent}
 * ({@code 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>}) and {@code tracestate}.
 * Stored with a job so that its later spans join its trace; sent on outgoing calls so that a
 * provider or a tool can join it too.
 *
 * @param traceparent null for no context
 * @param tracestate null when there is none
 */
public record TraceContext(String traceparent, String tracestate) {
    /** No trace to continue. */
    public static final TraceContext NONE = new TraceContext(null, null);
    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    private static final int MAX_TRACESTATE = 512;
    private static final ThreadLocal<TraceContext> CURRENT = new ThreadLocal<>();

    /**
     * The context a client sent, if its {@code traceparent} is well-formed (version {@code ff},
     * and all-zero ids, are invalid by the W3C recommendation); anything else is no context, as
     * the recommendation asks, rather than an error.
     */
    public static TraceContext fromHeaders(String traceparent, String tracestate) {
        if (traceparent == null) {
            return NONE;
        }
        String tp = traceparent.strip().toLowerCase(java.util.Locale.ROOT);
        if (!TRACEPARENT.matcher(tp).matches() || tp.startsWith("ff") || tp.substring(3, 35).matches("0+") || tp.substring(36, 52).matches("0+")) {
            return NONE;
        }
        String ts = tracestate == null || tracestate.isBlank() || tracestate.length() > MAX_TRACESTATE ? null : tracestate.strip();
        return new TraceContext(tp, ts);
    }

    public boolean present() {
        return traceparent != null;
    }

    /** The 32 hex digits of the trace id, if there is a context. */
    public Optional<String> traceId() {
        return present() ? Optional.of(traceparent.substring(3, 35)) : Optional.empty();
    }

    /**
     * The context of the span the calling thread is in, for headers of outgoing calls: set by
     * {@link TraceSpan#enter()} and cleared when that scope closes.
     */
    public static TraceContext current() {
        TraceContext c = CURRENT.get();
        return c == null ? NONE : c;
    }

    /** Makes {@code context} current until the returned scope closes, then restores the one before. */
    static Scope enter(TraceContext context) {
        TraceContext before = CURRENT.get();
        CURRENT.set(context);
        return () -> {
            if (before == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(before);
            }
        };
    }

    /** Ends what {@link TraceSpan#enter()} began. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
