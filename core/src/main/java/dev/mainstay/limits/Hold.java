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
public record Hold(String scope, Unit unit, long amount, long max, ErrorCode code, String limit, String label, Instant resetsAt) {
    public Hold {
        if (amount < 0 || max < 0) {
            throw new IllegalArgumentException("holds are not negative");
        }
    }

    /** What a scope counts. */
    public enum Unit {
        MICRO_USD, TOKENS
    }
}
