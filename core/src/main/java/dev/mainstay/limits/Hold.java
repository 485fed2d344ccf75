package dev.mainstay.limits;

import dev.mainstay.ErrorCode;
import java.time.Instant;

/**
 * One budget a reservation draws on: {@code amount} of {@code unit} held against {@code scope}
 * while the call runs, refused if the scope's settled plus reserved spend would pass {@code max}.
 *
 * @param limit the limit's name for the refusal, e.g. {@code tokens_per_day}
 * @param label who the limit belongs to, for the refusal, e.g. {@code account acme}
 * @param resetsAt when the scope's period ends, or {@code null} for a budget that never resets
 */
public record Hold(String scope, Unit unit, long amount, long max, String limit, String label, Instant resetsAt) {
    public Hold {
        if (amount < 0 || max < 0) {
            throw new IllegalArgumentException("holds are not negative");
        }
    }

    /** The code a refusal of this hold carries. */
    public ErrorCode code() {
        return unit.refusal();
    }

    /** What a scope counts. */
    public enum Unit {
        MICRO_USD, TOKENS;

        /** {@code budget_exceeded} for money, {@code quota_exceeded} for tokens. */
        public ErrorCode refusal() {
            return this == MICRO_USD ? ErrorCode.BUDGET_EXCEEDED : ErrorCode.QUOTA_EXCEEDED;
        }

        /** An amount for people: {@code $0.250000} or {@code 1200 tokens}. */
        public String describe(long amount) {
            return this == MICRO_USD ? "$" + AccountLimits.Money.usd(amount) : amount + " tokens";
        }
    }
}
