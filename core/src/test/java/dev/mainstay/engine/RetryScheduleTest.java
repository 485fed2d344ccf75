package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import dev.mainstay.workflow.RetryPolicy;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {

    /** Always the lowest (or highest) value a bounded draw may return: the two ends of the jitter. */
    private record Extreme(boolean high) implements RandomGenerator {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public long nextLong(long bound) {
            return high ? bound - 1 : 0;
        }
    }

    private static RetryPolicy policy(SeededRandom random) {
        long backoff = switch (random.nextInt(3)) {
            case 0 -> random.longBetween(0, 60_000);
            case 1 -> random.nextLong(0, Duration.ofDays(400).toMillis() + 1);
            // powers of two shift into the sign bit and beyond, where a plain long shift wraps
            default -> 1L << random.intBetween(0, 36);
        };
        long extra = random.nextBoolean() ? random.longBetween(0, 600_000) : random.nextLong(0, Duration.ofDays(4000).toMillis() + 1);
        return new RetryPolicy(3, Duration.ofMillis(backoff), Duration.ofMillis(backoff + extra));
    }

    /** Uniform, not biased to small counts: every attempt up to 99 as likely. */
    private static int attempts(SeededRandom random) {
        return random.nextInt(1, 100);
    }

    /** The undithered step, computed without overflow: min(max_backoff, backoff * 2^(attempts-1)). */
    private static long step(RetryPolicy p, int failedAttempts) {
        int shift = Math.min(Math.max(failedAttempts - 1, 0), 30);
        BigInteger raw = BigInteger.valueOf(p.backoff().toMillis()).shiftLeft(shift);
        return raw.min(BigInteger.valueOf(p.maxBackoff().toMillis())).longValueExact();
    }

    @Property(tries = 300)
    void delayIsWithinHalfAndAllOfTheCappedStep(SeededRandom random) {
        RetryPolicy policy = random.draw("policy", RetryScheduleTest::policy);
        int attempts = random.draw("attempts", RetryScheduleTest::attempts);
        long seed = random.draw("jitter seed", RandomGenerator::nextLong);
        Duration d = new RetrySchedule(new Random(seed)).delay(policy, attempts, Optional.empty());
        long step = step(policy, attempts);
        assertThat(d.toMillis()).isBetween(step / 2, step);
        assertThat(d).isLessThanOrEqualTo(policy.maxBackoff());
    }

    @Property(tries = 300)
    void delayIsNeverBelowRetryAfter(SeededRandom random) {
        RetryPolicy policy = random.draw("policy", RetryScheduleTest::policy);
        int attempts = random.draw("attempts", RetryScheduleTest::attempts);
        long retryAfterMillis = random.draw("retryAfterMillis", r -> r.longBetween(0, 3_600_000));
        long seed = random.draw("jitter seed", RandomGenerator::nextLong);
        Duration retryAfter = Duration.ofMillis(retryAfterMillis);
        Duration d = new RetrySchedule(new Random(seed)).delay(policy, attempts, Optional.of(retryAfter));
        long step = step(policy, attempts);
        assertThat(d).isGreaterThanOrEqualTo(retryAfter);
        // A Retry-After only ever lengthens the wait to itself, never beyond.
        assertThat(d.toMillis()).isLessThanOrEqualTo(Math.max(step, retryAfterMillis));
    }

    @Property(tries = 300)
    void delayGrowsWithAttemptsAtBothEndsOfTheJitter(SeededRandom random) {
        RetryPolicy policy = random.draw("policy", RetryScheduleTest::policy);
        int attempts = random.draw("attempts", RetryScheduleTest::attempts);
        boolean high = random.draw("high", RandomGenerator::nextBoolean);
        RetrySchedule schedule = new RetrySchedule(new Extreme(high));
        Duration now = schedule.delay(policy, attempts, Optional.empty());
        Duration next = schedule.delay(policy, attempts + 1, Optional.empty());
        assertThat(next).isGreaterThanOrEqualTo(now);
    }

    @Test
    void stepsDoubleFromBackoffUntilTheCap() {
        RetryPolicy policy = new RetryPolicy(10, Duration.ofSeconds(1), Duration.ofSeconds(30));
        RetrySchedule highest = new RetrySchedule(new Extreme(true));
        assertThat(highest.delay(policy, 1, Optional.empty())).isEqualTo(Duration.ofSeconds(1));
        assertThat(highest.delay(policy, 2, Optional.empty())).isEqualTo(Duration.ofSeconds(2));
        assertThat(highest.delay(policy, 5, Optional.empty())).isEqualTo(Duration.ofSeconds(16));
        assertThat(highest.delay(policy, 6, Optional.empty())).isEqualTo(Duration.ofSeconds(30));
        assertThat(highest.delay(policy, 60, Optional.empty())).isEqualTo(Duration.ofSeconds(30));
        RetrySchedule lowest = new RetrySchedule(new Extreme(false));
        assertThat(lowest.delay(policy, 2, Optional.empty())).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void hugeBackoffAfterManyAttemptsStaysAtTheCap() {
        // backoff << 30 overflows a long here; the delay must saturate at max_backoff, not wrap to 0.
        RetryPolicy policy = new RetryPolicy(100, Duration.ofMillis(1L << 34), Duration.ofDays(3650));
        Duration d = new RetrySchedule(new Extreme(false)).delay(policy, 40, Optional.empty());
        assertThat(d).isEqualTo(Duration.ofDays(3650).dividedBy(2));
    }
}
