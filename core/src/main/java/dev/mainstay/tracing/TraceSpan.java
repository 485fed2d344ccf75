package dev.mainstay.tracing;

/**
 * One span of a job's trace, open until {@link #end()}. Not thread-safe: a span belongs to the
 * thread that runs the step it stands for.
 */
public interface TraceSpan {
    /** A span that records nothing. */
    TraceSpan NONE = new TraceSpan() {
        @Override
        public TraceContext context() {
            return TraceContext.NONE;
        }

        @Override
        public TraceSpan set(String key, Object value) {
            return this;
        }

        @Override
        public void error(String type, String description) {
        }

        @Override
        public void end() {
        }
    };

    /** This span's context: what its children and outgoing calls carry. */
    TraceContext context();

    /** Sets an attribute (a string, long, int, double or boolean; {@code null} is ignored). */
    TraceSpan set(String key, Object value);

    /** Marks the span failed, with OpenTelemetry's {@code error.type} and a description. */
    void error(String type, String description);

    void end();

    /** Ends the span at {@code at} rather than now (see {@link JobTracer#start(String, JobTracer.Kind, TraceContext, java.util.Map, java.time.Instant)}). */
    default void end(java.time.Instant at) {
        end();
    }

    /**
     * Makes this span's context the thread's current one ({@link TraceContext#current()}), which
     * outgoing provider and tool calls send as {@code traceparent}, until the scope closes.
     */
    default TraceContext.Scope enter() {
        return TraceContext.enter(context());
    }
}
