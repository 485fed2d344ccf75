package dev.mainstay.usage;

import java.time.Instant;

/**
 * A question to the usage ledger: spend between {@code from} (inclusive) and {@code to}
 * (exclusive), for one account or (with {@code null}) all, of one workflow or (with {@code null})
 * all, grouped by {@code groupBy}.
 */
public record UsageQuery(String accountId, Instant from, Instant to, GroupBy groupBy, String workflow) {
    /** Spend of every workflow. */
    public UsageQuery(String accountId, Instant from, Instant to, GroupBy groupBy) {
        this(accountId, from, to, groupBy, null);
    }

    public enum GroupBy {
        DAY, WORKFLOW, MODEL, ACCOUNT;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One group's totals; {@code key} is the day (YYYY-MM-DD), workflow, provider/model or account.
     * The totals include the calls charged at their estimate because their outcome is unknown
     * ({@link Charge#unknownOutcome()}); {@code unknownOutcomeCalls} and
     * {@code unknownOutcomeCostMicros} say how many and how much of it.
     */
    public record Row(String key, long calls, long inputTokens, long cachedInputTokens, long outputTokens, long costMicros,
                      long unknownOutcomeCalls, long unknownOutcomeCostMicros) {
        /** Totals without any call of unknown outcome. */
        public Row(String key, long calls, long inputTokens, long cachedInputTokens, long outputTokens, long costMicros) {
            this(key, calls, inputTokens, cachedInputTokens, outputTokens, costMicros, 0, 0);
        }

        public Row plus(Row other) {
            return new Row(key, calls + other.calls, inputTokens + other.inputTokens, cachedInputTokens + other.cachedInputTokens,
                    outputTokens + other.outputTokens, costMicros + other.costMicros, unknownOutcomeCalls + other.unknownOutcomeCalls,
                    unknownOutcomeCostMicros + other.unknownOutcomeCostMicros);
        }
    }
}
