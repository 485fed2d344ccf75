package dev.mainstay.routing;

import dev.mainstay.limits.TokenBucket;
import dev.mainstay.provider.Target;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;

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
    private final Map<String, TokenBucket.State> requests = new ConcurrentHashMap<>();
    private final Map<String, TokenBucket.State> tokens = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> inFlight = new ConcurrentHashMap<>();

    /** @param limits by {@code provider/model} */
    public TargetLimits(Clock clock, Map<String, Limit> limits) {
        this.clock = clock;
        this.limits = Map.copyOf(limits);
    }

    public Optional<Instant> admit(Target target, long estimatedTokens) {
        return admit(target, () -> estimatedTokens);
    }

    /**
     * Takes one request and the call's estimated tokens from the target's minute budgets. The
     * estimate is only computed for a target with a tokens-per-minute limit.
     *
     * @return empty when the call may go now, else the instant it may go
     */
    public Optional<Instant> admit(Target target, LongSupplier estimatedTokens) {
        Limit limit = limits.get(target.toString());
        if (limit == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (limit.tokensPerMinute() > 0) {
            Optional<Instant> wait = take(tokens, target.toString(), limit.tokensPerMinute(), estimatedTokens.getAsLong(), now);
            if (wait.isPresent()) {
                return wait;
            }
        }
        if (limit.requestsPerMinute() > 0) {
            return take(requests, target.toString(), limit.requestsPerMinute(), 1, now);
        }
        return Optional.empty();
    }

    /** Takes {@code units} from the minute bucket under {@code key}; returns when they will be there if they are not now. */
    private static Optional<Instant> take(Map<String, TokenBucket.State> buckets, String key, long capacity, long units, Instant now) {
        @SuppressWarnings("unchecked")
        Optional<Instant>[] wait = new Optional[] {Optional.empty()};
        buckets.compute(key, (k, state) -> switch (TokenBucket.take(state, capacity, Duration.ofMinutes(1), now, units)) {
            case TokenBucket.Take.Taken t -> t.state();
            case TokenBucket.Take.Wait w -> {
                wait[0] = Optional.of(now.plus(w.after()));
                yield state;
            }
        });
        return wait[0];
    }

    /** The target's concurrency bulkhead, if it has one. */
    public Optional<Semaphore> bulkhead(Target target) {
        Limit limit = limits.get(target.toString());
        if (limit == null || limit.concurrency() == 0) {
            return Optional.empty();
        }
        return Optional.of(inFlight.computeIfAbsent(target.toString(), k -> new Semaphore(limit.concurrency(), true)));
    }
}
