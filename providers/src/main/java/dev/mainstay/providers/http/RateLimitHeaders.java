package dev.mainstay.providers.http;

import dev.mainstay.provider.RateLimits;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads a response's rate-limit headers into {@link RateLimits}, for the wire formats that name
 * their budgets' limit, remaining and reset headers after a pattern. A value that is not a whole
 * number of zero or more, or a reset that does not parse, is left out; nothing here throws.
 *
 * <p>Example (OpenAI): {@code x-ratelimit-limit-requests: 500}, {@code
 * x-ratelimit-remaining-requests: 0}, {@code x-ratelimit-reset-requests: 6m0s} is the budget
 * {@code requests} of 500 with 0 left, full again in 360 s.
 */
public final class RateLimitHeaders {
    /** The longest reset a header can announce; longer ones are read as this. */
    public static final Duration MAX_RESET = RetryAfter.MAX;

    /** How one wire format names a budget's three headers. */
    public interface Names {
        String limit(String budget);

        String remaining(String budget);

        String reset(String budget);
    }

    private RateLimitHeaders() {
    }

    /**
     * @param budgets the budgets as the headers name them, e.g. {@code input-tokens}; reported
     *     with {@code -} turned into {@code _}
     * @param reset reads a reset header's value into the wait from {@code now}, empty when it is malformed
     */
    public static RateLimits read(HttpHeaders headers, List<String> budgets, Names names, Function<String, Optional<Duration>> reset) {
        List<RateLimits.Budget> out = new ArrayList<>(budgets.size());
        for (String budget : budgets) {
            long limit = count(headers.firstValue(names.limit(budget)));
            long remaining = count(headers.firstValue(names.remaining(budget)));
            Duration resetsIn = headers.firstValue(names.reset(budget)).flatMap(v -> safely(reset, v)).map(RateLimitHeaders::capped).orElse(null);
            if (limit != RateLimits.Budget.UNREPORTED || remaining != RateLimits.Budget.UNREPORTED || resetsIn != null) {
                out.add(new RateLimits.Budget(budget.replace('-', '_'), limit, remaining, resetsIn));
            }
        }
        return out.isEmpty() ? RateLimits.NONE : new RateLimits(out);
    }

    /** A whole number of zero or more (digits only, at most 18 of them), else unreported. */
    static long count(Optional<String> header) {
        if (header.isEmpty()) {
            return RateLimits.Budget.UNREPORTED;
        }
        String v = header.get().strip();
        if (v.isEmpty() || v.length() > 18) {
            return RateLimits.Budget.UNREPORTED;
        }
        for (int i = 0; i < v.length(); i++) {
            if (v.charAt(i) < '0' || v.charAt(i) > '9') {
                return RateLimits.Budget.UNREPORTED;
            }
        }
        return Long.parseLong(v);
    }

    private static Optional<Duration> safely(Function<String, Optional<Duration>> reset, String value) {
        try {
            return reset.apply(value).filter(d -> !d.isNegative());
        } catch (RuntimeException malformed) {
            // An absurd value (an overflowing number of hours, say) is no answer, never a failed call.
            return Optional.empty();
        }
    }

    private static Duration capped(Duration d) {
        return d.compareTo(MAX_RESET) > 0 ? MAX_RESET : d;
    }
}
