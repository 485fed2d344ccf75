package dev.mainstay.server.http;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts failed authentications per client address in fixed windows and refuses an address that
 * made too many, until its window ends. Memory of one node only: behind a load balancer each node
 * counts on its own, so an address gets at most {@code max} guesses per window per node.
 */
final class AuthThrottle {
    /** Beyond this many tracked addresses, windows that ended are dropped before a new one is added. */
    private static final int SWEEP_AT = 10_000;

    private record Window(Instant start, int failures) {
    }

    private final int max;
    private final Duration window;
    private final Clock clock;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    AuthThrottle(int max, Duration window, Clock clock) {
        this.max = max;
        this.window = window;
        this.clock = clock;
    }

    /** How long {@code address} must wait, when it used up its failures for the current window. */
    Optional<Duration> blocked(String address) {
        Window w = windows.get(address);
        if (w == null || w.failures() < max) {
            return Optional.empty();
        }
        Duration left = Duration.between(clock.instant(), w.start().plus(window));
        return left.isNegative() || left.isZero() ? Optional.empty() : Optional.of(left);
    }

    void failed(String address) {
        Instant now = clock.instant();
        if (windows.size() >= SWEEP_AT) {
            windows.values().removeIf(w -> !now.isBefore(w.start().plus(window)));
        }
        windows.merge(address, new Window(now, 1), (old, one) ->
                now.isBefore(old.start().plus(window)) ? new Window(old.start(), old.failures() + 1) : one);
    }
}
