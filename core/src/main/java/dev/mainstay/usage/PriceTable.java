package dev.mainstay.usage;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Prices per (provider, model) in micro-dollars per million tokens. Exact integer arithmetic;
 * rounding is up to the next micro-dollar so that a cost is never under-reported. A model without
 * a price has no cost here: configuration refuses to start with a route to one (see
 * {@link #price}), so nothing is ever silently free.
 */
public final class PriceTable {
    /** Input, cached-input and output price, micro-dollars per 1M tokens. */
    public record Price(long inputPerMillion, long cachedInputPerMillion, long outputPerMillion) {
        public Price {
            if (inputPerMillion < 0 || cachedInputPerMillion < 0 || outputPerMillion < 0) {
                throw new IllegalArgumentException("prices cannot be negative");
            }
        }

        /** A price without a separate cached-input price: cached tokens cost as much as others. */
        public Price(long inputPerMillion, long outputPerMillion) {
            this(inputPerMillion, inputPerMillion, outputPerMillion);
        }

        public static Price usd(String input, String cachedInput, String output) {
            return new Price(micros(input), micros(cachedInput), micros(output));
        }

        public static Price usd(String input, String output) {
            return new Price(micros(input), micros(output));
        }

        private static long micros(String usd) {
            BigDecimal d = new BigDecimal(usd);
            if (d.signum() < 0) {
                throw new NumberFormatException("a price cannot be negative");
            }
            return d.movePointRight(6).longValueExact();
        }
    }

    /** The date the shipped prices were taken from the providers' public price lists. */
    public static final String DEFAULTS_AS_OF = "2026-11-01";

    /** Public list prices for common models as of {@link #DEFAULTS_AS_OF}; override in configuration. */
    public static final Map<String, Price> DEFAULTS = Map.ofEntries(
            Map.entry("demo/*", new Price(0, 0, 0)),
            Map.entry("*/gpt-4o-mini", Price.usd("0.15", "0.075", "0.60")),
            Map.entry("*/gpt-4o", Price.usd("2.50", "1.25", "10.00")),
            Map.entry("*/gpt-4.1", Price.usd("2.00", "0.50", "8.00")),
            Map.entry("*/gpt-4.1-mini", Price.usd("0.40", "0.10", "1.60")),
            Map.entry("*/gpt-4.1-nano", Price.usd("0.10", "0.025", "0.40")),
            Map.entry("*/gpt-5", Price.usd("1.25", "0.125", "10.00")),
            Map.entry("*/gpt-5-mini", Price.usd("0.25", "0.025", "2.00")),
            Map.entry("*/gpt-5-nano", Price.usd("0.05", "0.005", "0.40")),
            Map.entry("*/claude-sonnet-4-5", Price.usd("3.00", "0.30", "15.00")),
            Map.entry("*/claude-haiku-4-5", Price.usd("1.00", "0.10", "5.00")),
            Map.entry("*/claude-opus-4-1", Price.usd("15.00", "1.50", "75.00")));

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

    /**
     * The cost of a call. {@code inputTokens} counts every prompt token; {@code cachedInputTokens}
     * of them are billed at the cached-input price.
     *
     * @throws IllegalStateException for a model without a price (configuration refuses those)
     */
    public long costMicros(String provider, String model, long inputTokens, long cachedInputTokens, long outputTokens) {
        Price p = price(provider, model).orElseThrow(() -> new IllegalStateException("no price for " + provider + "/" + model
                + "; the configuration should have refused it. Indicates a bug."));
        long cached = Math.min(cachedInputTokens, inputTokens);
        return ceilDiv(Math.multiplyExact(p.inputPerMillion(), inputTokens - cached), 1_000_000)
                + ceilDiv(Math.multiplyExact(p.cachedInputPerMillion(), cached), 1_000_000)
                + ceilDiv(Math.multiplyExact(p.outputPerMillion(), outputTokens), 1_000_000);
    }

    public long costMicros(String provider, String model, long inputTokens, long outputTokens) {
        return costMicros(provider, model, inputTokens, 0, outputTokens);
    }

    private static long ceilDiv(long a, long b) {
        return Math.ceilDiv(a, b);
    }
}
