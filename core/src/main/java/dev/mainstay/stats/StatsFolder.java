package dev.mainstay.stats;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the store's pre-bucketed stats counts up to date: every {@link #DEFAULT_EVERY}, folds the
 * jobs finished since, in bounded batches, each its own short transaction beside the jobs' own
 * (never inside them). Every node may run one: the store counts each job once whichever node
 * folds it. Until a job is folded a summary reads it row by row, so a slow fold makes summaries
 * slower, never wrong.
 */
public final class StatsFolder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatsFolder.class);
    public static final Duration DEFAULT_EVERY = Duration.ofSeconds(5);
    public static final int DEFAULT_BATCH = 500;
    /** At most this many batches a round, so that a backlog (a first start on old jobs) is worked off a round at a time. */
    static final int MAX_BATCHES = 200;

    /** One batch of the store's fold: folds at most {@code max} jobs, returns how many it folded. */
    @FunctionalInterface
    public interface Fold {
        int fold(Instant now, int max);
    }

    private final Fold fold;
    private final Clock clock;
    private final Duration every;
    private final int batch;
    private Thread thread;

    public StatsFolder(Fold fold, Clock clock, Duration every, int batch) {
        if (every.isNegative() || every.isZero() || batch < 1) {
            throw new IllegalArgumentException("a stats fold needs a positive period and batch, got every " + every + ", batch " + batch);
        }
        this.fold = fold;
        this.clock = clock;
        this.every = every;
        this.batch = batch;
    }

    /** Folds what is finished now, batch after batch, until a batch comes back short; how many jobs it folded. */
    public int foldNow() {
        int total = 0;
        for (int i = 0; i < MAX_BATCHES; i++) {
            int n = fold.fold(clock.instant(), batch);
            total += n;
            if (n < batch) {
                break;
            }
        }
        return total;
    }

    /** Starts folding every period, the first time one period after start. */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = Thread.ofVirtual().name("mainstay-stats-fold").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(every);
                    foldNow();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("stats fold failed; will try again in {}", every, e);
                }
            }
        });
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
            thread = null;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
