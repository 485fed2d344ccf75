package dev.mainstay.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides what one attempt's outcome makes of its delivery and endpoint: delivered, tried again on
 * the {@link DeliverySchedule}, or dead-lettered; the endpoint healthy again, failing, or disabled
 * (by a {@code 410}, or by failing without a single success for {@code disableAfter}).
 */
public final class DeliveryPolicy {
    /** An endpoint whose attempts have all failed for this long is disabled when one more delivery dies. */
    public static final Duration DEFAULT_DISABLE_AFTER = Duration.ofDays(5);

    private final Duration disableAfter;
    private final RandomGenerator random;

    public DeliveryPolicy(Duration disableAfter, RandomGenerator random) {
        if (disableAfter.isNegative() || disableAfter.isZero()) {
            throw new IllegalArgumentException("disableAfter must be positive, got " + disableAfter);
        }
        this.disableAfter = disableAfter;
        this.random = random;
    }

    /**
     * @param due the leased delivery as it was claimed (its {@code attempts} not yet counting this one)
     * @param startedAt when the attempt started
     * @param now when it ended
     */
    public AttemptResult decide(DueDelivery due, AttemptOutcome outcome, Instant startedAt, Instant now) {
        Delivery d = due.delivery();
        int number = d.attempts() + 1;
        long took = Math.max(0, Duration.between(startedAt, now).toMillis());
        return switch (outcome) {
            case AttemptOutcome.Delivered ok -> new AttemptResult(new Delivery.Attempt(d.id(), number, startedAt, ok.status(), null, took), true, false, null,
                    new AttemptResult.EndpointChange.Healthy());
            case AttemptOutcome.Gone gone -> {
                // The delivery stays pending: re-enabling the endpoint sends it, nothing is lost on a 410.
                String reason = "the receiver answered 410 Gone at " + now + " to message " + d.messageId();
                yield new AttemptResult(new Delivery.Attempt(d.id(), number, startedAt, gone.status(), "410 Gone: endpoint disabled", took), false, false, now,
                        new AttemptResult.EndpointChange.Disable(reason, now));
            }
            case AttemptOutcome.Failed f -> {
                Delivery.Attempt attempt = new Delivery.Attempt(d.id(), number, startedAt, f.status(), f.error(), took);
                Optional<Duration> wait = DeliverySchedule.next(number, f.retryAfterHint(), random);
                Instant failingSince = due.endpoint().failingSince() == null ? startedAt : due.endpoint().failingSince();
                if (wait.isPresent()) {
                    yield new AttemptResult(attempt, false, false, now.plus(wait.get()), new AttemptResult.EndpointChange.Failing(failingSince));
                }
                AttemptResult.EndpointChange change = Duration.between(failingSince, now).compareTo(disableAfter) >= 0
                        ? new AttemptResult.EndpointChange.Disable("every attempt has failed since " + failingSince + " (" + Duration.between(failingSince, now).toHours()
                                + " h, the limit is " + disableAfter.toHours() + " h); message " + d.messageId() + " was dead-lettered after "
                                + number + " attempts", now)
                        : new AttemptResult.EndpointChange.Failing(failingSince);
                yield new AttemptResult(attempt, false, true, null, change);
            }
        };
    }
}
