package dev.mainstay.engine;

import dev.mainstay.job.Job;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Callers waiting for a job to finish ({@code Prefer: wait}, instant workflows), woken when the job
 * ends or changes on this node and otherwise polling, since a job may finish on another node.
 */
final class Completions {
    private static final Duration POLL = Duration.ofMillis(200);

    private final Map<String, CompletableFuture<Void>> watchers = new ConcurrentHashMap<>();

    /**
     * Reads the job with {@code read} until it is terminal or {@code timeout} passes, whichever
     * is first, and returns it as it is then.
     */
    Job await(String jobId, Duration timeout, Supplier<Job> read) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            CompletableFuture<Void> signal = watchers.computeIfAbsent(jobId, k -> new CompletableFuture<>());
            Job job = read.get();
            long left = deadline - System.nanoTime();
            if (job.status().isTerminal() || left <= 0) {
                // A job that finished on another node never signals here; drop the entry ourselves.
                watchers.remove(jobId, signal);
                return job;
            }
            try {
                // Bounded waits: the job may finish on another node, which cannot signal us.
                signal.get(Math.min(left, POLL.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException ignored) {
                // look again
            }
        }
    }

    /** The job ended or changed on this node: its waiters read it again now. */
    void signal(String jobId) {
        CompletableFuture<Void> f = watchers.remove(jobId);
        if (f != null) {
            f.complete(null);
        }
    }
}
