package dev.mainstay.provider;

import java.time.Duration;
import java.util.List;

/**
 * What a provider's response headers said about its rate limits, as read by the wire client:
 * for each budget it reports (OpenAI's {@code x-ratelimit-*-requests} and {@code -tokens},
 * Anthropic's {@code anthropic-ratelimit-requests-*}, {@code -tokens-*}, {@code -input-tokens-*}
 * and {@code -output-tokens-*}) its limit, what remains and how long until it resets. A header
 * that is missing or malformed is simply not in it; a response without any is {@link #NONE}. The
 * wait a {@code retry-after} or {@code retry-after-ms} asks for is the outcome's own
 * ({@code RateLimited.retryAfter}, {@code Transient.retryAfter}).
 *
 * <p>Resets are carried as durations measured when the response arrived, so the engine places
 * them on its own clock whatever the wire format said (OpenAI sends {@code 6m0s}, Anthropic an
 * RFC 3339 instant).
 */
public record RateLimits(List<Budget> budgets) {
    /** A response that said nothing about rate limits. */
    public static final RateLimits NONE = new RateLimits(List.of());

    /**
     * One budget as reported, e.g. {@code requests}: limit 500, remaining 0, resets in 1.2 s.
     *
     * @param name {@code requests}, {@code tokens}, {@code input_tokens} or {@code output_tokens}
     * @param limit the budget's size, or {@link #UNREPORTED}
     * @param remaining what is left of it, or {@link #UNREPORTED}
     * @param resetsIn how long until it is full again, or {@code null} when not reported
     */
    public record Budget(String name, long limit, long remaining, Duration resetsIn) {
        /** A count the response did not carry, or carried as something other than a whole number of zero or more. */
        public static final long UNREPORTED = -1;

        public Budget {
            if (limit < UNREPORTED || remaining < UNREPORTED) {
                throw new IllegalArgumentException("budget " + name + ": limit " + limit + " and remaining " + remaining + " must be -1 (unreported) or more");
            }
            if (resetsIn != null && resetsIn.isNegative()) {
                resetsIn = Duration.ZERO;
            }
        }

        /** Whether the response said this budget has nothing left. */
        public boolean exhausted() {
            return remaining == 0;
        }
    }

    public RateLimits {
        budgets = List.copyOf(budgets);
    }

    /** Whether the response reported no budget. */
    public boolean isEmpty() {
        return budgets.isEmpty();
    }

    /** The longest time until an exhausted budget resets, or {@code null} when none is exhausted with a reset given. */
    public Duration exhaustedFor() {
        Duration out = null;
        for (Budget b : budgets) {
            if (b.exhausted() && b.resetsIn() != null && (out == null || b.resetsIn().compareTo(out) > 0)) {
                out = b.resetsIn();
            }
        }
        return out;
    }
}
