package dev.mainstay.retention;

import java.time.Duration;

/**
 * Spaces out the bounded batches of a sweep or an erasure so that together they take at most about
 * a quarter of the writer's time: after each batch, a pause three times as long as the batch took
 * (at most {@link #MAX_PAUSE}). Half (a pause as long as the batch) raised submit p99 twice over
 * during a sweep of 100,000 expired payloads; a quarter, with batches of 25 rows, by a sixth. A batch is one transaction of the node's single writer (SQLite) or holds
 * row locks and I/O (PostgreSQL): back to back, a long run of them keeps a submit that arrives
 * meanwhile waiting for one batch after another; paced, a submit waits for one at most.
 */
final class Pace {
    static final Duration MAX_PAUSE = Duration.ofMillis(250);
    /** The pause after a batch, in multiples of the time the batch took. */
    private static final long SHARE = 3;

    private Pace() {
    }

    /**
     * Pauses after a batch that started at {@code startedNanos} ({@link System#nanoTime()}); false
     * when the thread was interrupted (the node is stopping), and the caller should stop its batches.
     */
    static boolean after(long startedNanos) {
        long took = System.nanoTime() - startedNanos;
        try {
            Thread.sleep(Duration.ofNanos(Math.min(SHARE * took, MAX_PAUSE.toNanos())));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
