package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.SteppedClock;
import dev.mainstay.provider.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TargetHealthTest {
    private final SteppedClock clock = new SteppedClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final TargetHealth health = new TargetHealth(clock, 3, Duration.ofSeconds(30));
    private final Target t = new Target("openai", "gpt-4o-mini");

    @Test
    void opensAfterTheThresholdThenLetsOneTrialThroughAfterTheCooldown() {
        health.failure(t, Optional.empty());
        health.failure(t, Optional.empty());
        assertThat(health.refusal(t)).isEmpty();
        health.failure(t, Optional.empty());
        assertThat(health.refusal(t)).hasValueSatisfying(b -> assertThat(b.circuitOpen()).isTrue());
        clock.advance(Duration.ofSeconds(31));
        assertThat(health.refusal(t)).as("the trial call").isEmpty();
        assertThat(health.refusal(t)).as("a second call while the trial runs").hasValueSatisfying(b -> assertThat(b.circuitOpen()).isTrue());
        health.failure(t, Optional.empty());
        assertThat(health.refusal(t)).as("a failed trial opens it again").isPresent();
        clock.advance(Duration.ofSeconds(31));
        assertThat(health.refusal(t)).isEmpty();
        health.success(t, Duration.ofMillis(100));
        assertThat(health.refusal(t)).isEmpty();
        assertThat(health.snapshots().getFirst().state()).isEqualTo(TargetHealth.State.CLOSED);
    }

    @Test
    void aRateLimitIsWaitedOutWithoutOpeningTheCircuit() {
        health.failure(t, Optional.of(Duration.ofSeconds(10)));
        assertThat(health.refusal(t)).hasValueSatisfying(b -> {
            assertThat(b.circuitOpen()).isFalse();
            assertThat(b.until()).isEqualTo(Instant.parse("2026-01-01T00:00:10Z"));
        });
        clock.advance(Duration.ofSeconds(10));
        assertThat(health.refusal(t)).isEmpty();
    }

    @Test
    void aUsedUpBudgetPausesTheTargetWithoutCountingAFailure() {
        health.success(t, Duration.ofMillis(50));
        health.pause(t, Duration.ofSeconds(12));
        assertThat(health.refusal(t)).hasValueSatisfying(b -> assertThat(b.circuitOpen()).isFalse());
        assertThat(health.snapshots().getFirst().consecutiveFailures()).isZero();
        clock.advance(Duration.ofSeconds(12));
        assertThat(health.refusal(t)).isEmpty();
    }

    @Test
    void p95NeedsFiveSamplesAndIsTheSlowTail() {
        for (int i = 1; i <= 4; i++) {
            health.success(t, Duration.ofMillis(i * 100));
        }
        assertThat(health.p95(t)).isEmpty();
        for (int i = 5; i <= 20; i++) {
            health.success(t, Duration.ofMillis(i * 100));
        }
        assertThat(health.p95(t)).contains(Duration.ofMillis(1900));
    }
}
