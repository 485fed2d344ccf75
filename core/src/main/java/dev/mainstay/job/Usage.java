package dev.mainstay.job;

/**
 * Tokens and money spent. Cost is kept in exact micro-dollars (1 USD = 1,000,000), never as a
 * floating-point number.
 */
public record Usage(long inputTokens, long outputTokens, long costMicros) {
    public static final Usage ZERO = new Usage(0, 0, 0);

    public Usage {
        if (inputTokens < 0 || outputTokens < 0 || costMicros < 0) {
            throw new IllegalArgumentException("usage cannot be negative: " + inputTokens + "/" + outputTokens + "/" + costMicros);
        }
    }

    public Usage plus(Usage other) {
        return new Usage(inputTokens + other.inputTokens, outputTokens + other.outputTokens, costMicros + other.costMicros);
    }

    /** The cost as a plain decimal string of dollars, e.g. {@code "0.000420"}. */
    public String costUsd() {
        return dev.mainstay.limits.AccountLimits.Money.usd(costMicros);
    }
}
