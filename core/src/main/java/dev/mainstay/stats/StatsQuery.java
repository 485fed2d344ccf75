package dev.mainstay.stats;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Which jobs a summary covers: those submitted in {@code [from, to)}, of one account (an account's
 * own summary) or of all ({@code /v1/admin/stats}), of one workflow or of all, with their figures
 * bucketed by hour or day.
 */
public record StatsQuery(Optional<String> accountId, Optional<String> workflow, Instant from, Instant to, Bucket bucket) {
    /** The longest range one summary reads: a year of days, or 31 days of hours. */
    public static final Duration MAX_DAYS = Duration.ofDays(366);
    public static final Duration MAX_HOURS = Duration.ofDays(31);

    /** The width of the buckets of a summary's time series. */
    public enum Bucket {
        HOUR(Duration.ofHours(1)),
        DAY(Duration.ofDays(1));

        private final Duration width;

        Bucket(Duration width) {
            this.width = width;
        }

        public Duration width() {
            return width;
        }

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The start of the bucket {@code t} falls in, in UTC. */
        public Instant start(Instant t) {
            long w = width.toMillis();
            return Instant.ofEpochMilli(Math.floorDiv(t.toEpochMilli(), w) * w);
        }
    }

    public StatsQuery {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(workflow, "workflow");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(bucket, "bucket");
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("from " + from + " must be before to " + to);
        }
        Duration max = bucket == Bucket.HOUR ? MAX_HOURS : MAX_DAYS;
        if (Duration.between(from, to).compareTo(max) > 0) {
            throw new IllegalArgumentException("a summary by " + bucket.wire() + " covers at most " + max.toDays() + " days, asked for "
                    + Duration.between(from, to).toDays());
        }
    }
}
