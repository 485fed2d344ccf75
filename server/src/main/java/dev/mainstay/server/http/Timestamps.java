package dev.mainstay.server.http;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Times a client sends: a key's expiry, a query's bounds. RFC 3339 only, whose years have four
 * digits; {@code java.time} alone also reads {@code +999999999-12-31T23:59:59Z}, a time no store
 * can hold in epoch milliseconds.
 */
final class Timestamps {
    private static final Pattern TIME = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})");
    private static final Pattern DATE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");

    private Timestamps() {
    }

    /** An RFC 3339 date-time such as {@code 2027-01-31T00:00:00Z}; empty when {@code text} is not one. */
    static Optional<Instant> time(String text) {
        if (!TIME.matcher(text).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(text.toUpperCase(Locale.ROOT)).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty(); // 2027-02-30 and the like
        }
    }

    /** {@link #time} or an RFC 3339 full-date such as {@code 2026-11-01}, meaning its UTC midnight. */
    static Optional<Instant> timeOrDate(String text) {
        if (!DATE.matcher(text).matches()) {
            return time(text);
        }
        try {
            return Optional.of(LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
