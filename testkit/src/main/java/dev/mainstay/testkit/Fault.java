package dev.mainstay.testkit;

import java.time.Duration;
import java.util.Optional;

/**
 * What the fake provider does with one request. Start from {@link #ok()} or one of the fault
 * factories and add a latency: {@code Fault.status(429).retryAfter(Duration.ofSeconds(2))},
 * {@code Fault.ok().latency(Duration.ofMillis(50), Duration.ofMillis(200))}.
 *
 * @param kind what happens after the latency
 * @param status HTTP status for {@link Kind#STATUS}
 * @param retryAfter sent as {@code Retry-After} (whole seconds, rounded up) when present
 */
public record Fault(Kind kind, Duration minLatency, Duration maxLatency, int status, Optional<Duration> retryAfter) {

    /** The closed set of behaviours. */
    public enum Kind {
        /** A well-formed answer whose content satisfies the requested JSON Schema. */
        OK,
        /** An error status with the wire format's error body (OpenAI's or Anthropic's). */
        STATUS,
        /** Accept the request and never answer (until the client gives up). */
        HANG,
        /** Close the connection with a TCP reset before answering. */
        RESET,
        /** 200 with a body that is not JSON. */
        MALFORMED,
        /** 200 with message content that is JSON but violates the schema. */
        INVALID_OUTPUT,
        /** 200 with message content that is prose, not JSON. */
        PROSE_OUTPUT,
        /** 200 with a refusal instead of content ({@code refusal} or {@code stop_reason: refusal}). */
        REFUSAL,
        /** Headers promise more body than is sent; then the connection closes. */
        TRUNCATED
    }

    public Fault {
        if (maxLatency.compareTo(minLatency) < 0) {
            throw new IllegalArgumentException("maxLatency must not be below minLatency");
        }
    }

    public static Fault ok() { return new Fault(Kind.OK, Duration.ZERO, Duration.ZERO, 200, Optional.empty()); }
    public static Fault status(int status) { return new Fault(Kind.STATUS, Duration.ZERO, Duration.ZERO, status, Optional.empty()); }
    public static Fault hang() { return of(Kind.HANG); }
    public static Fault reset() { return of(Kind.RESET); }
    public static Fault malformed() { return of(Kind.MALFORMED); }
    public static Fault invalidOutput() { return of(Kind.INVALID_OUTPUT); }
    public static Fault proseOutput() { return of(Kind.PROSE_OUTPUT); }
    public static Fault refusal() { return of(Kind.REFUSAL); }
    public static Fault truncated() { return of(Kind.TRUNCATED); }

    private static Fault of(Kind kind) {
        return new Fault(kind, Duration.ZERO, Duration.ZERO, 200, Optional.empty());
    }

    public Fault latency(Duration fixed) {
        return new Fault(kind, fixed, fixed, status, retryAfter);
    }

    /** A latency drawn uniformly from {@code [min, max]} for each request. */
    public Fault latency(Duration min, Duration max) {
        return new Fault(kind, min, max, status, retryAfter);
    }

    public Fault retryAfter(Duration wait) {
        return new Fault(kind, minLatency, maxLatency, status, Optional.of(wait));
    }

    /**
     * What this fault does, as a script would write it: {@code ok}, {@code status 503 with
     * Retry-After 2s}, {@code reset after 50ms..400ms}.
     */
    public String describe() {
        StringBuilder out = new StringBuilder(kind == Kind.STATUS ? "status " + status : kind.name().toLowerCase(java.util.Locale.ROOT));
        retryAfter.ifPresent(d -> out.append(" with Retry-After ").append(text(d)));
        if (!maxLatency.isZero()) {
            out.append(" after ").append(text(minLatency)).append(minLatency.equals(maxLatency) ? "" : ".." + text(maxLatency));
        }
        return out.toString();
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
