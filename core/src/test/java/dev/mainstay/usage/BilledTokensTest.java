package dev.mainstay.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.provider.ProviderOutcome;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class BilledTokensTest {
    private static final long UNREPORTED = ProviderOutcome.Success.UNREPORTED;
    private final AtomicInteger estimates = new AtomicInteger();
    private final LongSupplier prompt = () -> {
        estimates.incrementAndGet();
        return 420;
    };
    private final LongSupplier visible = () -> 35;

    @Test
    void plausibleCountsAreTakenAsReportedWithoutCountingThePrompt() {
        BilledTokens b = BilledTokens.of(400, 100, 30, 800, prompt, visible);
        assertThat(b).isEqualTo(new BilledTokens(400, 100, 30, Charge.Basis.REPORTED, null));
        assertThat(estimates).as("no estimate is made for an ordinary count").hasValue(0);
        assertThat(BilledTokens.of(9_000, 0, 0, 800, prompt, visible).basis()).isEqualTo(Charge.Basis.REPORTED);
        assertThat(estimates).hasValue(0);
    }

    @Test
    void negativeCountsAreChargedAtTheReservationsEstimate() {
        BilledTokens b = BilledTokens.of(-17, 0, -3, 800, prompt, visible);
        assertThat(b.input()).isEqualTo(420);
        assertThat(b.output()).as("the most the call was allowed to answer").isEqualTo(800);
        assertThat(b.basis()).isEqualTo(Charge.Basis.ESTIMATED);
        assertThat(b.note()).isEqualTo("the provider reported prompt tokens -17 and answer tokens -3; charged 420 prompt and 800 answer tokens as estimated");
    }

    @Test
    void countsThatAreNotWholeNumbersOrAreMissingAreEstimated() {
        BilledTokens b = BilledTokens.of(UNREPORTED, UNREPORTED, UNREPORTED, 200, prompt, visible);
        assertThat(b).isEqualTo(new BilledTokens(420, 0, 200, Charge.Basis.ESTIMATED,
                "the provider reported prompt tokens missing or not a usable whole number and answer tokens missing or not a usable whole number; "
                        + "charged 420 prompt and 200 answer tokens as estimated"));
    }

    @Test
    void aPromptOfNoTokensIsNotBelievedEveryCallSendsInstructions() {
        BilledTokens b = BilledTokens.of(0, 0, 12, 200, prompt, visible);
        assertThat(b.input()).isEqualTo(420);
        assertThat(b.output()).as("the answer's own count was fine").isEqualTo(12);
        assertThat(b.basis()).isEqualTo(Charge.Basis.ESTIMATED);
    }

    @Test
    void absurdlyLargeCountsAreEstimatedOnlyPastTenTimesTheEstimatePlusSlack() {
        long bound = 420 * BilledTokens.FACTOR + BilledTokens.SLACK;
        assertThat(BilledTokens.of(bound, 0, 5, 200, prompt, visible).basis()).isEqualTo(Charge.Basis.REPORTED);
        BilledTokens absurd = BilledTokens.of(Long.MAX_VALUE, 0, 5, 200, prompt, visible);
        assertThat(absurd.input()).isEqualTo(420);
        assertThat(absurd.note()).startsWith("the provider reported prompt tokens " + Long.MAX_VALUE + ", more than " + bound + " for a prompt of about 420");
        long outBound = 200 * BilledTokens.FACTOR + BilledTokens.SLACK;
        assertThat(BilledTokens.of(100, 0, outBound, 200, prompt, visible).basis()).isEqualTo(Charge.Basis.REPORTED);
        BilledTokens out = BilledTokens.of(100, 0, outBound + 1, 200, prompt, visible);
        assertThat(out.input()).isEqualTo(100);
        assertThat(out.output()).isEqualTo(200);
    }

    @Test
    void anAnswerLongerThanItsLimitIsChargedForItsLength() {
        BilledTokens b = BilledTokens.of(100, 0, -1, 20, prompt, visible);
        assertThat(b.output()).isEqualTo(35);
    }

    @Test
    void cachedTokensOutsideThePromptAreBilledAtTheFullPrice() {
        assertThat(BilledTokens.of(100, 150, 10, 200, prompt, visible).cachedInput()).isZero();
        assertThat(BilledTokens.of(100, -4, 10, 200, prompt, visible).cachedInput()).isZero();
        assertThat(BilledTokens.of(100, UNREPORTED, 10, 200, prompt, visible).cachedInput()).isZero();
        assertThat(BilledTokens.of(-1, 50, 10, 200, prompt, visible).cachedInput()).as("an estimated prompt has no cache hits").isZero();
        assertThat(BilledTokens.of(100, 60, 10, 200, prompt, visible).cachedInput()).isEqualTo(60);
    }
}
