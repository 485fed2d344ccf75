package dev.mainstay.engine;

import dev.mainstay.workflow.RetryPolicy;
import java.time.Duration;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Delay before the next attempt: exponential from the policy's backoff, capped at its maximum,
 * with "equal jitter" (uniform between half and all of the step) so that a fleet of retries does
 * not arrive in lockstep. A provider's {@code Retry-After} is a floor, never shortened.
 */
public final class RetrySchedule {
    private final RandomGenerator random;

    public RetrySchedule(RandomGenerator random) {
        this.random = random;
    }

    /**
     * @param failedAttempts attempts made so far, at least 1
     */
    public Duration delay(RetryPolicy policy, int failedAttempts, Optional<Duration> retryAfter) {
        long base = policy.backoff().toMillis();
        long cap = policy.maxBackoff().toMillis();
        int shift = Math.min(Math.max(failedAttempts - 1, 0), 30);
        // base << shift wraps (even to a small positive number) once base > cap >> shift; the
        // step has reached the cap long before that, so saturate instead of shifting.
        long step = base > (cap >> shift) ? cap : base << shift;
        long half = step / 2;
        long jittered = half + (step - half == 0 ? 0 : random.nextLong(step - half + 1));
        long floor = retryAfter.map(Duration::toMillis).orElse(0L);
        return Duration.ofMillis(Math.max(jittered, floor));
    }
}
