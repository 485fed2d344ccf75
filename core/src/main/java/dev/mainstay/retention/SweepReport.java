package dev.mainstay.retention;

import dev.mainstay.store.RetentionStore.Removed;
import java.time.Instant;
import java.util.Map;

/**
 * What one sweep removed, by kind; or that another node held the lease and this one did nothing.
 *
 * @param leased whether this node swept
 */
public record SweepReport(Instant at, boolean leased, Map<Kind, Removed> removed) {
    public SweepReport {
        removed = Map.copyOf(removed);
    }

    /** What a sweep removes. */
    public enum Kind {
        PAYLOADS("payloads"), JOBS("jobs"), EVENTS("events"), CACHE("cache"), IDEMPOTENCY_KEYS("idempotency_keys"), AUDIT("audit");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    public Removed of(Kind kind) {
        return removed.getOrDefault(kind, Removed.NONE);
    }
}
