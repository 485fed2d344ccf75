package dev.mainstay.routing;

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
        assertThat(permit()).as("a closed circuit needs no trial").isFalse();
        health.failure(t, Optional.empty());
        assertThat(health.refusal(t)).hasValueSatisfying(b -> assertThat(b.circuitOpen()).isTrue());
        assertThat(health.permit(t)).isInstanceOf(TargetHealth.Refused.class);
        clock.advance(Duration.ofSeconds(31));
        TargetHealth.Permit trial = (TargetHealth.Permit) health.permit(t);
        assertThat(trial.trial()).as("the trial call").isTrue();
        assertThat(health.permit(t)).as("a second call while the trial runs").isInstanceOfSatisfying(TargetHealth.Refused.class,
                r -> assertThat(r.block().reason()).contains("half-open and its trial call is still running"));
        assertThat(health.refusal(t)).hasValueSatisfying(b -> assertThat(b.circuitOpen()).isTrue());
        health.failure(t, Optional.empty());
        trial.close();
        assertThat(health.refusal(t)).as("a failed trial opens it again").isPresent();
        clock.advance(Duration.ofSeconds(31));
        try (TargetHealth.Permit second = (TargetHealth.Permit) health.permit(t)) {
            assertThat(second.trial()).isTrue();
            health.success(t, Duration.ofMillis(100));
        }
        assertThat(health.refusal(t)).isEmpty();
        assertThat(permit()).as("closed again: no trial needed").isFalse();
        assertThat(health.snapshots().getFirst().state()).isEqualTo(TargetHealth.State.CLOSED);
    }

    @Test
    void askingWhetherATargetTakesCallsTakesNothing() {
        trip();
        for (int i = 0; i < 5; i++) {
            assertThat(health.refusal(t)).as("asking %d times holds no trial", i + 1).isEmpty();
        }
        assertThat(permit()).as("the trial is still there for the call that is made").isTrue();
    }

    @Test
    void aTrialClosedWithoutAnOutcomeIsGivenBackAndTheCircuitStaysHalfOpen() {
        trip();
        TargetHealth.Permit trial = (TargetHealth.Permit) health.permit(t);
        assertThat(trial.trial()).isTrue();
        assertThat(health.refusal(t)).isPresent();
        // The call never happened: a budget refused it, redaction blocked it, the job was cancelled...
        trial.close();
        assertThat(health.refusal(t)).isEmpty();
        assertThat(health.snapshots().getFirst().state()).isEqualTo(TargetHealth.State.HALF_OPEN);
        assertThat(health.snapshots().getFirst().calls()).as("a call that was not made is not counted").isEqualTo(3);
        assertThat(permit()).as("the next call gets the trial").isTrue();
    }

    @Test
    void closingAPermitAfterItsOutcomeNeverReleasesALaterTrial() {
        trip();
        TargetHealth.Permit first = (TargetHealth.Permit) health.permit(t);
        health.neutral(t); // e.g. a 400: says nothing about health, ends the trial
        TargetHealth.Permit second = (TargetHealth.Permit) health.permit(t);
        assertThat(second.trial()).isTrue();
        first.close();
        first.close();
        assertThat(health.permit(t)).as("the second permit still holds the trial").isInstanceOf(TargetHealth.Refused.class);
        second.close();
        assertThat(permit()).isTrue();
    }

    @Test
    void aRateLimitPauseIsReportedButDoesNotRefuseAPermit() {
        health.failure(t, Optional.of(Duration.ofSeconds(10)));
        assertThat(health.refusal(t)).hasValueSatisfying(b -> assertThat(b.circuitOpen()).isFalse());
        // Whether to wait it out is decided before an attempt; a repair call inside one goes ahead.
        assertThat(permit()).isFalse();
    }

    /** Opens the circuit (threshold 3) and lets its cooldown pass: half-open, no trial running. */
    private void trip() {
        for (int i = 0; i < 3; i++) {
            health.failure(t, Optional.empty());
        }
        clock.advance(Duration.ofSeconds(31));
    }

    /** Takes a permit and closes it at once; whether it was the trial. */
    private boolean permit() {
        TargetHealth.Admit admit = health.permit(t);
        assertThat(admit).isInstanceOf(TargetHealth.Permit.class);
        try (TargetHealth.Permit p = (TargetHealth.Permit) admit) {
            return p.trial();
        }
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

    @Test
    void remembersTheLastFailuresOfEachTargetNewestFirstWithoutTouchingTheBreaker() {
        Target other = new Target("anthropic", "claude-haiku-4-5");
        for (int i = 1; i <= 12; i++) {
            health.remember(t, "transient", "HTTP 500 number " + i);
            clock.advance(Duration.ofSeconds(1));
        }
        health.remember(other, "fatal", "HTTP 401: " + "x".repeat(400));
        var recent = health.recentFailures();
        assertThat(recent).hasSize(TargetHealth.RECENT_FAILURES + 1);
        assertThat(recent.getFirst().target()).isEqualTo(other);
        assertThat(recent.getFirst().detail()).hasSize(301).endsWith("…");
        assertThat(recent.get(1).detail()).isEqualTo("HTTP 500 number 12");
        assertThat(recent.getLast().detail()).as("the two oldest are forgotten").isEqualTo("HTTP 500 number 3");
        assertThat(health.refusal(t)).as("remembering is not a failure for the breaker").isEmpty();
    }
}
