package dev.mainstay.retention;

import dev.mainstay.retention.SweepReport.Kind;
import dev.mainstay.store.AuditStore;
import dev.mainstay.store.ErasureStore;
import dev.mainstay.store.RetentionStore;
import dev.mainstay.store.RetentionStore.Removed;
import dev.mainstay.store.RetentionStore.Scope;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces the retention policy: every {@code sweep_every}, on the one node that holds the sweep
 * lease, removes what is past its window in bounded batches. Each batch is its own transaction, so
 * submits interleave with a long sweep instead of waiting for it.
 */
public final class Sweeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sweeper.class);

    private final RetentionStore store;
    private final AuditStore audit;
    private final ErasureStore erasure;
    private final RetentionConfig config;
    private final Clock clock;
    private final String nodeId;
    private final Map<Kind, Removed> totals = new EnumMap<>(Kind.class);
    private SweepReport last;
    private long sweeps;
    private Thread thread;
    private volatile Runnable everySweep = () -> { };

    public <S extends RetentionStore & AuditStore & ErasureStore> Sweeper(S store, RetentionConfig config, Clock clock, String nodeId) {
        this.store = store;
        this.audit = store;
        this.erasure = store;
        this.config = config;
        this.clock = clock;
        this.nodeId = nodeId;
    }

    public RetentionConfig config() {
        return config;
    }

    /**
     * One sweep, now: takes the lease (or reports that another node holds it), then removes what
     * each window has passed, at most {@code maxBatches} batches of each kind.
     */
    public synchronized SweepReport sweep() {
        Instant now = clock.instant();
        try {
            everySweep.run();
        } catch (RuntimeException e) {
            LOG.warn("the task run with every sweep on node {} failed; the sweep goes on", nodeId, e);
        }
        // Held for two periods, so the node that sweeps keeps sweeping; another takes over after it stops.
        if (!store.leaseSweep(nodeId, now, now.plus(config.sweepEvery().multipliedBy(2)))) {
            return new SweepReport(now, false, Map.of());
        }
        Map<Kind, Removed> removed = new EnumMap<>(Kind.class);
        Set<String> own = new HashSet<>(config.workflows().keySet());
        Map<Scope, RetentionPolicy> scopes = new java.util.LinkedHashMap<>();
        config.workflows().forEach((name, policy) -> scopes.put(new Scope.Only(name), policy));
        scopes.put(new Scope.AllBut(own), config.defaults());
        scopes.forEach((scope, policy) -> {
            // Jobs first: a job past both windows is deleted once rather than emptied and then deleted.
            add(removed, Kind.JOBS, batches(max -> store.deleteJobs(scope, now.minus(policy.jobs()), max)));
            add(removed, Kind.PAYLOADS, batches(max -> store.expirePayloads(scope, now.minus(policy.payloads()), now, max)));
            add(removed, Kind.EVENTS, batches(max -> store.deleteEvents(scope, now.minus(policy.events()), max)));
        });
        add(removed, Kind.CACHE, batches(max -> store.deleteCachedOutputs(now, now.minus(config.cache()), max)));
        add(removed, Kind.IDEMPOTENCY_KEYS, batches(max -> store.deleteIdempotencyKeys(now.minus(config.idempotencyKeys()), max)));
        if (removed.values().stream().anyMatch(r -> r.rows() > 0)) {
            erasure.reclaim(false);
        }
        if (config.audit() != null) {
            Instant before = now.minus(config.audit());
            // The cut is itself recorded in the chain it cuts, naming the checkpoint, so the
            // verifier trusts a chain that starts there and no other.
            erasure.cutAudit(before, cp -> new dev.mainstay.audit.AuditEvent(now, dev.mainstay.audit.AuditEvent.SYSTEM, dev.mainstay.audit.AuditAction.AUDIT_CUT,
                    null, null, dev.mainstay.Json.object().put("node", nodeId).put("through_seq", cp.throughSeq()).put("head_hash", cp.headHash())
                            .put("removed", cp.removed()).put("before", before.toString())))
                    .ifPresent(cp -> removed.put(Kind.AUDIT, new Removed(cp.removed(), 0)));
        }
        SweepReport report = new SweepReport(now, true, removed);
        removed.forEach((kind, r) -> totals.merge(kind, r, Removed::plus));
        last = report;
        sweeps++;
        if (removed.values().stream().anyMatch(r -> r.rows() > 0)) {
            LOG.info("retention sweep on node {}: {}", nodeId, describe(removed));
            // Counts only: what was removed is named by kind and number, never by content.
            var details = dev.mainstay.Json.object().put("node", nodeId);
            removed.forEach((kind, r) -> details.putObject(kind.wire()).put("rows", r.rows()).put("characters", r.characters()));
            audit.audit(java.util.List.of(new dev.mainstay.audit.AuditEvent(now, dev.mainstay.audit.AuditEvent.SYSTEM,
                    dev.mainstay.audit.AuditAction.DATA_EXPIRED, null, null, details)));
        }
        return report;
    }

    /**
     * Runs {@code task} at the start of every sweep of this node, whether or not it holds the
     * sweep lease: work each node does for itself on the sweeper's schedule (its erasure log).
     */
    public void everySweep(Runnable task) {
        this.everySweep = task;
    }

    /** What the last sweep of this node did, if it swept. */
    public synchronized java.util.Optional<SweepReport> last() {
        return java.util.Optional.ofNullable(last);
    }

    /** What this node's sweeps removed since it started, by kind. */
    public synchronized Map<Kind, Removed> totals() {
        return Map.copyOf(totals);
    }

    /** Sweeps this node made since it started (not counting those another node's lease skipped). */
    public synchronized long sweeps() {
        return sweeps;
    }

    private Removed batches(IntFunction<Removed> batch) {
        Removed all = Removed.NONE;
        for (int i = 0; i < config.maxBatches(); i++) {
            long started = System.nanoTime();
            Removed one = batch.apply(config.batch());
            all = all.plus(one);
            if (one == Removed.NONE || one.rows() == 0 || !Pace.after(started)) {
                break;
            }
        }
        return all;
    }

    private static void add(Map<Kind, Removed> removed, Kind kind, Removed r) {
        removed.merge(kind, r, Removed::plus);
    }

    private static String describe(Map<Kind, Removed> removed) {
        StringBuilder out = new StringBuilder();
        removed.forEach((kind, r) -> out.append(out.isEmpty() ? "" : ", ").append(kind.wire()).append(' ').append(r.rows()).append(" rows ")
                .append(r.characters()).append(" chars"));
        return out.toString();
    }

    /** Starts sweeping every {@code sweep_every}, the first time one period after start. */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        Duration every = config.sweepEvery();
        thread = Thread.ofVirtual().name("mainstay-retention").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(every);
                    sweep();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("retention sweep on node {} failed; will try again in {}", nodeId, every, e);
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
