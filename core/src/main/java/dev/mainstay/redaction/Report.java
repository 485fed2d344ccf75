package dev.mainstay.redaction;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How many values of each category a redaction found: what the audit log and job records may
 * say about the redacted data. Holds counts only, never a value.
 *
 * @param counts per category, only categories with at least one value, in priority order
 */
public record Report(Map<Category, Integer> counts) {
    public static final Report EMPTY = new Report(Map.of());

    public Report {
        EnumMap<Category, Integer> copy = new EnumMap<>(Category.class);
        counts.forEach((category, count) -> {
            if (count < 0) {
                throw new IllegalArgumentException("negative count " + count + " for " + category.wire());
            }
            if (count > 0) {
                copy.put(category, count);
            }
        });
        counts = Collections.unmodifiableMap(copy);
    }

    public int count(Category category) {
        return counts.getOrDefault(category, 0);
    }

    public int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    public boolean isEmpty() {
        return counts.isEmpty();
    }

    public Set<Category> categories() {
        return counts.keySet();
    }

    /** The counts of both reports added up, e.g. over the prompts of one job. */
    public Report plus(Report other) {
        EnumMap<Category, Integer> sum = new EnumMap<>(Category.class);
        sum.putAll(counts);
        other.counts.forEach((category, count) -> sum.merge(category, count, Integer::sum));
        return new Report(sum);
    }

    /** Only the counts of {@code categories}. */
    public Report only(Set<Category> categories) {
        EnumMap<Category, Integer> kept = new EnumMap<>(Category.class);
        counts.forEach((category, count) -> {
            if (categories.contains(category)) {
                kept.put(category, count);
            }
        });
        return new Report(kept);
    }

    /** E.g. {@code secret: 2, email: 1}, or {@code nothing} when empty. */
    @Override
    public String toString() {
        return counts.isEmpty() ? "nothing" : counts.entrySet().stream()
                .map(e -> e.getKey().wire() + ": " + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
