package dev.mainstay.limits;

import dev.mainstay.Json;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The limits of one account, each {@code null} when there is none. Money is exact micro-dollars.
 *
 * @param requestsPerMinute submits per minute, a token bucket that refills continuously
 * @param tokensPerDay model tokens (input + output) per UTC day
 * @param costPerMonthMicros model spend per UTC calendar month
 * @param maxConcurrentJobs jobs of the account running at once; the rest wait in the queue
 */
public record AccountLimits(Long requestsPerMinute, Long tokensPerDay, Long costPerMonthMicros, Integer maxConcurrentJobs) {
    public static final AccountLimits NONE = new AccountLimits(null, null, null, null);
    private static final Set<String> FIELDS = Set.of("requests_per_minute", "tokens_per_day", "cost_per_month_usd", "max_concurrent_jobs");

    public AccountLimits {
        if (requestsPerMinute != null && (requestsPerMinute < 1 || requestsPerMinute > TokenBucket.MAX_CAPACITY) || tokensPerDay != null && tokensPerDay < 0
                || costPerMonthMicros != null && costPerMonthMicros < 0 || maxConcurrentJobs != null && maxConcurrentJobs < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    /** Each limit that is not set here taken from {@code defaults}. */
    public AccountLimits orElse(AccountLimits defaults) {
        return new AccountLimits(
                requestsPerMinute != null ? requestsPerMinute : defaults.requestsPerMinute,
                tokensPerDay != null ? tokensPerDay : defaults.tokensPerDay,
                costPerMonthMicros != null ? costPerMonthMicros : defaults.costPerMonthMicros,
                maxConcurrentJobs != null ? maxConcurrentJobs : defaults.maxConcurrentJobs);
    }

    /** The wire form: absent limits are {@code null}, money is a decimal string of dollars. */
    public ObjectNode toJson() {
        ObjectNode out = Json.object();
        putLong(out, "requests_per_minute", requestsPerMinute);
        putLong(out, "tokens_per_day", tokensPerDay);
        if (costPerMonthMicros == null) {
            out.putNull("cost_per_month_usd");
        } else {
            out.put("cost_per_month_usd", Money.usd(costPerMonthMicros));
        }
        putLong(out, "max_concurrent_jobs", maxConcurrentJobs == null ? null : maxConcurrentJobs.longValue());
        return out;
    }

    private static void putLong(ObjectNode out, String field, Long value) {
        if (value == null) {
            out.putNull(field);
        } else {
            out.put(field, value);
        }
    }

    /**
     * Reads limits sent by an operator: every field optional, {@code null} removes a limit.
     *
     * @throws InvalidInputException naming each bad field by JSON pointer
     */
    public static AccountLimits fromJson(JsonNode body) {
        List<Violation> bad = new ArrayList<>();
        if (body == null || !body.isObject()) {
            throw new InvalidInputException("limits must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        for (String name : body.propertyNames()) {
            if (!FIELDS.contains(name)) {
                bad.add(new Violation("/" + name, "unknown limit; known: " + String.join(", ", FIELDS.stream().sorted().toList())));
            }
        }
        Long rpm = wholeNumber(body, "requests_per_minute", 1, bad);
        if (rpm != null && rpm > TokenBucket.MAX_CAPACITY) {
            bad.add(new Violation("/requests_per_minute", "at most " + TokenBucket.MAX_CAPACITY + "; leave it null for no limit"));
            rpm = null;
        }
        Long tpd = wholeNumber(body, "tokens_per_day", 0, bad);
        Long conc = wholeNumber(body, "max_concurrent_jobs", 1, bad);
        Long cost = null;
        JsonNode c = body.get("cost_per_month_usd");
        if (c != null && !c.isNull()) {
            if (!c.isString()) {
                bad.add(new Violation("/cost_per_month_usd", "expected a decimal string of US dollars, e.g. \"250.00\""));
            } else {
                try {
                    cost = Money.micros(c.asString());
                } catch (IllegalArgumentException e) {
                    bad.add(new Violation("/cost_per_month_usd", e.getMessage()));
                }
            }
        }
        if (conc != null && conc > Integer.MAX_VALUE) {
            bad.add(new Violation("/max_concurrent_jobs", "at most " + Integer.MAX_VALUE));
        }
        if (!bad.isEmpty()) {
            throw new InvalidInputException("the limits are not valid", bad);
        }
        return new AccountLimits(rpm, tpd, cost, conc == null ? null : conc.intValue());
    }

    private static Long wholeNumber(JsonNode body, String field, long min, List<Violation> bad) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min) {
            bad.add(new Violation("/" + field, "expected a whole number of at least " + min + " or null"));
            return null;
        }
        return n.asLong();
    }

    /** Exact conversions between decimal dollar strings and micro-dollars. */
    public static final class Money {
        private Money() {
        }

        /** {@code "12.5"} → 12,500,000; refuses negative amounts and more than six decimals. */
        public static long micros(String usd) {
            BigDecimal d;
            try {
                d = new BigDecimal(usd.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + usd + "' is not a decimal number of US dollars, e.g. \"250.00\"");
            }
            if (d.signum() < 0) {
                throw new IllegalArgumentException("an amount cannot be negative, got " + usd);
            }
            try {
                return d.movePointRight(6).longValueExact();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("'" + usd + "' has more than six decimal places or is too large");
            }
        }

        /** 12,500,000 → {@code "12.500000"}. */
        public static String usd(long micros) {
            return BigDecimal.valueOf(micros, 6).toPlainString();
        }
    }
}
