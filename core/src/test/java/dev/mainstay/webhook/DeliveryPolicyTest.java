package dev.mainstay.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DeliveryPolicyTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 20261201})
    void everyDelayIsItsScheduledOneWithinTheJitterAndTheWholeScheduleTakesAboutADay(long seed) {
        Random random = new Random(seed);
        Duration total = Duration.ZERO;
        for (int made = 1; made < DeliverySchedule.ATTEMPTS; made++) {
            Duration base = DeliverySchedule.DELAYS.get(made - 1);
            Duration d = DeliverySchedule.next(made, Optional.empty(), random).orElseThrow();
            assertThat(d).as("seed %d, after attempt %d", seed, made).isBetween(base.multipliedBy(9).dividedBy(10), base.multipliedBy(11).dividedBy(10));
            total = total.plus(d);
        }
        assertThat(DeliverySchedule.next(DeliverySchedule.ATTEMPTS, Optional.empty(), random)).isEmpty();
        assertThat(total).as("seed %d", seed).isBetween(Duration.ofHours(24), Duration.ofHours(31));
    }

    @Test
    void aLongerRetryAfterWinsAndIsHeldToADay() {
        Random random = new Random(7);
        assertThat(DeliverySchedule.next(1, Optional.of(Duration.ofMinutes(3)), random)).contains(Duration.ofMinutes(3));
        assertThat(DeliverySchedule.next(1, Optional.of(Duration.ofDays(9)), random)).contains(DeliverySchedule.MAX_RETRY_AFTER);
        assertThat(DeliverySchedule.next(4, Optional.of(Duration.ofSeconds(1)), random).orElseThrow()).isGreaterThan(Duration.ofHours(1));
    }

    @Test
    void answersMeanWhatTheSpecificationSays() {
        assertThat(AttemptOutcome.of(200, null)).isInstanceOf(AttemptOutcome.Delivered.class);
        assertThat(AttemptOutcome.of(204, null)).isInstanceOf(AttemptOutcome.Delivered.class);
        assertThat(AttemptOutcome.of(410, null)).isInstanceOf(AttemptOutcome.Gone.class);
        assertThat(AttemptOutcome.of(301, null)).isInstanceOfSatisfying(AttemptOutcome.Failed.class,
                f -> assertThat(f.error()).contains("redirects are not followed"));
        assertThat(AttemptOutcome.of(404, null)).isInstanceOf(AttemptOutcome.Failed.class);
        assertThat(AttemptOutcome.of(500, Duration.ofSeconds(30))).isEqualTo(new AttemptOutcome.Failed(500, "the receiver answered HTTP 500", Duration.ofSeconds(30)));
    }

    @Test
    void failuresRescheduleThenDeadLetterAndALongFailingEndpointIsDisabled() {
        DeliveryPolicy policy = new DeliveryPolicy(Duration.ofDays(2), new Random(1));
        AttemptOutcome fail = AttemptOutcome.of(500, null);

        AttemptResult first = policy.decide(due(0, null), fail, T0, T0.plusMillis(40));
        assertThat(first.delivered()).isFalse();
        assertThat(first.dead()).isFalse();
        assertThat(first.nextAttemptAt()).isBetween(T0.plusSeconds(4), T0.plusSeconds(6));
        assertThat(first.attempt().number()).isEqualTo(1);
        assertThat(first.endpoint()).isEqualTo(new AttemptResult.EndpointChange.Failing(T0));

        AttemptResult last = policy.decide(due(DeliverySchedule.ATTEMPTS - 1, T0), fail, T0.plus(Duration.ofHours(27)), T0.plus(Duration.ofHours(27)));
        assertThat(last.dead()).isTrue();
        assertThat(last.nextAttemptAt()).isNull();
        assertThat(last.endpoint()).isEqualTo(new AttemptResult.EndpointChange.Failing(T0));

        Instant later = T0.plus(Duration.ofDays(2));
        AttemptResult disabling = policy.decide(due(DeliverySchedule.ATTEMPTS - 1, T0), fail, later, later);
        assertThat(disabling.dead()).isTrue();
        assertThat(disabling.endpoint()).isInstanceOfSatisfying(AttemptResult.EndpointChange.Disable.class,
                d -> assertThat(d.reason()).contains("every attempt has failed since " + T0).contains("msg_1"));
    }

    @Test
    void aSuccessHealsAndA410DisablesWithoutLosingTheDelivery() {
        DeliveryPolicy policy = new DeliveryPolicy(DeliveryPolicy.DEFAULT_DISABLE_AFTER, new Random(1));
        AttemptResult ok = policy.decide(due(3, T0), AttemptOutcome.of(200, null), T0, T0);
        assertThat(ok.delivered()).isTrue();
        assertThat(ok.endpoint()).isInstanceOf(AttemptResult.EndpointChange.Healthy.class);

        AttemptResult gone = policy.decide(due(0, null), AttemptOutcome.of(410, null), T0, T0);
        assertThat(gone.delivered()).isFalse();
        assertThat(gone.dead()).isFalse();
        assertThat(gone.nextAttemptAt()).isEqualTo(T0);
        assertThat(gone.endpoint()).isInstanceOfSatisfying(AttemptResult.EndpointChange.Disable.class, d -> assertThat(d.reason()).contains("410"));
    }

    private static DueDelivery due(int attempts, Instant failingSince) {
        WebhookEndpoint endpoint = new WebhookEndpoint("whe_1", "acct_1", URI.create("https://example.com/hook"), List.of(EventTypes.JOB_COMPLETED), null, null,
                true, null, failingSince, 4, T0, T0);
        Delivery d = new Delivery("whd_1", "msg_1", "whe_1", "acct_1", "job_1", EventTypes.JOB_COMPLETED, "{}", Delivery.Status.PENDING, attempts, T0, null,
                null, null, null, T0);
        return new DueDelivery(d, endpoint, List.of());
    }
}
