package dev.mainstay.webhook;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * When a delivery is attempted again: eight attempts over about 27 hours. The first is made as soon
 * as the event is committed; after a failed attempt the next waits the delay of {@link #DELAYS}
 * (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), spread by a jitter of ±10 % so that the retries of
 * one receiver's outage do not arrive together, and never sooner than the receiver's
 * {@code Retry-After} (held to {@link #MAX_RETRY_AFTER}). After the eighth failure the delivery is
 * dead-lettered.
 */
public final class DeliverySchedule {
    /** The delay before attempt {@code n + 2} after attempt {@code n + 1} failed. */
    public static final List<Duration> DELAYS = List.of(Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(2),
            Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(10));
    /** Attempts in all, the first included. */
    public static final int ATTEMPTS = DELAYS.size() + 1;
    /** The jitter's share of a delay, either way. */
    public static final double JITTER = 0.10;
    /** A receiver's {@code Retry-After} beyond this is read as this. */
    public static final Duration MAX_RETRY_AFTER = Duration.ofHours(24);

    private DeliverySchedule() {
    }

    /**
     * The wait before the next attempt after {@code attemptsMade} attempts have failed, or empty when
     * that was the last one.
     *
     * @param retryAfter what the receiver asked for with {@code Retry-After}, if it did
     * @param random the source of the jitter (seeded in tests)
     */
    public static Optional<Duration> next(int attemptsMade, Optional<Duration> retryAfter, RandomGenerator random) {
        if (attemptsMade < 1) {
            throw new IllegalArgumentException("a delivery is rescheduled after a failed attempt; attemptsMade=" + attemptsMade + ". Indicates a bug.");
        }
        if (attemptsMade >= ATTEMPTS) {
            return Optional.empty();
        }
        Duration base = DELAYS.get(attemptsMade - 1);
        long millis = base.toMillis();
        long spread = Math.round(millis * JITTER);
        Duration jittered = Duration.ofMillis(millis - spread + random.nextLong(2 * spread + 1));
        Duration asked = retryAfter.map(r -> r.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : r).orElse(Duration.ZERO);
        return Optional.of(asked.compareTo(jittered) > 0 ? asked : jittered);
    }
}
