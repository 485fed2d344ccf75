package dev.mainstay.workflow;

import java.time.Duration;

/**
 * Per-stage retry bounds: at most {@code attempts} calls in all, waiting an exponentially growing,
 * jittered delay between them that starts at {@code backoff} and never exceeds {@code maxBackoff}
 * (a provider's {@code Retry-After} may ask for longer and is honoured).
 */
public record RetryPolicy(int attempts, Duration backoff, Duration maxBackoff) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(30));

    public RetryPolicy {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
        }
        if (backoff.isNegative() || maxBackoff.compareTo(backoff) < 0) {
            throw new IllegalArgumentException("need 0 <= backoff <= max_backoff, got " + backoff + " and " + maxBackoff);
        }
    }
}
