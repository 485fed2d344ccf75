package dev.mainstay.usage;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Prices per (provider, model) in micro-dollars per million tokens. Exact integer arithmetic;
 * rounding is up to the next micro-dollar so that a cost is never under-reported.
 */
public final class PriceTable {
    /** Input and output price, micro-dollars per 1M tokens. */
    public record Price(long inputPerMillion, long outputPerMillion) {
        public Price {
            if (inputPerMillion < 0 || outputPerMillion < 0) {
                throw new IllegalArgumentException("prices cannot be negative");
            }
        }

        public static Price usd(String input, String output) {
            return new Price(micros(input), micros(output));
        }

        private static long micros(String usd) {
            return new java.math.BigDecimal(usd).movePointRight(6).longValueExact();
        }
    }

    /** Public list prices as of 2026-11 for common models; override in configuration. */
    public static final Map<String, Price> DEFAULTS = Map.ofEntries(
            Map.entry("demo/*", new Price(0, 0)),
            Map.entry("*/gpt-4o-mini", Price.usd("0.15", "0.60")),
            Map.entry("*/gpt-4o", Price.usd("2.50", "10.00")),
            Map.entry("*/gpt-4.1", Price.usd("2.00", "8.00")),
            Map.entry("*/gpt-4.1-mini", Price.usd("0.40", "1.60")),
            Map.entry("*/gpt-4.1-nano", Price.usd("0.10", "0.40")),
            Map.entry("*/claude-sonnet-4-5", Price.usd("3.00", "15.00")),
            Map.entry("*/claude-haiku-4-5", Price.usd("1.00", "5.00")));

    private final Map<String, Price> prices;

    public PriceTable(Map<String, Price> overrides) {
        Map<String, Price> all = new HashMap<>(DEFAULTS);
        all.putAll(overrides);
        this.prices = Map.copyOf(all);
    }

    /** The price of {@code provider/model}: exact entry, then any provider with that model, then any model of that provider. */
    public Optional<Price> price(String provider, String model) {
        for (String key : new String[] {provider + "/" + model, "*/" + model, provider + "/*"}) {
            Price p = prices.get(key);
            if (p != null) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public long costMicros(String provider, String model, long inputTokens, long outputTokens) {
        return price(provider, model)
                .map(p -> ceilDiv(p.inputPerMillion() * inputTokens, 1_000_000) + ceilDiv(p.outputPerMillion() * outputTokens, 1_000_000))
                .orElse(0L);
    }

    private static long ceilDiv(long a, long b) {
        return Math.floorDiv(a + b - 1, b);
    }
}
