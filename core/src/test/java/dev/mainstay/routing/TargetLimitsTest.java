package dev.mainstay.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.SteppedClock;
import dev.mainstay.provider.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetLimitsTest {
    private final SteppedClock clock = new SteppedClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Target t = new Target("openai", "gpt-4o-mini");

    @Test
    void requestsPerMinuteAdmitsABurstThenRefillsEvenly() {
        TargetLimits limits = new TargetLimits(clock, Map.of("openai/gpt-4o-mini", new TargetLimits.Limit(0, 60, 0)));
        for (int i = 0; i < 60; i++) {
            assertThat(limits.admit(t, 100)).as("request %d of the first minute", i).isEmpty();
        }
        assertThat(limits.admit(t, 100)).contains(clock.instant().plusSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        assertThat(limits.admit(t, 100)).isEmpty();
        assertThat(limits.admit(t, 100)).isPresent();
    }

    @Test
    void tokensPerMinuteHoldsBackACallThatDoesNotFit() {
        TargetLimits limits = new TargetLimits(clock, Map.of("openai/gpt-4o-mini", new TargetLimits.Limit(0, 0, 6_000)));
        assertThat(limits.admit(t, 5_000)).isEmpty();
        assertThat(limits.admit(t, 2_000)).contains(clock.instant().plus(Duration.ofSeconds(10)));
        clock.advance(Duration.ofSeconds(10));
        assertThat(limits.admit(t, 2_000)).isEmpty();
    }

    @Test
    void unlimitedTargetsAreAlwaysAdmitted() {
        TargetLimits limits = new TargetLimits(clock, Map.of());
        for (int i = 0; i < 1_000; i++) {
            assertThat(limits.admit(t, 1_000_000)).isEmpty();
        }
        assertThat(limits.bulkhead(t)).isEmpty();
    }
}
