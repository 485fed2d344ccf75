package dev.mainstay.limits;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The limits a submit must pass, checked by the store in the same transaction that accepts the
 * job, so concurrent submits on any number of nodes cannot slip past them together. A repeat of
 * an accepted request (same idempotency key) is answered before any of these are checked.
 */
public record Admission(List<Bucket> buckets, List<Ceiling> ceilings, Cooldown cooldown) {
    public static final Admission NONE = new Admission(List.of(), List.of(), null);

    public Admission {
        buckets = List.copyOf(buckets);
        ceilings = List.copyOf(ceilings);
    }

    /**
     * A token bucket: holds at most {@code capacity} tokens, refills {@code capacity} per
     * {@code period} continuously; a submit takes one.
     */
    public record Bucket(String key, long capacity, Duration period, String limit, String scope) {
    }

    /** Refuses once {@code scope}'s spend (settled plus reserved) has reached {@code max}. */
    public record Ceiling(String scope, long max, Hold.Unit unit, String limit, String label, Instant resetsAt) {
    }

    /**
     * Refuses an account's submits for {@code duration} after its last failure once
     * {@code failures} of its jobs in a row failed for upstream reasons.
     */
    public record Cooldown(String accountId, int failures, Duration duration) {
    }
}
