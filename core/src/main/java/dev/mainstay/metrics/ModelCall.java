package dev.mainstay.metrics;

import java.time.Duration;
import java.util.Objects;

/**
 * One model call as metrics see it.
 *
 * @param model the model asked for (the route's), not the one the provider reported, so that
 *     the label set stays the configured one
 * @param inputTokens every prompt token charged, cached ones included
 * @param costMicros what the call was charged, in millionths of a US dollar
 */
public record ModelCall(String workflow, String stage, String provider, String model, CallClass outcome, Duration latency, long inputTokens,
                        long cachedInputTokens, long outputTokens, long costMicros) {
    public ModelCall {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(latency, "latency");
        if (inputTokens < 0 || cachedInputTokens < 0 || outputTokens < 0 || costMicros < 0) {
            throw new IllegalArgumentException("a model call's counts are never negative: input " + inputTokens + ", cached " + cachedInputTokens
                    + ", output " + outputTokens + ", cost " + costMicros + " micro-USD for " + provider + "/" + model + ". Indicates a bug.");
        }
    }
}
