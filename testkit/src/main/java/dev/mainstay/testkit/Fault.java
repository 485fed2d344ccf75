package dev.mainstay.testkit;

import dev.mainstay.Json;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * What the fake provider does with one request. Start from {@link #ok()} or one of the fault
 * factories and add a latency: {@code Fault.status(429).retryAfter(Duration.ofSeconds(2))},
 * {@code Fault.ok().latency(Duration.ofMillis(50), Duration.ofMillis(200))}. Odd but well-formed
 * answers are modifiers of an answer: {@code Fault.ok().usage("-17", "-3")} reports negative
 * token counts, {@code Fault.ok().numbers("1e308")} puts {@code 1e308} in every number of the
 * content.
 *
 * @param kind what happens after the latency
 * @param status HTTP status for {@link Kind#STATUS}
 * @param retryAfter sent as {@code Retry-After} (whole seconds, rounded up) when present
 * @param usage the token counts to report instead of the fake's own, when present
 * @param numbers a JSON value put in place of every number (integer or not) of the answer's
 *     content, when present: {@code 1e308}, {@code -1e308}, {@code "NaN"}
 * @param rateLimits rate-limit headers to send, written as the request's wire format writes
 *     them, when present (see {@link RateLimits})
 * @param headers more response headers, sent verbatim (after the others, so they may replace
 *     one): a malformed {@code x-ratelimit-remaining-requests: soon}, say
 */
public record Fault(Kind kind, Duration minLatency, Duration maxLatency, int status, Optional<Duration> retryAfter, Optional<Usage> usage,
                    Optional<JsonNode> numbers, Optional<RateLimits> rateLimits, Map<String, String> headers) {

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
        /** 200 with a valid answer and a refusal beside it ({@code refusal} next to {@code content}; Anthropic: {@code stop_reason: refusal}). */
        REFUSAL_WITH_CONTENT,
        /** 200 with no answer in it: {@code choices: []} (Anthropic: {@code content: []}). */
        EMPTY_CHOICES,
        /** 200 with the first half of a valid answer, cut off at the token limit ({@code finish_reason: length}; Anthropic: {@code stop_reason: max_tokens}). */
        CUT_OFF,
        /** Headers promise more body than is sent; then the connection closes. */
        TRUNCATED
    }

    /**
     * Token counts to report, each any JSON value (a negative number, {@code 1e308}, {@code "NaN"});
     * {@code null} leaves the count out. The fake writes them where the request's wire format
     * keeps them: OpenAI's {@code prompt_tokens} and {@code completion_tokens} (and their sum as
     * {@code total_tokens} when both are whole numbers), Anthropic's {@code input_tokens} and
     * {@code output_tokens}.
     */
    public record Usage(JsonNode input, JsonNode output) {
    }

    /**
     * A provider's request and token budgets as its rate-limit headers report them. For an
     * OpenAI request the fake sends {@code x-ratelimit-limit-requests}, {@code
     * x-ratelimit-remaining-requests}, {@code x-ratelimit-reset-requests} (a duration such as
     * {@code 2s} or {@code 1m30s}) and the same for {@code tokens}; for an Anthropic request
     * {@code anthropic-ratelimit-requests-limit}, {@code -remaining}, {@code -reset} (an RFC 3339
     * instant, measured on the fake's clock) and the same for {@code tokens}. Example: {@code
     * new RateLimits(50, 0, Duration.ofSeconds(2), 40_000, 39_000, Duration.ofSeconds(1))} says
     * the requests are used up for 2 s.
     */
    public record RateLimits(long requestsLimit, long requestsRemaining, Duration requestsReset, long tokensLimit, long tokensRemaining,
                             Duration tokensReset) {
    }

    public Fault {
        if (maxLatency.compareTo(minLatency) < 0) {
            throw new IllegalArgumentException("maxLatency must not be below minLatency");
        }
        headers = Map.copyOf(headers);
    }

    public Fault(Kind kind, Duration minLatency, Duration maxLatency, int status, Optional<Duration> retryAfter) {
        this(kind, minLatency, maxLatency, status, retryAfter, Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    }

    public static Fault ok() { return new Fault(Kind.OK, Duration.ZERO, Duration.ZERO, 200, Optional.empty()); }
    public static Fault status(int status) { return new Fault(Kind.STATUS, Duration.ZERO, Duration.ZERO, status, Optional.empty()); }
    public static Fault hang() { return of(Kind.HANG); }
    public static Fault reset() { return of(Kind.RESET); }
    public static Fault malformed() { return of(Kind.MALFORMED); }
    public static Fault invalidOutput() { return of(Kind.INVALID_OUTPUT); }
    public static Fault proseOutput() { return of(Kind.PROSE_OUTPUT); }
    public static Fault refusal() { return of(Kind.REFUSAL); }
    public static Fault refusalWithContent() { return of(Kind.REFUSAL_WITH_CONTENT); }
    public static Fault emptyChoices() { return of(Kind.EMPTY_CHOICES); }
    public static Fault cutOff() { return of(Kind.CUT_OFF); }
    public static Fault truncated() { return of(Kind.TRUNCATED); }

    /** A valid answer reporting negative token counts (-17 prompt, -3 answer). */
    public static Fault negativeUsage() { return ok().usage("-17", "-3"); }

    /** A valid answer reporting token counts no call could use: the largest long as prompt tokens, {@code 1e308} as answer tokens. */
    public static Fault absurdUsage() { return ok().usage(Long.toString(Long.MAX_VALUE), "1e308"); }

    private static Fault of(Kind kind) {
        return new Fault(kind, Duration.ZERO, Duration.ZERO, 200, Optional.empty());
    }

    public Fault latency(Duration fixed) {
        return new Fault(kind, fixed, fixed, status, retryAfter, usage, numbers, rateLimits, headers);
    }

    /** A latency drawn uniformly from {@code [min, max]} for each request. */
    public Fault latency(Duration min, Duration max) {
        return new Fault(kind, min, max, status, retryAfter, usage, numbers, rateLimits, headers);
    }

    public Fault retryAfter(Duration wait) {
        return new Fault(kind, minLatency, maxLatency, status, Optional.of(wait), usage, numbers, rateLimits, headers);
    }

    /** Reports these token counts instead of the fake's own. */
    public Fault usage(Usage reported) {
        return new Fault(kind, minLatency, maxLatency, status, retryAfter, Optional.of(reported), numbers, rateLimits, headers);
    }

    /**
     * Reports these token counts, each written as JSON text ({@code "-17"}, {@code "1e308"},
     * {@code "\"NaN\""}), or {@code null} to leave the count out.
     */
    public Fault usage(String input, String output) {
        return usage(new Usage(input == null ? null : literal(input), output == null ? null : literal(output)));
    }

    /** Puts this JSON value, written as JSON text ({@code "1e308"}, {@code "\"NaN\""}), in place of every number of the content. */
    public Fault numbers(String json) {
        return numbers(literal(json));
    }

    public Fault numbers(JsonNode value) {
        return new Fault(kind, minLatency, maxLatency, status, retryAfter, usage, Optional.of(value), rateLimits, headers);
    }

    /** Sends these rate-limit headers, as the request's wire format writes them. */
    public Fault rateLimits(RateLimits budgets) {
        return new Fault(kind, minLatency, maxLatency, status, retryAfter, usage, numbers, Optional.of(budgets), headers);
    }

    /**
     * Sends these headers verbatim as well, replacing any the fake would send under the same
     * (lower-case) name: {@code Fault.ok().headers(Map.of("x-ratelimit-remaining-requests", "-3"))}.
     */
    public Fault headers(Map<String, String> extra) {
        Map<String, String> all = new java.util.HashMap<>(headers);
        extra.forEach((k, v) -> all.put(k.toLowerCase(java.util.Locale.ROOT), v));
        return new Fault(kind, minLatency, maxLatency, status, retryAfter, usage, numbers, rateLimits, all);
    }

    private static JsonNode literal(String json) {
        try {
            return Json.parse(json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not JSON text: " + json + " (write a string with its quotes, e.g. \"\\\"NaN\\\"\")", e);
        }
    }

    /**
     * What this fault does, as a script would write it: {@code ok}, {@code status 503 with
     * Retry-After 2s}, {@code reset after 50ms..400ms}.
     */
    public String describe() {
        StringBuilder out = new StringBuilder(kind == Kind.STATUS ? "status " + status : kind.name().toLowerCase(java.util.Locale.ROOT));
        retryAfter.ifPresent(d -> out.append(" with Retry-After ").append(text(d)));
        rateLimits.ifPresent(r -> out.append(" with ").append(r.requestsRemaining()).append(" of ").append(r.requestsLimit()).append(" requests left for ")
                .append(text(r.requestsReset())));
        if (!maxLatency.isZero()) {
            out.append(" after ").append(text(minLatency)).append(minLatency.equals(maxLatency) ? "" : ".." + text(maxLatency));
        }
        return out.toString();
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
