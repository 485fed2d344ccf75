package dev.mainstay.limits;

import java.time.Duration;
import java.time.Instant;

/**
 * The arithmetic of a request-rate token bucket that refills continuously: it holds at most
 * {@code capacity} tokens and gains {@code capacity} per {@code period}. Tokens are counted in
 * millionths so that slow refills are exact without floating point. Stores keep one
 * {@link State} per bucket key and change it only through {@link #take}.
 */
public final class TokenBucket {
    static final long UNIT = 1_000_000;

    private TokenBucket() {
    }

    /** A bucket's level at a moment; a bucket never seen before is full. */
    public record State(long microTokens, Instant at) {
    }

    /** What taking one token did: the new state, or how long until one is there. */
    public sealed interface Take {
        record Taken(State state) implements Take {
        }

        record Wait(Duration after) implements Take {
        }
    }

    /** Takes one token at {@code now} from {@code state} ({@code null}: a full bucket). */
    public static Take take(State state, long capacity, Duration period, Instant now) {
        State level = level(state, capacity, period, now);
        if (level.microTokens() >= UNIT) {
            return new Take.Taken(new State(level.microTokens() - UNIT, now));
        }
        long missing = UNIT - level.microTokens();
        // Time for the missing millionths to refill, rounded up to the next millisecond.
        long perMs = Math.max(1, Math.multiplyExact(capacity, UNIT) / Math.max(1, period.toMillis()));
        long ms = (missing + perMs - 1) / perMs;
        return new Take.Wait(Duration.ofMillis(Math.max(1, ms)));
    }

    /** The level at {@code now}: what was there plus what refilled since, capped at capacity. */
    static State level(State state, long capacity, Duration period, Instant now) {
        long full = Math.multiplyExact(capacity, UNIT);
        if (state == null) {
            return new State(full, now);
        }
        long elapsed = Math.max(0, Duration.between(state.at(), now).toMillis());
        long periodMs = Math.max(1, period.toMillis());
        // elapsed * full / period without overflow for any sane capacity and elapsed time
        long refill = elapsed >= periodMs ? full : scale(elapsed, full, periodMs);
        long level = Math.min(full, state.microTokens() + refill);
        Instant at = now.isAfter(state.at()) ? now : state.at();
        return new State(level, at);
    }

    /** {@code a * b / c} rounded down, exact even where {@code a * b} overflows a long. */
    private static long scale(long a, long b, long c) {
        try {
            return Math.multiplyExact(a, b) / c;
        } catch (ArithmeticException overflow) {
            return java.math.BigInteger.valueOf(a).multiply(java.math.BigInteger.valueOf(b)).divide(java.math.BigInteger.valueOf(c)).longValueExact();
        }
    }
}
