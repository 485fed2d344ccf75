package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.Json;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.node.ObjectNode;

/** An account's limits on the wire, and money as exact decimal dollars. */
class AccountLimitsTest {

    private static List<Violation> violations(String json) {
        try {
            AccountLimits.fromJson(Json.parse(json));
        } catch (InvalidInputException e) {
            return e.violations();
        }
        throw new AssertionError("expected " + json + " to be refused");
    }

    private static List<String> pointers(String json) {
        return violations(json).stream().map(Violation::pointer).toList();
    }

    // ---- money -----------------------------------------------------------------------------------

    @Property
    void microsRoundTripThroughDollarTextExactly(SeededRandom random) {
        long micros = random.draw("micros", r -> r.longBetween(0, Long.MAX_VALUE));
        String usd = AccountLimits.Money.usd(micros);
        assertThat(usd).matches("\\d+\\.\\d{6}");
        assertThat(AccountLimits.Money.micros(usd)).isEqualTo(micros);
    }

    private static String dollarText(SeededRandom random) {
        String whole = String.valueOf(random.longBetween(0, 9_000_000_000_000L));
        String fraction = random.string(0, 6, SeededRandom.DIGITS);
        return fraction.isEmpty() ? whole : whole + "." + fraction;
    }

    @Property
    void dollarTextWithUpToSixDecimalsRoundTripsToTheSameAmount(SeededRandom random) {
        String usd = random.draw("usd", AccountLimitsTest::dollarText);
        long micros = AccountLimits.Money.micros(usd);
        assertThat(new BigDecimal(AccountLimits.Money.usd(micros))).isEqualByComparingTo(new BigDecimal(usd));
        assertThat(BigDecimal.valueOf(micros, 6)).isEqualByComparingTo(new BigDecimal(usd));
    }

    @Property
    void aSeventhDecimalIsRefused(SeededRandom random) {
        String usd = random.draw("usd", AccountLimitsTest::dollarText);
        int seventh = random.draw("seventh", r -> r.intBetween(1, 9));
        String sixDecimals = usd.contains(".") ? (usd + "000000").substring(0, usd.indexOf('.') + 7) : usd + ".000000";
        assertThatThrownBy(() -> AccountLimits.Money.micros(sixDecimals + seventh))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than six decimal places");
    }

    @Test
    void dollarTextConvertsExactly() {
        assertThat(AccountLimits.Money.micros("12.5")).isEqualTo(12_500_000);
        assertThat(AccountLimits.Money.micros("250.00")).isEqualTo(250_000_000);
        assertThat(AccountLimits.Money.micros("0.000001")).isEqualTo(1);
        assertThat(AccountLimits.Money.micros("0")).isZero();
        assertThat(AccountLimits.Money.micros(" 3 ")).as("surrounding spaces are ignored").isEqualTo(3_000_000);
        // 0.1 + 0.2 is not 0.3 in binary floating point; in decimal text it is.
        assertThat(AccountLimits.Money.micros("0.3")).isEqualTo(AccountLimits.Money.micros("0.1") + AccountLimits.Money.micros("0.2"));
        assertThat(AccountLimits.Money.usd(12_500_000)).isEqualTo("12.500000");
        assertThat(AccountLimits.Money.usd(1)).isEqualTo("0.000001");
        assertThat(AccountLimits.Money.usd(0)).isEqualTo("0.000000");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-0.000001", "-250.00"})
    void negativeAmountsAreRefused(String usd) {
        assertThatThrownBy(() -> AccountLimits.Money.micros(usd)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be negative");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0000001", "1.1234567", "9223372036855", "99999999999999999999"})
    void moreThanSixDecimalsOrMoreThanALongOfMicrosIsRefused(String usd) {
        assertThatThrownBy(() -> AccountLimits.Money.micros(usd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than six decimal places or is too large");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "$5", "5 USD", "1,50", "NaN", "Infinity", "0x10", "1.2.3"})
    void textThatIsNotADecimalNumberIsRefused(String usd) {
        assertThatThrownBy(() -> AccountLimits.Money.micros(usd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a decimal number of US dollars");
    }

    // ---- fromJson --------------------------------------------------------------------------------

    @Test
    void readsEveryLimit() {
        AccountLimits l = AccountLimits.fromJson(Json.parse(
                "{\"requests_per_minute\": 600, \"tokens_per_day\": 2000000, \"cost_per_month_usd\": \"250.00\", \"max_concurrent_jobs\": 20}"));
        assertThat(l).isEqualTo(new AccountLimits(600L, 2_000_000L, 250_000_000L, 20));
    }

    @Test
    void missingAndNullFieldsAreNoLimit() {
        assertThat(AccountLimits.fromJson(Json.parse("{}"))).isEqualTo(AccountLimits.NONE);
        assertThat(AccountLimits.fromJson(Json.parse(
                "{\"requests_per_minute\": null, \"tokens_per_day\": null, \"cost_per_month_usd\": null, \"max_concurrent_jobs\": null}")))
                .isEqualTo(AccountLimits.NONE);
        assertThat(AccountLimits.fromJson(Json.parse("{\"requests_per_minute\": 60, \"cost_per_month_usd\": null}")))
                .isEqualTo(new AccountLimits(60L, null, null, null));
    }

    @Test
    void zeroTokensAndZeroDollarsAreLimitsNotAbsence() {
        assertThat(AccountLimits.fromJson(Json.parse("{\"tokens_per_day\": 0, \"cost_per_month_usd\": \"0\"}")))
                .isEqualTo(new AccountLimits(null, 0L, 0L, null));
    }

    @Test
    void anUnknownFieldIsNamedWithTheKnownOnes() {
        List<Violation> v = violations("{\"requests_per_hour\": 10}");
        assertThat(v).singleElement().satisfies(one -> {
            assertThat(one.pointer()).isEqualTo("/requests_per_hour");
            assertThat(one.message()).contains("unknown limit").contains("cost_per_month_usd, max_concurrent_jobs, requests_per_minute, tokens_per_day");
        });
    }

    @Test
    void moneyAsANumberIsRefusedWithAnExample() {
        assertThat(violations("{\"cost_per_month_usd\": 250.00}")).singleElement().satisfies(one -> {
            assertThat(one.pointer()).isEqualTo("/cost_per_month_usd");
            assertThat(one.message()).contains("decimal string").contains("\"250.00\"");
        });
        assertThat(pointers("{\"cost_per_month_usd\": 250}")).containsExactly("/cost_per_month_usd");
    }

    @Test
    void moneyTextThatIsNotAnAmountCarriesTheReason() {
        assertThat(violations("{\"cost_per_month_usd\": \"-5\"}")).singleElement().satisfies(one -> {
            assertThat(one.pointer()).isEqualTo("/cost_per_month_usd");
            assertThat(one.message()).contains("cannot be negative");
        });
        assertThat(violations("{\"cost_per_month_usd\": \"0.0000001\"}")).singleElement()
                .satisfies(one -> assertThat(one.message()).contains("more than six decimal places"));
        assertThat(violations("{\"cost_per_month_usd\": \"lots\"}")).singleElement()
                .satisfies(one -> assertThat(one.message()).contains("not a decimal number"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"requests_per_minute\": \"600\"}",
            "{\"requests_per_minute\": 1.5}",
            "{\"requests_per_minute\": 600.0}",
            "{\"requests_per_minute\": 0}",
            "{\"requests_per_minute\": -1}",
            "{\"requests_per_minute\": true}",
            "{\"requests_per_minute\": [600]}",
            "{\"requests_per_minute\": 100000000000000000000}"})
    void aRateThatIsNotAWholeNumberOfAtLeastOneIsRefused(String json) {
        assertThat(violations(json)).singleElement().satisfies(one -> {
            assertThat(one.pointer()).isEqualTo("/requests_per_minute");
            assertThat(one.message()).contains("whole number of at least 1");
        });
    }

    @Test
    void tokensMayBeZeroButNotNegative() {
        assertThat(violations("{\"tokens_per_day\": -1}")).singleElement().satisfies(one -> {
            assertThat(one.pointer()).isEqualTo("/tokens_per_day");
            assertThat(one.message()).contains("at least 0");
        });
    }

    @Test
    void concurrencyMustFitAnInt() {
        assertThat(violations("{\"max_concurrent_jobs\": 3000000000}")).singleElement().satisfies(one -> {
            assertThat(one.pointer()).isEqualTo("/max_concurrent_jobs");
            assertThat(one.message()).contains(String.valueOf(Integer.MAX_VALUE));
        });
        assertThat(pointers("{\"max_concurrent_jobs\": 0}")).containsExactly("/max_concurrent_jobs");
        assertThat(AccountLimits.fromJson(Json.parse("{\"max_concurrent_jobs\": 2147483647}")).maxConcurrentJobs()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void everyBadFieldIsReportedAtOnce() {
        InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class, () -> AccountLimits.fromJson(Json.parse(
                "{\"requests_per_minute\": \"fast\", \"tokens_per_day\": -3, \"cost_per_month_usd\": 12.5, \"max_concurrent_jobs\": 0, \"burst\": 5}")));
        assertThat(e.violations()).extracting(Violation::pointer).containsExactlyInAnyOrder(
                "/requests_per_minute", "/tokens_per_day", "/cost_per_month_usd", "/max_concurrent_jobs", "/burst");
        assertThat(e.code().code()).isEqualTo("invalid_input");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "\"600\"", "600", "null"})
    void aBodyThatIsNotAnObjectIsRefusedAsAWhole(String json) {
        assertThat(pointers(json)).containsExactly("");
    }

    @Test
    void aMissingBodyIsRefusedAsAWhole() {
        assertThatThrownBy(() -> AccountLimits.fromJson(null)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.violations()).extracting(Violation::pointer).containsExactly(""));
    }

    // ---- defaults and the wire form ----------------------------------------------------------------

    @Test
    void orElseFillsOnlyTheLimitsNotSet() {
        AccountLimits defaults = new AccountLimits(600L, 1_000_000L, 100_000_000L, 10);
        AccountLimits own = new AccountLimits(60L, null, 5_000_000L, null);
        assertThat(own.orElse(defaults)).isEqualTo(new AccountLimits(60L, 1_000_000L, 5_000_000L, 10));
        assertThat(AccountLimits.NONE.orElse(defaults)).isEqualTo(defaults);
        assertThat(own.orElse(AccountLimits.NONE)).isEqualTo(own);
        assertThat(new AccountLimits(null, 0L, 0L, null).orElse(defaults)).as("a zero limit is a limit")
                .isEqualTo(new AccountLimits(600L, 0L, 0L, 10));
    }

    @Test
    void wireFormHasEveryFieldWithNullsAndMoneyAsText() {
        ObjectNode json = new AccountLimits(600L, 2_000_000L, 250_000_000L, 20).toJson();
        assertThat(Json.parse(Json.write(json))).isEqualTo(Json.parse(
                "{\"requests_per_minute\": 600, \"tokens_per_day\": 2000000, \"cost_per_month_usd\": \"250.000000\", \"max_concurrent_jobs\": 20}"));
        assertThat(json.get("cost_per_month_usd").isString()).isTrue();
        assertThat(Json.parse(Json.write(AccountLimits.NONE.toJson()))).isEqualTo(Json.parse(
                "{\"requests_per_minute\": null, \"tokens_per_day\": null, \"cost_per_month_usd\": null, \"max_concurrent_jobs\": null}"));
    }

    /** Each limit absent three times in ten. */
    private static AccountLimits anyLimits(SeededRandom random) {
        return new AccountLimits(
                random.nextInt(10) < 3 ? null : random.longBetween(1, TokenBucket.MAX_CAPACITY),
                random.nextInt(10) < 3 ? null : random.longBetween(0, Long.MAX_VALUE),
                random.nextInt(10) < 3 ? null : random.longBetween(0, Long.MAX_VALUE),
                random.nextInt(10) < 3 ? null : random.intBetween(1, Integer.MAX_VALUE));
    }

    @Property
    void theWireFormReadsBackAsTheSameLimits(SeededRandom random) {
        AccountLimits limits = random.draw("limits", AccountLimitsTest::anyLimits);
        assertThat(AccountLimits.fromJson(Json.parse(Json.write(limits.toJson())))).isEqualTo(limits);
    }

    @Test
    void limitsBelowTheirMinimumCannotBeBuilt() {
        assertThatThrownBy(() -> new AccountLimits(0L, null, null, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AccountLimits(null, -1L, null, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AccountLimits(null, null, -1L, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AccountLimits(null, null, null, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
