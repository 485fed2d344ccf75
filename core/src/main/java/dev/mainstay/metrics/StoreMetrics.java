package dev.mainstay.metrics;

import java.time.Duration;

/**
 * What a store tells about its writes: each commit of a group of changes, how long it took and
 * how many callers' changes it carried (group commit makes that more than one under load).
 */
public interface StoreMetrics {
    /** Counts nothing. */
    StoreMetrics NONE = (latency, changes) -> {
    };

    /** Must be cheap and must not throw: it runs on the store's writer thread. */
    void committed(Duration latency, int changes);
}
