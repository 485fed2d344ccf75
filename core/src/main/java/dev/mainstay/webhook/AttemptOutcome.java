package dev.mainstay.webhook;

import java.time.Duration;
import java.util.Optional;

/**
 * What one delivery attempt's answer means. A 2xx is delivered; {@code 410 Gone} says the receiver
 * is gone for good, which disables its endpoint; anything else (other statuses, redirects, which are
 * never followed, timeouts, refused connections) is tried again on the schedule.
 */
public sealed interface AttemptOutcome {
    /** @return the HTTP status, or null when no answer came */
    Integer status();

    /** The receiver took it. */
    record Delivered(Integer status) implements AttemptOutcome {
    }

    /** The receiver answered {@code 410}: the endpoint is disabled and its pending deliveries wait for it. */
    record Gone(Integer status) implements AttemptOutcome {
    }

    /**
     * Not delivered this time.
     *
     * @param status the HTTP status, or null when no answer came (timeout, connection refused)
     * @param error what happened, for the delivery log; never holds a secret
     * @param retryAfter the receiver's {@code Retry-After}, or null
     */
    record Failed(Integer status, String error, Duration retryAfter) implements AttemptOutcome {
        public Optional<Duration> retryAfterHint() {
            return Optional.ofNullable(retryAfter);
        }
    }

    /** The meaning of an answer with {@code status}; {@code retryAfter} as the receiver sent it, or null. */
    public static AttemptOutcome of(int status, Duration retryAfter) {
        if (status >= 200 && status < 300) {
            return new Delivered(status);
        }
        if (status == 410) {
            return new Gone(status);
        }
        String why = status >= 300 && status < 400 ? "the receiver answered HTTP " + status + " (redirects are not followed)" : "the receiver answered HTTP " + status;
        return new Failed(status, why, retryAfter);
    }

    /** The meaning of an answer: see {@link #of(int, Duration)}. */
    public static AttemptOutcome answered(int status, Optional<Duration> retryAfter) {
        return of(status, retryAfter.orElse(null));
    }

    /** No answer came. */
    public static AttemptOutcome noAnswer(String error) {
        return new Failed(null, error, null);
    }
}
