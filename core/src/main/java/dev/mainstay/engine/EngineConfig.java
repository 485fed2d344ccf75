package dev.mainstay.engine;

import dev.mainstay.routing.TargetHealth;
import dev.mainstay.routing.TargetLimits;
import java.time.Duration;
import java.util.Map;

/**
 * Typed, validated engine settings, frozen once the engine starts.
 *
 * @param nodeId lease owner name of this node; unique among running nodes. On a store several nodes
 *     share, a name that stays the same across restarts of the node lets it take back the leases of
 *     its earlier run at once ({@link dev.mainstay.store.ClaimStore#recoverLeases}) rather than after they expire
 * @param lease how long a claim is valid without a heartbeat
 * @param claimBatch most jobs claimed in one store round trip
 * @param maxInFlight most jobs this node runs at once
 * @param idlePoll longest sleep of an idle dispatcher (it is woken at once by local submits)
 * @param maxBacklog unfinished jobs across all accounts above which submits get 503
 * @param maxAccountBacklog unfinished jobs of one account above which its submits get 429
 * @param shutdownGrace how long a stopping node lets running jobs finish before handing them back
 * @param providerConcurrency concurrent calls per provider name; {@code *} is the default
 * @param breakerFailures consecutive provider failures that open a target's circuit
 * @param breakerCooldown how long an open circuit stays open before one trial call
 * @param targetLimits concurrency and per-minute budgets by {@code provider/model}
 * @param defaultLimits account limits for accounts an operator set none on
 * @param cooldownFailures upstream job failures in a row after which an account's submits are
 *     refused for {@code cooldown}; 0 turns the cooldown off
 * @param idempotencyWindow how long an idempotency key points at the job it created; after it, the
 *     same key creates a new job
 */
public record EngineConfig(
        String nodeId,
        Duration lease,
        int claimBatch,
        int maxInFlight,
        Duration idlePoll,
        long maxBacklog,
        long maxAccountBacklog,
        Duration shutdownGrace,
        Map<String, Integer> providerConcurrency,
        String toolchainVersion,
        int breakerFailures,
        Duration breakerCooldown,
        Map<String, TargetLimits.Limit> targetLimits,
        dev.mainstay.limits.AccountLimits defaultLimits,
        int cooldownFailures,
        Duration cooldown,
        Duration idempotencyWindow) {

    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    public static final int DEFAULT_CLAIM_BATCH = 64;
    public static final int DEFAULT_MAX_IN_FLIGHT = 2_000;
    public static final Duration DEFAULT_IDLE_POLL = Duration.ofMillis(250);
    public static final long DEFAULT_MAX_BACKLOG = 100_000;
    public static final long DEFAULT_MAX_ACCOUNT_BACKLOG = 20_000;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    public static final int DEFAULT_PROVIDER_CONCURRENCY = 256;
    public static final int DEFAULT_COOLDOWN_FAILURES = 20;
    public static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(30);
    /** The common convention for idempotency keys. */
    public static final Duration DEFAULT_IDEMPOTENCY_WINDOW = Duration.ofHours(24);

    /** Settings with the default idempotency window. */
    public EngineConfig(String nodeId, Duration lease, int claimBatch, int maxInFlight, Duration idlePoll, long maxBacklog, long maxAccountBacklog,
                        Duration shutdownGrace, Map<String, Integer> providerConcurrency, String toolchainVersion, int breakerFailures,
                        Duration breakerCooldown, Map<String, TargetLimits.Limit> targetLimits, dev.mainstay.limits.AccountLimits defaultLimits,
                        int cooldownFailures, Duration cooldown) {
        this(nodeId, lease, claimBatch, maxInFlight, idlePoll, maxBacklog, maxAccountBacklog, shutdownGrace, providerConcurrency, toolchainVersion,
                breakerFailures, breakerCooldown, targetLimits, defaultLimits, cooldownFailures, cooldown, DEFAULT_IDEMPOTENCY_WINDOW);
    }

    public EngineConfig {
        providerConcurrency = Map.copyOf(providerConcurrency);
        targetLimits = Map.copyOf(targetLimits);
        if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("lease must be at least 1s, got " + lease);
        }
        if (claimBatch < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("claimBatch and maxInFlight must be positive");
        }
        if (cooldownFailures < 0) {
            throw new IllegalArgumentException("cooldownFailures must not be negative");
        }
        if (idempotencyWindow.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("idempotencyWindow must be at least 1s, got " + idempotencyWindow);
        }
        if (maxBacklog < 1 || maxAccountBacklog < 1) {
            throw new IllegalArgumentException("backlog limits must be positive");
        }
    }

    public static EngineConfig defaults(String nodeId, String toolchainVersion) {
        return new EngineConfig(nodeId, DEFAULT_LEASE, DEFAULT_CLAIM_BATCH, DEFAULT_MAX_IN_FLIGHT, DEFAULT_IDLE_POLL,
                DEFAULT_MAX_BACKLOG, DEFAULT_MAX_ACCOUNT_BACKLOG, DEFAULT_SHUTDOWN_GRACE, Map.of(), toolchainVersion,
                TargetHealth.DEFAULT_FAILURE_THRESHOLD, TargetHealth.DEFAULT_COOLDOWN, Map.of(), dev.mainstay.limits.AccountLimits.NONE,
                DEFAULT_COOLDOWN_FAILURES, DEFAULT_COOLDOWN);
    }

    public int providerConcurrency(String provider) {
        return providerConcurrency.getOrDefault(provider, providerConcurrency.getOrDefault("*", DEFAULT_PROVIDER_CONCURRENCY));
    }

    public EngineConfig withLease(Duration lease) {
        return new EngineConfig(nodeId, lease, claimBatch, maxInFlight, idlePoll, maxBacklog, maxAccountBacklog, shutdownGrace, providerConcurrency, toolchainVersion, breakerFailures, breakerCooldown, targetLimits, defaultLimits, cooldownFailures, cooldown);
    }

    public EngineConfig withBacklog(long maxBacklog, long maxAccountBacklog) {
        return new EngineConfig(nodeId, lease, claimBatch, maxInFlight, idlePoll, maxBacklog, maxAccountBacklog, shutdownGrace, providerConcurrency, toolchainVersion, breakerFailures, breakerCooldown, targetLimits, defaultLimits, cooldownFailures, cooldown);
    }

    public EngineConfig withShutdownGrace(Duration grace) {
        return new EngineConfig(nodeId, lease, claimBatch, maxInFlight, idlePoll, maxBacklog, maxAccountBacklog, grace, providerConcurrency, toolchainVersion, breakerFailures, breakerCooldown, targetLimits, defaultLimits, cooldownFailures, cooldown);
    }
}
