package dev.mainstay.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import java.math.BigInteger;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PriceTableTest {
    private final PriceTable table = new PriceTable(Map.of());

    @Test
    void oneTokenOfACheapModelCostsOneMicroDollar() {
        assertThat(table.costMicros("openai", "gpt-4o-mini", 1, 0)).isEqualTo(1);
        assertThat(table.costMicros("openai", "gpt-4o-mini", 0, 1)).isEqualTo(1);
    }

    @Test
    void aMillionTokensCostExactlyTheListPrice() {
        assertThat(table.costMicros("openai", "gpt-4o-mini", 1_000_000, 0)).isEqualTo(150_000);
        assertThat(table.costMicros("openai", "gpt-4o-mini", 0, 1_000_000)).isEqualTo(600_000);
        assertThat(table.costMicros("openai", "gpt-4o-mini", 1_000_000, 1_000_000)).isEqualTo(750_000);
    }

    @Test
    void pricesAreParsedFromDecimalTextExactly() {
        assertThat(PriceTable.Price.usd("0.15", "0.60")).isEqualTo(new PriceTable.Price(150_000, 600_000));
        assertThat(PriceTable.Price.usd("2.50", "10")).isEqualTo(new PriceTable.Price(2_500_000, 10_000_000));
        // 0.1 + 0.2 is 0.30000000000000004 in binary floating point; decimal text must stay exact.
        assertThat(PriceTable.Price.usd("0.3", "0.3").inputPerMillion()).isEqualTo(300_000);
    }

    @Test
    void pricesFinerThanAMicroDollarPerMillionAreRefused() {
        assertThatThrownBy(() -> PriceTable.Price.usd("0.0000001", "1")).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void exactEntryWinsOverAnyProviderEntryWhichWinsOverProviderWildcard() {
        PriceTable t = new PriceTable(Map.of(
                "azure/gpt-4o-mini", new PriceTable.Price(1, 1),
                "azure/*", new PriceTable.Price(7, 7)));
        assertThat(t.price("azure", "gpt-4o-mini")).contains(new PriceTable.Price(1, 1));
        assertThat(t.price("openai", "gpt-4o-mini")).contains(PriceTable.Price.usd("0.15", "0.075", "0.60"));
        assertThat(t.price("azure", "some-private-model")).contains(new PriceTable.Price(7, 7));
        assertThat(t.price("demo", "anything")).contains(new PriceTable.Price(0, 0));
    }

    @Test
    void anUnknownModelHasNoPriceAndIsNeverSilentlyFree() {
        assertThat(table.price("openai", "no-such-model")).isEmpty();
        assertThatThrownBy(() -> table.costMicros("openai", "no-such-model", 1_000, 1_000)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void cachedPromptTokensAreBilledAtTheCachedPrice() {
        // gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per million tokens.
        assertThat(table.costMicros("openai", "gpt-4o-mini", 1_000_000, 400_000, 0)).isEqualTo(90_000 + 30_000);
        // Cached tokens are a part of the prompt tokens, never more than all of them.
        assertThat(table.costMicros("openai", "gpt-4o-mini", 1_000, 5_000, 0)).isEqualTo(75);
    }

    @Property
    void costIsTheExactPriceRoundedUpPerDirection(SeededRandom random) {
        long inPerMillion = random.draw("inPerMillion", r -> r.longBetween(0, 50_000_000));
        long outPerMillion = random.draw("outPerMillion", r -> r.longBetween(0, 50_000_000));
        long inputTokens = random.draw("inputTokens", r -> r.longBetween(0, 2_000_000_000));
        long outputTokens = random.draw("outputTokens", r -> r.longBetween(0, 2_000_000_000));
        PriceTable t = new PriceTable(Map.of("p/m", new PriceTable.Price(inPerMillion, outPerMillion)));
        long cost = t.costMicros("p", "m", inputTokens, outputTokens);
        BigInteger million = BigInteger.valueOf(1_000_000);
        BigInteger exactIn = BigInteger.valueOf(inPerMillion).multiply(BigInteger.valueOf(inputTokens));
        BigInteger exactOut = BigInteger.valueOf(outPerMillion).multiply(BigInteger.valueOf(outputTokens));
        BigInteger[] in = exactIn.divideAndRemainder(million);
        BigInteger[] out = exactOut.divideAndRemainder(million);
        long expected = in[0].add(in[1].signum() > 0 ? BigInteger.ONE : BigInteger.ZERO)
                .add(out[0]).add(out[1].signum() > 0 ? BigInteger.ONE : BigInteger.ZERO).longValueExact();
        assertThat(cost).isEqualTo(expected);
        // Never under-reported.
        assertThat(BigInteger.valueOf(cost).multiply(million)).isGreaterThanOrEqualTo(exactIn.add(exactOut));
    }
}
