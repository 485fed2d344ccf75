package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A reservation judged against the counters a store read: all holds or none, and why not. */
class ReservationDecisionTest {
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final Instant MONTH_END = Instant.parse("2026-12-01T00:00:00Z");
    private static final Hold COST = new Hold("acct/a/cost", Hold.Unit.MICRO_USD, 100, 1_000, "cost_per_month_usd", "account a", MONTH_END);
    private static final Hold TOKENS = new Hold("acct/a/tokens", Hold.Unit.TOKENS, 50, 500, "tokens_per_day", "account a", null);

    private static Reservation reservation(Hold... holds) {
        return new Reservation("rsv_1", "a", "job_1", List.of(holds), NOW, NOW.plusSeconds(90));
    }

    @Test
    void everyHoldThatFitsIsTakenFromItsCounterAsRead() {
        Reservation.Decision d = reservation(COST, TOKENS).decide(Map.of(COST.scope(), new Counter(400, 500)));
        assertThat(d).isEqualTo(new Reservation.Decision.Held(Map.of(COST.scope(), new Counter(400, 600), TOKENS.scope(), new Counter(0, 50))));
        assertThat(((Reservation.Decision.Held) d).counters().keySet()).as("in the order of the holds").containsExactly(COST.scope(), TOKENS.scope());
    }

    @Test
    void oneHoldThatDoesNotFitRefusesTheWholeReservation() {
        Reservation.Decision d = reservation(COST, TOKENS).decide(Map.of(TOKENS.scope(), new Counter(460, 0)));
        assertThat(d).isInstanceOf(Reservation.Decision.Refused.class);
        Reservation.Outcome.Refused refused = ((Reservation.Decision.Refused) d).refusal();
        assertThat(refused.definitive()).as("settled spend alone leaves no room").isTrue();
        assertThat(refused.hit().code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(refused.hit().message()).contains("50 tokens", "460 tokens spent", "0 tokens held");
        assertThat(refused.hit().retryAfter()).as("a budget that never resets").isEmpty();
    }

    @Test
    void aRefusalOnlyOtherCallsHoldsCauseIsWorthRetryingSoon() {
        Reservation.Decision d = reservation(COST).decide(Map.of(COST.scope(), new Counter(100, 850)));
        Reservation.Outcome.Refused refused = ((Reservation.Decision.Refused) d).refusal();
        assertThat(refused.definitive()).isFalse();
        assertThat(refused.hit().code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
        assertThat(refused.hit().retryAfter()).contains(Reservation.RETRY_WHILE_HELD);
    }

    @Test
    void aDefinitiveRefusalWaitsForTheBudgetsPeriodToEnd() {
        Reservation.Decision d = reservation(COST).decide(Map.of(COST.scope(), new Counter(950, 0)));
        assertThat(((Reservation.Decision.Refused) d).refusal().hit().retryAfter()).contains(Duration.between(NOW, MONTH_END));
    }

    @Test
    void twoHoldsOnOneScopeAreEachJudgedAgainstTheCounterAsRead() {
        Hold again = new Hold(COST.scope(), Hold.Unit.MICRO_USD, 300, 1_000, "cost_per_job_usd", "job job_1", null);
        Reservation.Decision d = reservation(COST, again).decide(Map.of(COST.scope(), new Counter(0, 650)));
        assertThat(d).isEqualTo(new Reservation.Decision.Held(Map.of(COST.scope(), new Counter(0, 950))));
    }
}
