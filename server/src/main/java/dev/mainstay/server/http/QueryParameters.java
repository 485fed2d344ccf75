package dev.mainstay.server.http;

import io.helidon.common.uri.UriQuery;
import io.helidon.webserver.http.ServerRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A request's query parameters, read one by one; every bad one is collected, so that
 * {@link #check} refuses the request once, naming them all.
 */
final class QueryParameters {
    private static final java.util.regex.Pattern CURSOR = java.util.regex.Pattern.compile("[A-Za-z0-9_]{1,64}");

    private final UriQuery query;
    private final List<Problem.FieldError> errors = new ArrayList<>();

    private QueryParameters(UriQuery query) {
        this.query = query;
    }

    static QueryParameters of(ServerRequest req) {
        return new QueryParameters(req.query());
    }

    Optional<String> first(String name) {
        return query.first(name).asOptional();
    }

    /** The parameter without surrounding blanks; empty when absent or blank. */
    Optional<String> text(String name) {
        return first(name).map(String::strip).filter(s -> !s.isEmpty());
    }

    /** A whole number from {@code min} to {@code max}; {@code otherwise} when absent (or bad, which is reported). */
    long number(String name, long otherwise, long min, long max) {
        Optional<String> text = first(name);
        if (text.isEmpty()) {
            return otherwise;
        }
        try {
            long v = Long.parseLong(text.get().strip());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        error(name, "must be a whole number from " + min + " to " + max);
        return otherwise;
    }

    /** A page cursor: an id this endpoint returned. */
    String cursor() {
        Optional<String> text = first("cursor");
        if (text.isPresent() && !CURSOR.matcher(text.get()).matches()) {
            error("cursor", "not a cursor returned by this endpoint");
            return null;
        }
        return text.orElse(null);
    }

    /** An RFC 3339 instant or a {@code YYYY-MM-DD} date (its UTC midnight); {@code otherwise} when absent, null when bad. */
    Instant time(String name, Instant otherwise) {
        Optional<String> text = first(name);
        if (text.isEmpty()) {
            return otherwise;
        }
        String t = text.get().strip();
        Optional<Instant> at = Timestamps.timeOrDate(t);
        if (at.isEmpty()) {
            error(name, "must be a date (2026-11-01) or an RFC 3339 time (2026-11-01T00:00:00Z); got '" + t + "'");
        }
        return at.orElse(null);
    }

    /** Reports {@code to} when it is not after {@code from} (both read without error). */
    void ordered(Instant from, Instant to) {
        if (from != null && to != null && !from.isBefore(to)) {
            error("to", "must be after 'from'");
        }
    }

    void error(String parameter, String detail) {
        errors.add(Problem.FieldError.parameter(parameter, detail));
    }

    /** Refuses the request with {@code 400 invalid_input} and every bad parameter, if there was one. */
    void check(String detail) {
        if (!errors.isEmpty()) {
            throw new ApiException(Problem.invalid(detail, errors));
        }
    }
}
