package dev.mainstay.providers.http;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The wait a provider asks for before the next request, read the same way for every wire format:
 * {@code retry-after-ms} in milliseconds, else {@code retry-after} in seconds (a fraction allowed,
 * as some gateways send) or as an HTTP date (RFC 9110), which is measured from {@code now}, the
 * injected clock's instant. A header that is negative, not a finite number, or not a date is no
 * answer, and the next one is read. A wait is rounded up to the millisecond, never shortened, and
 * held to {@link #MAX}, so that a wild value cannot overflow the instants computed from it.
 *
 * <p>Example: {@code retry-after: 2} is 2 s; {@code retry-after: Wed, 21 Oct 2026 07:28:00 GMT}
 * one minute before that instant is 60 s, and after it 0 s.
 */
public final class RetryAfter {
    /** The longest wait a header can ask for; longer requests are read as this. */
    public static final Duration MAX = Duration.ofDays(1);

    private RetryAfter() {
    }

    /** The wait {@code headers} ask for, measured from {@code now}; empty when none of them says one. */
    public static Optional<Duration> of(HttpHeaders headers, Instant now) {
        Optional<Duration> ms = headers.firstValue("retry-after-ms").flatMap(v -> amount(v, 1));
        if (ms.isPresent()) {
            return ms;
        }
        return headers.firstValue("retry-after").flatMap(v -> amount(v, 1_000).or(() -> date(v, now)));
    }

    /** A non-negative finite number of units of {@code millisPerUnit} milliseconds, rounded up. */
    private static Optional<Duration> amount(String text, long millisPerUnit) {
        double value;
        try {
            value = Double.parseDouble(text.strip());
        } catch (NumberFormatException notANumber) {
            return Optional.empty();
        }
        if (!Double.isFinite(value) || value < 0) {
            return Optional.empty();
        }
        double millis = Math.ceil(value * millisPerUnit);
        return Optional.of(millis >= MAX.toMillis() ? MAX : Duration.ofMillis((long) millis));
    }

    private static Optional<Duration> date(String text, Instant now) {
        Instant at;
        try {
            at = ZonedDateTime.parse(text.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException notADate) {
            return Optional.empty();
        }
        Duration d = Duration.between(now, at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d.compareTo(MAX) > 0 ? MAX : d);
    }
}
