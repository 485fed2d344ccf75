package dev.mainstay.server.metrics;

import dev.mainstay.job.JobStatus;
import dev.mainstay.stats.QueueSnapshot;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The gauges of a node: what is read rather than counted. The queue's figures come from the store
 * (so they are the cluster's, the same on every node), read at most once per {@code maxAge}
 * however often Prometheus scrapes; jobs in flight and breakers are this node's own.
 */
public final class NodeGauges {
    /** How old a store snapshot may be before a scrape reads a new one. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(2);

    /** One route target's breaker as this node sees it. */
    public record Breaker(String provider, String model, boolean open) {
    }

    private final Supplier<QueueSnapshot> source;
    private final Clock clock;
    private final Duration maxAge;
    private QueueSnapshot last;
    private Instant readAt;

    private NodeGauges(Supplier<QueueSnapshot> source, Clock clock, Duration maxAge) {
        this.source = source;
        this.clock = clock;
        this.maxAge = maxAge;
    }

    /**
     * Registers every gauge on {@code metrics}.
     *
     * @param queue reads the store's snapshot (a few indexed counts)
     * @param inFlight jobs running on this node
     * @param breakers every target this node has called, with its breaker
     */
    public static void register(PrometheusMetrics metrics, Supplier<QueueSnapshot> queue, IntSupplier inFlight,
                                Supplier<java.util.List<Breaker>> breakers, Clock clock, Duration maxAge) {
        NodeGauges g = new NodeGauges(queue, clock, maxAge);
        for (JobStatus s : JobStatus.values()) {
            if (!s.isTerminal()) {
                metrics.gauge("mainstay.queue.jobs", "Unfinished jobs in the store by status (the cluster's, not this node's)", Tags.of("status", s.wire()),
                        () -> g.snapshot().unfinished().getOrDefault(s, 0L));
            }
        }
        metrics.gauge("mainstay.queue.oldest.due.age.seconds", "How long the job due the longest has waited to be claimed", Tags.empty(),
                () -> seconds(g.snapshot().oldestDue()));
        metrics.gauge("mainstay.dead.letter.jobs", "Failed jobs marked for replay (dead letters)", Tags.empty(), () -> g.snapshot().deadLetters());
        metrics.gauge("mainstay.reviews.open", "Reviews waiting for a person", Tags.empty(), () -> g.snapshot().openReviews());
        metrics.gauge("mainstay.reviews.oldest.age.seconds", "Age of the oldest open review", Tags.empty(), () -> seconds(g.snapshot().oldestReview()));
        metrics.gauge("mainstay.budget.holds", "Budget reservations still held (calls in flight or of unknown outcome)", Tags.empty(),
                () -> g.snapshot().heldReservations());
        metrics.gauge("mainstay.budget.held.usd", "What the held budget reservations hold, in US dollars", Tags.empty(),
                () -> g.snapshot().heldMicros() / 1_000_000.0);
        metrics.gauge("mainstay.jobs.in.flight", "Jobs running on this node", Tags.empty(), inFlight::getAsInt);
        metrics.gauge("mainstay.breakers.open", "Route targets whose circuit breaker is open on this node", Tags.empty(),
                () -> breakers.get().stream().filter(Breaker::open).count());
        metrics.registerBreakers(breakers);
    }

    private synchronized QueueSnapshot snapshot() {
        Instant now = clock.instant();
        if (last == null || !now.isBefore(readAt.plus(maxAge))) {
            last = source.get();
            readAt = now;
        }
        return last;
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
