package dev.mainstay.engine;

import dev.mainstay.limits.RefusalCount;
import dev.mainstay.store.RefusalStore;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts a node's admission refusals per account, day and kind in memory and adds them to the
 * store every {@link #FLUSH_EVERY}: a refused request costs no write of its own, so a flood of them
 * is one small transaction every few seconds however large it is, and nothing is written while
 * nothing is refused. Counts not yet written when the node dies are lost; the node's
 * {@code mainstay_jobs_refused_total} counter saw them.
 */
final class RefusalTally {
    private static final Logger LOG = LoggerFactory.getLogger(RefusalTally.class);
    static final Duration FLUSH_EVERY = Duration.ofSeconds(2);

    private record Key(String accountId, LocalDate day, String kind) {
    }

    private final RefusalStore store;
    private final Clock clock;
    private final ConcurrentHashMap<Key, Long> counts = new ConcurrentHashMap<>();
    private volatile boolean stopping;
    private Thread flusher;

    RefusalTally(RefusalStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** One refused submit of {@code accountId} by the limit {@code kind}. */
    void refused(String accountId, String kind) {
        counts.merge(new Key(accountId, LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC), kind), 1L, Long::sum);
    }

    synchronized void start() {
        if (flusher != null) {
            return;
        }
        stopping = false;
        flusher = Thread.ofVirtual().name("mainstay-refusal-tally").start(() -> {
            while (!stopping) {
                LockSupport.parkNanos(FLUSH_EVERY.toNanos());
                flush();
            }
        });
    }

    /** Stops the flushes and writes what is left. */
    synchronized void stop() {
        Thread t = flusher;
        flusher = null;
        stopping = true;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(FLUSH_EVERY.multipliedBy(5).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        flush();
    }

    /** Writes the counts so far; a count that could not be written is kept for the next flush. */
    void flush() {
        List<RefusalCount> batch = new ArrayList<>();
        for (Key k : counts.keySet()) {
            // Taken, not read: a refusal counted meanwhile starts the key afresh, for the next flush.
            Long n = counts.remove(k);
            if (n != null && n > 0) {
                batch.add(new RefusalCount(k.accountId(), k.day(), k.kind(), n));
            }
        }
        if (batch.isEmpty()) {
            return;
        }
        try {
            store.addRefusals(batch);
        } catch (RuntimeException ex) {
            LOG.warn("could not write {} refusal counts (accounts {}), kept for the next flush: {}", batch.size(),
                    batch.stream().map(RefusalCount::accountId).distinct().limit(5).toList(), ex.toString());
            for (RefusalCount c : batch) {
                counts.merge(new Key(c.accountId(), c.day(), c.kind()), c.count(), Long::sum);
            }
        }
    }
}
