package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Admission as a decision over the numbers a store read: which limit refuses, and what an admitted submit takes. */
class AdmissionTest {
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final Admission.Cooldown COOLDOWN = new Admission.Cooldown("acct_a", 3, Duration.ofMinutes(2));
    private static final Admission.Ceiling COST = new Admission.Ceiling("acct/acct_a/cost/2026-11", 1_000, Hold.Unit.MICRO_USD, "cost_per_month_usd",
            "account acct_a", Instant.parse("2026-12-01T00:00:00Z"));
    private static final Admission.Ceiling TOKENS = new Admission.Ceiling("acct/acct_a/tokens/2026-11-22", 500, Hold.Unit.TOKENS, "tokens_per_day",
            "account acct_a", Instant.parse("2026-11-23T00:00:00Z"));
    private static final Admission.Bucket RPM = new Admission.Bucket("rpm/acct_a", 2, Duration.ofMinutes(1), "requests_per_minute", "account acct_a");
    private static final Admission.Bucket WORKFLOW_RPM = new Admission.Bucket("rpm/acct_a/wf/x", 5, Duration.ofMinutes(1), "requests_per_minute",
            "workflow x for account acct_a");

    private static Admission.Facts facts(Admission.Health health, Map<String, Counter> counters, Map<String, TokenBucket.State> buckets) {
        return new Admission.Facts(health, counters, buckets);
    }

    private static LimitHit refusal(Admission.Decision d) {
        assertThat(d).isInstanceOf(Admission.Decision.Refuse.class);
        return ((Admission.Decision.Refuse) d).hit();
    }

    @Test
    void noLimitsAdmitsAndTakesNothing() {
        assertThat(Admission.NONE.decide(facts(null, Map.of(), Map.of()), NOW)).isEqualTo(new Admission.Decision.Admit(Map.of()));
    }

    @Test
    void anAccountCoolingDownIsRefusedUntilItsLastFailurePlusTheCooldown() {
        Admission a = new Admission(List.of(), List.of(), COOLDOWN);
        Admission.Health cooling = new Admission.Health(3, NOW.minusSeconds(30));
        LimitHit hit = refusal(a.decide(facts(cooling, Map.of(), Map.of()), NOW));
        assertThat(hit.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(hit.limit()).isEqualTo("failure_cooldown");
        assertThat(hit.retryAfter()).contains(Duration.ofSeconds(90));
        assertThat(hit.message()).contains("acct_a", "3 jobs");
        assertThat(a.decide(facts(cooling, Map.of(), Map.of()), NOW.plusSeconds(90))).isInstanceOf(Admission.Decision.Admit.class);
        assertThat(a.decide(facts(new Admission.Health(2, NOW), Map.of(), Map.of()), NOW)).as("fewer failures than the threshold")
                .isInstanceOf(Admission.Decision.Admit.class);
        assertThat(a.decide(facts(null, Map.of(), Map.of()), NOW)).as("no failures on record").isInstanceOf(Admission.Decision.Admit.class);
    }

    @Test
    void failuresCountOnlyWhenTheModelSideWasInTrouble() {
        assertThat(Admission.Cooldown.upstream(ErrorCode.PROVIDER_UNAVAILABLE)).isTrue();
        assertThat(Admission.Cooldown.upstream(ErrorCode.INVALID_MODEL_OUTPUT)).isTrue();
        assertThat(Admission.Cooldown.upstream(ErrorCode.TOOL_FAILED)).isTrue();
        assertThat(Admission.Cooldown.upstream(ErrorCode.INVALID_INPUT)).isFalse();
        assertThat(Admission.Cooldown.upstream(ErrorCode.REVIEW_REJECTED)).isFalse();
        assertThat(Admission.Cooldown.upstream(null)).isFalse();
    }

    @Test
    void aCeilingRefusesOnSettledSpendAloneOnceWhatIsLeftCannotCoverTheFirstCall() {
        Admission a = new Admission(List.of(), List.of(COST, TOKENS), null);
        assertThat(a.decide(facts(null, Map.of(COST.scope(), new Counter(999, 0)), Map.of()), NOW)).isInstanceOf(Admission.Decision.Admit.class);
        assertThat(a.decide(facts(null, Map.of(COST.scope(), new Counter(600, 400)), Map.of()), NOW)).as("what calls in flight hold does not count")
                .isInstanceOf(Admission.Decision.Admit.class);
        LimitHit cost = refusal(a.decide(facts(null, Map.of(COST.scope(), new Counter(1_000, 0)), Map.of()), NOW));
        assertThat(cost.code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
        assertThat(cost.retryAfter()).contains(Duration.between(NOW, COST.resetsAt()));
        LimitHit tokens = refusal(a.decide(facts(null, Map.of(TOKENS.scope(), new Counter(500, 0)), Map.of()), NOW));
        assertThat(tokens.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(tokens.limit()).isEqualTo("tokens_per_day");

        Admission.Ceiling needs300 = new Admission.Ceiling(COST.scope(), 1_000, Hold.Unit.MICRO_USD, "cost_per_month_usd", "account acct_a",
                COST.resetsAt(), 300, "the cheapest possible first call of x");
        Admission b = new Admission(List.of(), List.of(needs300), null);
        assertThat(b.decide(facts(null, Map.of(COST.scope(), new Counter(700, 0)), Map.of()), NOW)).as("exactly enough left")
                .isInstanceOf(Admission.Decision.Admit.class);
        assertThat(refusal(b.decide(facts(null, Map.of(COST.scope(), new Counter(701, 0)), Map.of()), NOW)).message())
                .contains("needed for the cheapest possible first call of x");
    }

    @Test
    void theCooldownIsJudgedFirstThenTheCeilingsThenTheBuckets() {
        Admission a = new Admission(List.of(RPM), List.of(COST), COOLDOWN);
        Map<String, Counter> full = Map.of(COST.scope(), new Counter(1_000, 0));
        Map<String, TokenBucket.State> empty = Map.of(RPM.key(), new TokenBucket.State(0, NOW));
        assertThat(refusal(a.decide(facts(new Admission.Health(5, NOW), full, empty), NOW)).limit()).isEqualTo("failure_cooldown");
        assertThat(refusal(a.decide(facts(null, full, empty), NOW)).limit()).isEqualTo("cost_per_month_usd");
        assertThat(refusal(a.decide(facts(null, Map.of(), empty), NOW)).limit()).isEqualTo("requests_per_minute");
    }

    @Test
    void anAdmittedSubmitTakesOneTokenFromEveryBucketInOrder() {
        Admission a = new Admission(List.of(WORKFLOW_RPM, RPM), List.of(), null);
        Admission.Decision d = a.decide(facts(null, Map.of(), Map.of(RPM.key(), new TokenBucket.State(1_500_000, NOW))), NOW);
        assertThat(d).isInstanceOf(Admission.Decision.Admit.class);
        Map<String, TokenBucket.State> taken = ((Admission.Decision.Admit) d).taken();
        assertThat(taken.keySet()).containsExactly(WORKFLOW_RPM.key(), RPM.key());
        assertThat(taken.get(WORKFLOW_RPM.key())).as("a bucket never used starts full").isEqualTo(new TokenBucket.State(4_000_000, NOW));
        assertThat(taken.get(RPM.key())).isEqualTo(new TokenBucket.State(500_000, NOW));
    }

    @Test
    void anEmptyBucketRefusesWithTheWaitForItsNextTokenAndTakesFromNone() {
        Admission a = new Admission(List.of(WORKFLOW_RPM, RPM), List.of(), null);
        LimitHit hit = refusal(a.decide(facts(null, Map.of(), Map.of(RPM.key(), new TokenBucket.State(0, NOW))), NOW));
        assertThat(hit.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(hit.scope()).isEqualTo("account acct_a");
        assertThat(hit.retryAfter()).contains(Duration.ofSeconds(30)); // two tokens a minute
        assertThat(hit.message()).contains("2 requests per minute");
    }
}
