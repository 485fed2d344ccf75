package dev.mainstay.routing;

import dev.mainstay.limits.TokenBucket;
import dev.mainstay.provider.RateLimits;
import dev.mainstay.provider.Target;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;

/**
 * Rate limits per route target, from two sources. Configured ones: calls in flight, requests per
 * minute and tokens per minute, each minute budget a token bucket refilled continuously on the
 * injected clock. Learned ones: what the provider's rate-limit headers last said about each of
 * its budgets (limit, remaining, reset), so that a budget the provider reports as used up keeps
 * the target's next calls back until it resets, instead of sending them to earn a 429. Both are
 * per node and in memory.
 *
 * <p>On the hot path a target without configured limits and without headers costs one map lookup.
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

    /** Where a budget's figures come from. */
    public enum Source { CONFIG, HEADERS }

    /**
     * One budget of a target as this node knows it: {@code requests}, {@code tokens},
     * {@code input_tokens} or {@code output_tokens} per the provider's headers, or the configured
     * {@code requests_per_minute}, {@code tokens_per_minute} and {@code concurrent}.
     *
     * @param limit the budget's size, {@link RateLimits.Budget#UNREPORTED} when the headers gave none
     * @param remaining what is left now, {@link RateLimits.Budget#UNREPORTED} when unknown
     * @param resetAt when the provider said the budget is full again; {@code null} for configured
     *     budgets (they refill continuously) and when the headers gave no reset
     * @param updatedAt when the headers last said so; {@code null} for configured budgets
     */
    public record Budget(String name, long limit, long remaining, Instant resetAt, Source source, Instant updatedAt) {
    }

    /**
     * What this node knows of one target's limits.
     *
     * @param limitedUntil while a budget the headers reported as used up has not reset: when it
     *     does (calls to the target are held back until then); else {@code null}
     */
    public record Snapshot(Target target, List<Budget> budgets, Instant limitedUntil) {
    }

    private final Clock clock;
    private final Map<String, Limit> limits;
    private final Map<String, TokenBucket.State> requests = new ConcurrentHashMap<>();
    private final Map<String, TokenBucket.State> tokens = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> inFlight = new ConcurrentHashMap<>();
    private final Map<Target, Learned> learned = new ConcurrentHashMap<>();

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
     * estimate is only computed for a target with a tokens-per-minute limit. A request the
     * headers said remained is counted off too, so that calls started before the next response
     * arrives do not overdraw it.
     *
     * @return empty when the call may go now, else the instant it may go
     */
    public Optional<Instant> admit(Target target, LongSupplier estimatedTokens) {
        Limit limit = limits.get(target.toString());
        Instant now = null;
        if (limit != null) {
            now = clock.instant();
            if (limit.tokensPerMinute() > 0) {
                Optional<Instant> wait = take(tokens, target.toString(), limit.tokensPerMinute(), estimatedTokens.getAsLong(), now);
                if (wait.isPresent()) {
                    return wait;
                }
            }
            if (limit.requestsPerMinute() > 0) {
                Optional<Instant> wait = take(requests, target.toString(), limit.requestsPerMinute(), 1, now);
                if (wait.isPresent()) {
                    return wait;
                }
            }
        }
        Learned l = learned.get(target);
        if (l != null) {
            l.spendRequest(now == null ? clock.instant() : now);
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

    /**
     * Remembers what a response's rate-limit headers said about {@code target}'s budgets, as of
     * now. A count the headers left out keeps what the last response said.
     */
    public void learn(Target target, RateLimits said) {
        if (said.budgets().isEmpty()) {
            return; // a bare retry-after is the breaker's business (TargetHealth)
        }
        learned.computeIfAbsent(target, k -> new Learned()).update(said, clock.instant());
    }

    /**
     * Whether the headers said a budget of {@code target} is used up and it has not reset yet.
     *
     * @return empty when calls may go, else why not and until when
     */
    public Optional<TargetHealth.Block> exhausted(Target target) {
        Learned l = learned.get(target);
        if (l == null) {
            return Optional.empty();
        }
        return l.exhausted(target, clock.instant());
    }

    /** Every target with configured limits or learned ones, by name. */
    public List<Snapshot> snapshots() {
        Instant now = clock.instant();
        TreeSet<String> names = new TreeSet<>(limits.keySet());
        Map<String, Target> byName = new LinkedHashMap<>();
        learned.keySet().forEach(t -> byName.put(t.toString(), t));
        names.addAll(byName.keySet());
        List<Snapshot> out = new ArrayList<>(names.size());
        for (String name : names) {
            Target target = byName.getOrDefault(name, parse(name));
            List<Budget> budgets = new ArrayList<>();
            Limit limit = limits.get(name);
            if (limit != null) {
                if (limit.requestsPerMinute() > 0) {
                    budgets.add(new Budget("requests_per_minute", limit.requestsPerMinute(),
                            TokenBucket.available(requests.get(name), limit.requestsPerMinute(), Duration.ofMinutes(1), now), null, Source.CONFIG, null));
                }
                if (limit.tokensPerMinute() > 0) {
                    budgets.add(new Budget("tokens_per_minute", limit.tokensPerMinute(),
                            TokenBucket.available(tokens.get(name), limit.tokensPerMinute(), Duration.ofMinutes(1), now), null, Source.CONFIG, null));
                }
                if (limit.concurrency() > 0) {
                    Semaphore s = inFlight.get(name);
                    budgets.add(new Budget("concurrent", limit.concurrency(), s == null ? limit.concurrency() : s.availablePermits(), null, Source.CONFIG, null));
                }
            }
            Learned l = learned.get(target);
            Instant until = null;
            if (l != null) {
                budgets.addAll(l.budgets());
                until = l.exhausted(target, now).map(TargetHealth.Block::until).orElse(null);
            }
            out.add(new Snapshot(target, List.copyOf(budgets), until));
        }
        return out;
    }

    private static Target parse(String name) {
        int slash = name.indexOf('/');
        return slash < 0 ? new Target(name, "") : new Target(name.substring(0, slash), name.substring(slash + 1));
    }

    /** The header budgets of one target, by name; guarded by itself. */
    private static final class Learned {
        private final Map<String, Budget> budgets = new LinkedHashMap<>();

        synchronized void update(RateLimits said, Instant now) {
            for (RateLimits.Budget b : said.budgets()) {
                Budget before = budgets.get(b.name());
                long limit = b.limit() != RateLimits.Budget.UNREPORTED || before == null ? b.limit() : before.limit();
                long remaining = b.remaining() != RateLimits.Budget.UNREPORTED || before == null ? b.remaining() : before.remaining();
                Instant resetAt = b.resetsIn() != null ? now.plus(b.resetsIn()) : before == null ? null : before.resetAt();
                budgets.put(b.name(), new Budget(b.name(), limit, remaining, resetAt, Source.HEADERS, now));
            }
        }

        /** One call is starting: one request fewer remains, as far as this node can tell before the provider says. */
        synchronized void spendRequest(Instant now) {
            Budget r = budgets.get("requests");
            if (r != null && r.remaining() > 0 && r.resetAt() != null && now.isBefore(r.resetAt())) {
                budgets.put("requests", new Budget(r.name(), r.limit(), r.remaining() - 1, r.resetAt(), r.source(), r.updatedAt()));
            }
        }

        synchronized Optional<TargetHealth.Block> exhausted(Target target, Instant now) {
            Budget latest = null;
            for (Budget b : budgets.values()) {
                // A used-up budget without a reset time holds nothing back: there is no telling for how long.
                if (b.remaining() == 0 && b.resetAt() != null && now.isBefore(b.resetAt()) && (latest == null || b.resetAt().isAfter(latest.resetAt()))) {
                    latest = b;
                }
            }
            if (latest == null) {
                return Optional.empty();
            }
            return Optional.of(new TargetHealth.Block(target + " reported 0 " + latest.name().replace('_', ' ') + " left"
                    + (latest.limit() >= 0 ? " of " + latest.limit() : "") + " until " + latest.resetAt() + " (rate-limit headers)", latest.resetAt(), false));
        }

        synchronized List<Budget> budgets() {
            List<Budget> out = new ArrayList<>(budgets.values());
            out.sort(Comparator.comparing(Budget::name));
            return out;
        }
    }
}
