package dev.mainstay.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.SteppedClock;
import dev.mainstay.provider.RateLimits;
import dev.mainstay.provider.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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

    private static RateLimits requests(long limit, long remaining, Duration reset) {
        return new RateLimits(List.of(new RateLimits.Budget("requests", limit, remaining, reset)));
    }

    @Test
    void aBudgetTheHeadersReportUsedUpHoldsTheTargetBackUntilItResets() {
        TargetLimits limits = new TargetLimits(clock, Map.of());
        limits.learn(t, requests(50, 0, Duration.ofSeconds(2)));
        assertThat(limits.exhausted(t)).hasValueSatisfying(b -> {
            assertThat(b.until()).isEqualTo(clock.instant().plusSeconds(2));
            assertThat(b.circuitOpen()).isFalse();
            assertThat(b.reason()).isEqualTo("openai/gpt-4o-mini reported 0 requests left of 50 until 2026-01-01T00:00:02Z (rate-limit headers)");
        });
        assertThat(limits.exhausted(new Target("openai", "gpt-4.1"))).as("another model of the provider").isEmpty();
        clock.advance(Duration.ofMillis(1999));
        assertThat(limits.exhausted(t)).isPresent();
        clock.advance(Duration.ofMillis(1));
        assertThat(limits.exhausted(t)).isEmpty();
    }

    @Test
    void aUsedUpBudgetWithoutAResetOrWithRequestsLeftHoldsNothingBack() {
        TargetLimits limits = new TargetLimits(clock, Map.of());
        limits.learn(t, requests(50, 0, null));
        assertThat(limits.exhausted(t)).isEmpty();
        limits.learn(t, requests(50, 3, Duration.ofSeconds(30)));
        assertThat(limits.exhausted(t)).isEmpty();
        limits.learn(t, RateLimits.NONE);
        assertThat(limits.snapshots()).singleElement().satisfies(s -> assertThat(s.budgets()).singleElement()
                .isEqualTo(new TargetLimits.Budget("requests", 50, 3, clock.instant().plusSeconds(30), TargetLimits.Source.HEADERS, clock.instant())));
    }

    @Test
    void callsAdmittedBeforeTheNextResponseCountOffTheRequestsTheHeadersSaidRemained() {
        TargetLimits limits = new TargetLimits(clock, Map.of());
        limits.learn(t, requests(50, 2, Duration.ofSeconds(10)));
        assertThat(limits.admit(t, 1)).isEmpty();
        assertThat(limits.exhausted(t)).isEmpty();
        assertThat(limits.admit(t, 1)).isEmpty();
        assertThat(limits.exhausted(t)).as("both remaining requests are in flight").map(TargetHealth.Block::until).contains(clock.instant().plusSeconds(10));
        // The provider's next word replaces the local count.
        limits.learn(t, requests(50, 7, Duration.ofSeconds(9)));
        assertThat(limits.exhausted(t)).isEmpty();
    }

    @Test
    void aCountTheHeadersLeaveOutKeepsWhatTheLastResponseSaid() {
        TargetLimits limits = new TargetLimits(clock, Map.of());
        limits.learn(t, new RateLimits(List.of(new RateLimits.Budget("tokens", 40_000, 39_000, Duration.ofSeconds(1)))));
        clock.advance(Duration.ofSeconds(5));
        limits.learn(t, new RateLimits(List.of(new RateLimits.Budget("tokens", RateLimits.Budget.UNREPORTED, 0, Duration.ofSeconds(3)))));
        assertThat(limits.snapshots()).singleElement().satisfies(s -> {
            assertThat(s.budgets()).containsExactly(new TargetLimits.Budget("tokens", 40_000, 0, clock.instant().plusSeconds(3), TargetLimits.Source.HEADERS, clock.instant()));
            assertThat(s.limitedUntil()).isEqualTo(clock.instant().plusSeconds(3));
        });
    }

    @Test
    void snapshotsShowConfiguredBudgetsWithWhatIsLeftOfThem() {
        TargetLimits limits = new TargetLimits(clock, Map.of("openai/gpt-4o-mini", new TargetLimits.Limit(4, 10, 0)));
        limits.admit(t, 1);
        limits.admit(t, 1);
        assertThat(limits.snapshots()).singleElement().satisfies(s -> {
            assertThat(s.target()).isEqualTo(t);
            assertThat(s.budgets()).containsExactly(
                    new TargetLimits.Budget("requests_per_minute", 10, 8, null, TargetLimits.Source.CONFIG, null),
                    new TargetLimits.Budget("concurrent", 4, 4, null, TargetLimits.Source.CONFIG, null));
            assertThat(s.limitedUntil()).isNull();
        });
    }
}
