package dev.mainstay.engine;

import dev.mainstay.provider.Target;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Configured limits per route target: calls in flight, requests per minute and tokens per minute,
 * each a token bucket refilled continuously on the injected clock. A job that would exceed a rate
 * waits in the queue until the bucket has room, instead of provoking a 429.
 */
public final class TargetLimits {
    /** Limits of one target; 0 means unlimited. */
    public record Limit(int concurrency, long requestsPerMinute, long tokensPerMinute) {
        public Limit {
            if (concurrency < 0 || requestsPerMinute < 0 || tokensPerMinute < 0) {
                throw new IllegalArgumentException("target limits cannot be negative");
            }
        }
    }

    private final Clock clock;
    private final Map<String, Limit> limits;
    private final Map<String, Bucket> requests = new ConcurrentHashMap<>();
    private final Map<String, Bucket> tokens = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> inFlight = new ConcurrentHashMap<>();

    /** @param limits by {@code provider/model} */
    public TargetLimits(Clock clock, Map<String, Limit> limits) {
        this.clock = clock;
        this.limits = Map.copyOf(limits);
    }

    /** A bucket of {@code capacity} units refilled at {@code capacity} per minute. */
    private static final class Bucket {
        final double capacity;
        double level;
        Instant at;

        Bucket(double capacity, Instant now) {
            this.capacity = capacity;
            this.level = capacity;
            this.at = now;
        }

        /** Takes {@code units} now and returns empty, or returns when that many will be there. */
        synchronized Optional<Instant> take(double units, Instant now) {
            double perMilli = capacity / 60_000.0;
            level = Math.min(capacity, level + Math.max(0, Duration.between(at, now).toMillis()) * perMilli);
            at = now;
            double need = Math.min(units, capacity);
            if (level >= need) {
                level -= need;
                return Optional.empty();
            }
            return Optional.of(now.plusMillis((long) Math.ceil((need - level) / perMilli)));
        }
    }

    /**
     * Takes one request and {@code estimatedTokens} from the target's minute budgets.
     *
     * @return empty when the call may go now, else the instant it may go
     */
    public Optional<Instant> admit(Target target, long estimatedTokens) {
        Limit limit = limits.get(target.toString());
        if (limit == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (limit.tokensPerMinute() > 0) {
            Bucket b = tokens.computeIfAbsent(target.toString(), k -> new Bucket(limit.tokensPerMinute(), now));
            Optional<Instant> wait = b.take(estimatedTokens, now);
            if (wait.isPresent()) {
                return wait;
            }
        }
        if (limit.requestsPerMinute() > 0) {
            Bucket b = requests.computeIfAbsent(target.toString(), k -> new Bucket(limit.requestsPerMinute(), now));
            return b.take(1, now);
        }
        return Optional.empty();
    }

    /** The target's concurrency bulkhead, if it has one. */
    Optional<Semaphore> bulkhead(Target target) {
        Limit limit = limits.get(target.toString());
        if (limit == null || limit.concurrency() == 0) {
            return Optional.empty();
        }
        return Optional.of(inFlight.computeIfAbsent(target.toString(), k -> new Semaphore(limit.concurrency(), true)));
    }
}
