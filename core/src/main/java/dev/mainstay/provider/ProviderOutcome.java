package dev.mainstay.provider;

import java.time.Duration;
import java.util.Optional;

/** Every way a model call can end. The engine's retry classifier switches over it exhaustively. */
public sealed interface ProviderOutcome {
    /** A short human-readable description for job errors and logs. */
    String detail();

    /**
     * The model answered.
     *
     * @param content the raw text of the answer, not yet trusted
     * @param reportedModel the model name the provider put in its response
     * @param inputTokens every prompt token, cached ones included. Token counts are passed on as
     *     the provider reported them, even negative; {@link #UNREPORTED} when it sent none that is
     *     a whole number. The engine decides what to charge (see {@code dev.mainstay.usage.BilledTokens}).
     * @param cachedInputTokens the prompt tokens the provider served from its prompt cache (billed
     *     at the cached-input price)
     * @param budgetExhaustedFor when the response's rate-limit headers say a request or token
     *     budget is now used up: how long until it resets (the next call should wait), else null
     * @param strictSchema whether the provider was asked to enforce the output schema while it
     *     generated the answer (OpenAI's strict Structured Outputs), so that the answer's shape is
     *     guaranteed; Mainstay checks the answer against the whole contract either way
     * @param rateLimits what the response's rate-limit headers said, {@link RateLimits#NONE} when nothing
     */
    record Success(String content, String reportedModel, long inputTokens, long cachedInputTokens, long outputTokens, Duration latency,
                   Duration budgetExhaustedFor, java.util.List<ToolRequest> toolCalls, boolean strictSchema, RateLimits rateLimits) implements ProviderOutcome {
        /** A token count the provider did not report, or reported as something other than a whole number. */
        public static final long UNREPORTED = Long.MIN_VALUE;

        public Success {
            toolCalls = toolCalls == null ? java.util.List.of() : java.util.List.copyOf(toolCalls);
            rateLimits = rateLimits == null ? RateLimits.NONE : rateLimits;
        }

        public Success(String content, String reportedModel, long inputTokens, long cachedInputTokens, long outputTokens, Duration latency,
                       Duration budgetExhaustedFor, java.util.List<ToolRequest> toolCalls, boolean strictSchema) {
            this(content, reportedModel, inputTokens, cachedInputTokens, outputTokens, latency, budgetExhaustedFor, toolCalls, strictSchema, RateLimits.NONE);
        }

        public Success(String content, String reportedModel, long inputTokens, long cachedInputTokens, long outputTokens, Duration latency,
                       Duration budgetExhaustedFor, java.util.List<ToolRequest> toolCalls) {
            this(content, reportedModel, inputTokens, cachedInputTokens, outputTokens, latency, budgetExhaustedFor, toolCalls, false);
        }

        public Success(String content, String reportedModel, long inputTokens, long cachedInputTokens, long outputTokens, Duration latency,
                       Duration budgetExhaustedFor) {
            this(content, reportedModel, inputTokens, cachedInputTokens, outputTokens, latency, budgetExhaustedFor, java.util.List.of());
        }

        /** The same answer, asking for these function calls. */
        public Success withToolCalls(java.util.List<ToolRequest> calls) {
            return new Success(content, reportedModel, inputTokens, cachedInputTokens, outputTokens, latency, budgetExhaustedFor, calls, strictSchema, rateLimits);
        }

        /** The same answer, generated with the output schema enforced or not. */
        public Success withStrictSchema(boolean strict) {
            return new Success(content, reportedModel, inputTokens, cachedInputTokens, outputTokens, latency, budgetExhaustedFor, toolCalls, strict, rateLimits);
        }

        public Success(String content, String reportedModel, long inputTokens, long outputTokens, Duration latency) {
            this(content, reportedModel, inputTokens, 0, outputTokens, latency, null);
        }

        public Success(String content, String reportedModel, long inputTokens, long cachedInputTokens, long outputTokens, Duration latency) {
            this(content, reportedModel, inputTokens, cachedInputTokens, outputTokens, latency, null);
        }

        /** The same answer, noting that the provider's budget is used up for {@code wait}. */
        public Success withBudgetExhaustedFor(Duration wait) {
            return new Success(content, reportedModel, inputTokens, cachedInputTokens, outputTokens, latency, wait, toolCalls, strictSchema, rateLimits);
        }

        /**
         * The same answer with what its rate-limit headers said; a budget they report as used up
         * also sets {@link #budgetExhaustedFor}, as the headers' longest wait until it resets.
         */
        public Success withRateLimits(RateLimits limits) {
            Duration exhausted = limits.exhaustedFor();
            return new Success(content, reportedModel, inputTokens, cachedInputTokens, outputTokens, latency,
                    exhausted != null ? exhausted : budgetExhaustedFor, toolCalls, strictSchema, limits);
        }

        @Override
        public String detail() {
            return "ok";
        }
    }

    /**
     * 429 or a provider's own rate signal; wait at least {@code retryAfter} when given.
     *
     * @param rateLimits what the response's rate-limit headers said, {@link RateLimits#NONE} when nothing
     */
    record RateLimited(Optional<Duration> retryAfter, String detail, RateLimits rateLimits) implements ProviderOutcome {
        public RateLimited {
            rateLimits = rateLimits == null ? RateLimits.NONE : rateLimits;
        }

        public RateLimited(Optional<Duration> retryAfter, String detail) {
            this(retryAfter, detail, RateLimits.NONE);
        }
    }

    /**
     * 5xx, overload, connection reset: trying again may work.
     *
     * @param rateLimits what the response's rate-limit headers said, {@link RateLimits#NONE} when
     *     nothing or when there was no response
     */
    record Transient(Optional<Duration> retryAfter, String detail, RateLimits rateLimits) implements ProviderOutcome {
        public Transient {
            rateLimits = rateLimits == null ? RateLimits.NONE : rateLimits;
        }

        public Transient(Optional<Duration> retryAfter, String detail) {
            this(retryAfter, detail, RateLimits.NONE);
        }
    }

    /** What the response's rate-limit headers said, whatever the outcome; {@link RateLimits#NONE} for outcomes that carry none. */
    default RateLimits rateLimits() {
        return RateLimits.NONE;
    }

    /** No complete answer within the timeout. */
    record TimedOut(Duration after, String detail) implements ProviderOutcome {
    }

    /** The model declined to answer (safety refusal). Not retried. */
    record Refused(String detail) implements ProviderOutcome {
    }

    /** 400, 401, 403, 404 and the like: the request or configuration is wrong. Not retried. */
    record Fatal(int status, String detail) implements ProviderOutcome {
    }
}
