package dev.mainstay.engine;

import dev.mainstay.job.Job;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.provider.Target;
import dev.mainstay.tracing.JobTracer;
import dev.mainstay.tracing.SpanNames;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.tracing.TraceSpan;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The spans of a job's trace as the engine opens them, each with the job's workflow, version and
 * id. Stage and review spans hang under the job's stored context (its submit span), so a job that
 * resumes on another node after a crash goes on in the same trace; model calls, tool calls and
 * fallback rungs hang under the stage span the calling thread is in ({@link TraceContext#current()}).
 * With {@link JobTracer#NONE} every method returns {@link TraceSpan#NONE} before building anything.
 */
final class JobSpans {
    static final JobSpans NONE = new JobSpans(JobTracer.NONE);

    private final JobTracer tracer;
    private final boolean on;

    JobSpans(JobTracer tracer) {
        this.tracer = tracer;
        this.on = tracer.enabled();
    }

    boolean on() {
        return on;
    }

    TraceSpan submit(TraceContext incoming, String workflow, int version, String jobId) {
        if (!on) {
            return TraceSpan.NONE;
        }
        return tracer.start(SpanNames.SUBMIT, JobTracer.Kind.SERVER, incoming, base(workflow, version, jobId));
    }

    /** One step of a stage: an attempt on a target, a tool call, the wait for a callback's result. */
    TraceSpan stage(Job job, String stageId, String kind, int attempt) {
        if (!on) {
            return TraceSpan.NONE;
        }
        Map<String, Object> a = base(job);
        a.put(SpanNames.STAGE_ID, stageId);
        a.put("mainstay.stage.kind", kind);
        a.put(SpanNames.ATTEMPT, (long) attempt);
        return tracer.start(SpanNames.STAGE + " " + stageId, JobTracer.Kind.INTERNAL, job.trace(), a);
    }

    /**
     * A model call as the GenAI semantic conventions name it ({@code chat <model>}, a client
     * span), under the current stage span. Never the prompt or the answer.
     */
    TraceSpan chat(Job job, String stageId, Target target, long maxTokens) {
        if (!on) {
            return TraceSpan.NONE;
        }
        Map<String, Object> a = base(job);
        a.put(SpanNames.STAGE_ID, stageId);
        a.put(SpanNames.GEN_AI_OPERATION, "chat");
        a.put(SpanNames.GEN_AI_PROVIDER, target.provider());
        a.put(SpanNames.GEN_AI_SYSTEM, target.provider());
        a.put(SpanNames.GEN_AI_REQUEST_MODEL, target.model());
        a.put(SpanNames.GEN_AI_MAX_TOKENS, maxTokens);
        return tracer.start(SpanNames.chat(target.model()), JobTracer.Kind.CLIENT, TraceContext.current(), a);
    }

    /** Ends a model call's span with what came back: the model, tokens and finish reason, or the error's type. */
    static void answered(TraceSpan span, Target target, ProviderOutcome outcome, long inputTokens, long outputTokens) {
        if (span == TraceSpan.NONE) {
            return;
        }
        switch (outcome) {
            case null -> span.error("interrupted", "the call ended without an answer");
            case ProviderOutcome.Success s -> {
                span.set(SpanNames.GEN_AI_RESPONSE_MODEL, s.reportedModel() == null || s.reportedModel().isBlank() ? target.model() : s.reportedModel());
                span.set(SpanNames.GEN_AI_INPUT_TOKENS, inputTokens);
                span.set(SpanNames.GEN_AI_OUTPUT_TOKENS, outputTokens);
                span.set(SpanNames.GEN_AI_FINISH_REASONS, List.of(s.toolCalls().isEmpty() ? "stop" : "tool_calls"));
            }
            case ProviderOutcome.RateLimited r -> span.error("rate_limited", "HTTP 429 from " + target);
            case ProviderOutcome.Transient t -> span.error("server_error", "transient failure of " + target);
            case ProviderOutcome.TimedOut t -> span.error("timeout", "no answer within " + t.after().toMillis() + " ms from " + target);
            case ProviderOutcome.Refused r -> {
                span.set(SpanNames.GEN_AI_FINISH_REASONS, List.of("content_filter"));
                span.error("refused", "the model of " + target + " refused");
            }
            case ProviderOutcome.Fatal f -> span.error(Integer.toString(f.status()), "HTTP " + f.status() + " from " + target);
        }
        span.end();
    }

    /** A call of an integration, from a tool stage or a function a model asked for, under the current stage span. */
    TraceSpan tool(Job job, String stageId, String tool, String function) {
        if (!on) {
            return TraceSpan.NONE;
        }
        Map<String, Object> a = base(job);
        a.put(SpanNames.STAGE_ID, stageId);
        a.put(SpanNames.TOOL_NAME, tool);
        if (function != null) {
            a.put(SpanNames.GEN_AI_OPERATION, "execute_tool");
            a.put("gen_ai.tool.name", function);
        }
        return tracer.start(SpanNames.TOOL + " " + tool, JobTracer.Kind.CLIENT, TraceContext.current(), a);
    }

    /** One rung of the fallback ladder tried (or the route's next target), under the current stage span. */
    TraceSpan rung(Job job, String stageId, String rung) {
        if (!on) {
            return TraceSpan.NONE;
        }
        Map<String, Object> a = base(job);
        a.put(SpanNames.STAGE_ID, stageId);
        a.put(SpanNames.RUNG_NAME, rung);
        return tracer.start(SpanNames.RUNG + " " + rung, JobTracer.Kind.INTERNAL, TraceContext.current(), a);
    }

    /** A review's wait, from its request to its decision, recorded when it is decided. */
    TraceSpan review(Job job, String stageId, String reviewId, Instant requestedAt) {
        if (!on) {
            return TraceSpan.NONE;
        }
        Map<String, Object> a = base(job);
        a.put(SpanNames.STAGE_ID, stageId);
        a.put("mainstay.review.id", reviewId);
        return tracer.start(SpanNames.REVIEW, JobTracer.Kind.INTERNAL, job.trace(), a, requestedAt);
    }

    private static Map<String, Object> base(Job job) {
        return base(job.workflow(), job.workflowVersion(), job.id());
    }

    private static Map<String, Object> base(String workflow, int version, String jobId) {
        Map<String, Object> a = new HashMap<>();
        a.put(SpanNames.WORKFLOW, workflow);
        a.put(SpanNames.WORKFLOW_VERSION, (long) version);
        a.put(SpanNames.JOB_ID, jobId);
        return a;
    }
}
