package dev.mainstay.usage;

import java.time.Instant;

/**
 * A question to the usage ledger: spend between {@code from} (inclusive) and {@code to}
 * (exclusive), for one account or (with {@code null}) all, grouped by {@code groupBy}.
 */
public record UsageQuery(String accountId, Instant from, Instant to, GroupBy groupBy) {
    public enum GroupBy {
        DAY, WORKFLOW, MODEL, ACCOUNT;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One group's totals; {@code key} is the day (YYYY-MM-DD), workflow, provider/model or account. */
    public record Row(String key, long calls, long inputTokens, long cachedInputTokens, long outputTokens, long costMicros) {
    }
}
