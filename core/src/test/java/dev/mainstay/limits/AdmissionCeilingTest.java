package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdmissionCeilingTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final Instant RESET = Scope.monthEnd(NOW);

    private static Admission.Ceiling cost(long max, long need) {
        return new Admission.Ceiling("acct/a/cost/2026-11", max, Hold.Unit.MICRO_USD, "cost_per_month_usd", "account acct_a", RESET, need,
                need == 0 ? null : "the cheapest possible first call of meetings/notes (stage 'extract' on fake/gpt-4o-mini)");
    }

    /** Spent, reserved, max and need; whether a submit is admitted. */
    @ParameterizedTest(name = "spent {0} reserved {1} max {2} need {3}: admitted {4}")
    @CsvSource({
            "0, 0, 500, 363, true",
            "137, 0, 500, 363, true",      // exactly enough left
            "138, 0, 500, 363, false",     // one micro-dollar short: every job would fail at its first call
            "154, 0, 500, 363, false",     // the case from the field
            "0, 500, 500, 363, true",      // calls in flight hold it all, but may settle for less: the job waits
            "499, 0, 500, 0, true",        // a workflow without a model call: refused only once nothing is left
            "500, 0, 500, 0, false",
            "600, 0, 500, 1, false",       // overspent by a call that cost more than it reserved
    })
    void admitsWhileWhatIsLeftAfterSettledSpendCoversTheFirstCall(long spent, long reserved, long max, long need, boolean admitted) {
        assertThat(cost(max, need).refusal(new Counter(spent, reserved), NOW).isEmpty()).isEqualTo(admitted);
    }

    @Test
    void aRefusalSaysWhatIsLeftWhatIsNeededAndWhenItResets() {
        LimitHit hit = cost(500, 363).refusal(new Counter(154, 0), NOW).orElseThrow();
        assertThat(hit.code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
        assertThat(hit.limit()).isEqualTo("cost_per_month_usd");
        assertThat(hit.scope()).isEqualTo("account acct_a");
        assertThat(hit.message()).isEqualTo("account acct_a has $0.000346 left of its cost_per_month_usd of $0.000500, less than the $0.000363 needed for "
                + "the cheapest possible first call of meetings/notes (stage 'extract' on fake/gpt-4o-mini); it resets at 2026-12-01T00:00:00Z");
        assertThat(hit.retryAfter()).contains(Duration.between(NOW, RESET));
    }

    @Test
    void aUsedUpBudgetSaysSo() {
        LimitHit hit = cost(500, 363).refusal(new Counter(500, 0), NOW).orElseThrow();
        assertThat(hit.message()).isEqualTo("account acct_a has used its cost_per_month_usd of $0.000500; it resets at 2026-12-01T00:00:00Z");
    }

    @Test
    void aTokenBudgetRefusesWithQuotaExceeded() {
        Admission.Ceiling tokens = new Admission.Ceiling("acct/a/tokens/2026-11-22", 1_000, Hold.Unit.TOKENS, "tokens_per_day", "account acct_a",
                Scope.dayEnd(NOW), 1_200, "the cheapest possible first call of meetings/notes");
        LimitHit hit = tokens.refusal(Counter.ZERO, NOW).orElseThrow();
        assertThat(hit.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(hit.message()).contains("1000 tokens left").contains("1200 tokens needed");
    }
}
