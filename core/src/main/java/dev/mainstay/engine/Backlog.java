package dev.mainstay.engine;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The backlog counts that admission compares with its limits. Counting a store's unfinished jobs
 * reads every one of them, so a count is reused while it is far below its limit: for at most
 * {@link #FRESH}, and only while the count plus this node's submits since then stays under half the
 * limit. Near a limit every submit counts afresh, so the limits hold as exactly as before; far from
 * one, the submits of other nodes in the last second go unseen, which cannot carry a backlog from
 * under half its limit to over it unless they arrive faster than half the limit per second.
 */
final class Backlog {
    static final Duration FRESH = Duration.ofSeconds(1);
    /** The key of the count over all accounts. */
    static final String ALL = "";

    private record Sample(long count, long takenAt, AtomicLong since) {
    }

    private final ConcurrentHashMap<String, Sample> samples = new ConcurrentHashMap<>();

    /**
     * The unfinished jobs of {@code key} ({@link #ALL} or an account id): a recent count when it
     * is far below {@code limit}, otherwise {@code exact}'s.
     */
    long count(String key, long limit, LongSupplier exact) {
        Sample s = samples.get(key);
        long now = System.nanoTime();
        if (s != null && now - s.takenAt() < FRESH.toNanos()) {
            long estimate = s.count() + s.since().get();
            if (estimate < limit / 2) {
                return estimate;
            }
        }
        long count = exact.getAsLong();
        if (samples.size() > 100_000) {
            samples.clear(); // one entry per account that submitted in the last second, unless accounts are made faster than that
        }
        samples.put(key, new Sample(count, now, new AtomicLong()));
        return count;
    }

    /** A job of {@code accountId} was admitted; counts as part of every reused count from now on. */
    void admitted(String accountId) {
        for (String key : new String[] {accountId, ALL}) {
            Sample s = samples.get(key);
            if (s != null) {
                s.since().incrementAndGet();
            }
        }
    }
}
