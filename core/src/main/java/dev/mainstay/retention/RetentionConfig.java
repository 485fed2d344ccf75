package dev.mainstay.retention;

import java.time.Duration;
import java.util.Map;

/**
 * The retention settings of a node, frozen at start.
 *
 * @param defaults the policy of every workflow without its own
 * @param workflows the policies of workflows that have their own, by workflow name
 * @param cache how long a cached stage output is kept at most, whatever its own expiry
 * @param idempotencyKeys how long an idempotency key points at its job
 * @param sweepEvery how often the sweeper runs (on one node at a time)
 * @param batch most rows one batch (one transaction) touches
 * @param maxBatches most batches of each kind in one sweep, so that a sweep ends; what is left
 *     goes in the next sweep
 * @param audit how long audit records are kept before the log is cut at an anchored checkpoint;
 *     null to keep them for good (the default)
 */
public record RetentionConfig(
        RetentionPolicy defaults,
        Map<String, RetentionPolicy> workflows,
        Duration cache,
        Duration idempotencyKeys,
        Duration sweepEvery,
        int batch,
        int maxBatches,
        Duration audit) {

    public static final Duration DEFAULT_CACHE = Duration.ofDays(7);
    public static final Duration DEFAULT_IDEMPOTENCY_KEYS = Duration.ofHours(24);
    public static final Duration DEFAULT_SWEEP_EVERY = Duration.ofMinutes(10);
    public static final int DEFAULT_BATCH = 25;
    public static final int DEFAULT_MAX_BATCHES = 4_000;
    public static final RetentionConfig DEFAULT = new RetentionConfig(RetentionPolicy.DEFAULT, Map.of(), DEFAULT_CACHE, DEFAULT_IDEMPOTENCY_KEYS,
            DEFAULT_SWEEP_EVERY, DEFAULT_BATCH, DEFAULT_MAX_BATCHES, null);

    public RetentionConfig {
        workflows = Map.copyOf(workflows);
        RetentionPolicy.positive("cache", cache);
        RetentionPolicy.positive("idempotency_keys", idempotencyKeys);
        RetentionPolicy.positive("sweep_every", sweepEvery);
        if (audit != null) {
            RetentionPolicy.positive("audit", audit);
        }
        if (batch < 1 || batch > 5_000 || maxBatches < 1) {
            throw new IllegalArgumentException("retention: batch must be 1 to 5000 and max batches positive, got " + batch + " and " + maxBatches);
        }
    }

    public RetentionConfig(RetentionPolicy defaults, Map<String, RetentionPolicy> workflows, Duration cache, Duration idempotencyKeys, Duration sweepEvery,
                           int batch, int maxBatches) {
        this(defaults, workflows, cache, idempotencyKeys, sweepEvery, batch, maxBatches, null);
    }

    /** The policy of {@code workflow}. */
    public RetentionPolicy policy(String workflow) {
        return workflows.getOrDefault(workflow, defaults);
    }
}
