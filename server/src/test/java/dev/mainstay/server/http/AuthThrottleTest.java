package dev.mainstay.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Failed authentications per address, counted in fixed windows on an injected clock. */
class AuthThrottleTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T00:00:00Z"));
    private final AuthThrottle throttle = new AuthThrottle(3, Duration.ofMinutes(1), clock);

    @Test
    void anAddressIsBlockedAfterMaxFailuresUntilItsWindowEnds() {
        for (int i = 0; i < 3; i++) {
            assertThat(throttle.blocked("10.0.0.1")).isEmpty();
            throttle.failed("10.0.0.1");
            clock.advance(Duration.ofSeconds(10));
        }
        assertThat(throttle.blocked("10.0.0.1")).contains(Duration.ofSeconds(30));
        assertThat(throttle.blocked("10.0.0.2")).as("another address").isEmpty();
        clock.advance(Duration.ofSeconds(30));
        assertThat(throttle.blocked("10.0.0.1")).as("the window ended").isEmpty();
        throttle.failed("10.0.0.1");
        assertThat(throttle.blocked("10.0.0.1")).as("a new window counts from one").isEmpty();
    }

    @Test
    void failuresInAnEndedWindowDoNotCarryOver() {
        throttle.failed("10.0.0.1");
        throttle.failed("10.0.0.1");
        clock.advance(Duration.ofMinutes(2));
        throttle.failed("10.0.0.1");
        throttle.failed("10.0.0.1");
        assertThat(throttle.blocked("10.0.0.1")).isEmpty();
        throttle.failed("10.0.0.1");
        assertThat(throttle.blocked("10.0.0.1")).contains(Duration.ofMinutes(1));
    }
}
