package dev.mainstay.stats;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The spread of a measure over the cases of a run, by the nearest-rank method: each percentile is
 * a value some case actually had. All zero for a run without cases.
 */
public record Percentiles<T extends Comparable<? super T>>(T p50, T p90, T p95, T p99, T max) {
    public Percentiles {
        if (p50 == null || p90 == null || p95 == null || p99 == null || max == null) {
            throw new IllegalArgumentException("every percentile is required");
        }
    }

    /** The percentiles of {@code values}; all {@code zero} when there are none. */
    public static <T extends Comparable<? super T>> Percentiles<T> of(Collection<T> values, T zero) {
        if (values.isEmpty()) {
            return new Percentiles<>(zero, zero, zero, zero, zero);
        }
        List<T> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return new Percentiles<>(rank(sorted, 50), rank(sorted, 90), rank(sorted, 95), rank(sorted, 99), sorted.getLast());
    }

    /** The smallest value with at least {@code p} percent of the values at or below it. */
    static <T> T rank(List<T> sorted, int p) {
        int n = sorted.size();
        int index = (int) Math.ceil(p / 100.0 * n) - 1;
        return sorted.get(Math.max(0, Math.min(n - 1, index)));
    }
}
