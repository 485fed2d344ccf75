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

    /** The largest capacity a bucket may have: a billion requests per period. */
    public static final long MAX_CAPACITY = 1_000_000_000L;

    /**
     * Takes one token at {@code now} from {@code state} ({@code null}: a full bucket). A {@code now}
     * earlier than the bucket's last update (a node whose clock is behind) refills nothing and never
     * moves the bucket's clock back, so no stretch of time is refilled twice.
     */
    public static Take take(State state, long capacity, Duration period, Instant now) {
        return take(state, capacity, period, now, 1);
    }

    /**
     * Takes {@code units} tokens at once (at most a full bucket's worth: a request larger than the
     * bucket goes when the bucket is full, and empties it).
     */
    public static Take take(State state, long capacity, Duration period, Instant now, long units) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("a bucket holds 1 to " + MAX_CAPACITY + " tokens, got " + capacity);
        }
        long wanted = Math.min(Math.max(0, units), capacity) * UNIT;
        State level = level(state, capacity, period, now);
        if (level.microTokens() >= wanted) {
            return new Take.Taken(new State(level.microTokens() - wanted, level.at()));
        }
        // The shortest whole number of milliseconds after the stored state at which enough is there.
        long periodMs = Math.max(1, period.toMillis());
        java.math.BigInteger need = java.math.BigInteger.valueOf(wanted - state.microTokens()).multiply(java.math.BigInteger.valueOf(periodMs));
        java.math.BigInteger full = java.math.BigInteger.valueOf(capacity * UNIT);
        java.math.BigInteger[] qr = need.divideAndRemainder(full);
        long elapsed = qr[0].longValueExact() + (qr[1].signum() > 0 ? 1 : 0);
        long wait = Duration.between(now, state.at().plusMillis(elapsed)).toMillis();
        return new Take.Wait(Duration.ofMillis(Math.max(1, wait)));
    }

    /** Whole tokens in the bucket at {@code now} ({@code state} {@code null}: a full bucket), taking nothing. */
    public static long available(State state, long capacity, Duration period, Instant now) {
        return level(state, capacity, period, now).microTokens() / UNIT;
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
