package dev.mainstay.server.http;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.contract.Violation;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An RFC 9457 problem: every refusal Mainstay sends. {@code code} is stable and what clients
 * branch on; {@code errors} lists bad fields with JSON pointers into the request body (or the
 * name of a bad query parameter); {@code members} are further members of the problem document,
 * such as the {@code limit} and {@code scope} of a limit that refused a submit.
 */
record Problem(int status, ErrorCode code, String detail, boolean retryable, Optional<Duration> retryAfter, List<FieldError> errors,
        SequencedMap<String, String> members) {

    /** One bad field: a JSON pointer into the body, or a query parameter name. */
    record FieldError(String pointer, String parameter, String detail) {
        static FieldError of(Violation v) {
            return new FieldError(v.pointer(), null, v.message());
        }

        static FieldError parameter(String name, String detail) {
            return new FieldError(null, name, detail);
        }
    }

    Problem {
        errors = List.copyOf(errors);
        members = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(members));
        // An unexpected failure is a bug until shown otherwise, and the same request may well meet
        // it again: an internal problem never tells a client that retrying helps, whatever the
        // exception that led here said.
        retryable = retryable && code != ErrorCode.INTERNAL;
    }

    Problem(int status, ErrorCode code, String detail, boolean retryable, Optional<Duration> retryAfter, List<FieldError> errors) {
        this(status, code, detail, retryable, retryAfter, errors, new LinkedHashMap<>());
    }

    /** A {@code 400 invalid_input} naming the bad query parameters or fields. */
    static Problem invalid(String detail, List<FieldError> errors) {
        return new Problem(400, ErrorCode.INVALID_INPUT, detail, false, Optional.empty(), errors);
    }

    /** The answer to a failure nobody planned for; the failure itself is in the server's log. */
    static Problem internal() {
        return new Problem(500, ErrorCode.INTERNAL, "an unexpected error occurred answering this request; it has been logged",
                false, Optional.empty(), List.of());
    }

    static Problem of(ErrorCode code, String detail) {
        return new Problem(status(code), code, detail, code.retryable(), Optional.empty(), List.of());
    }

    static int status(ErrorCode code) {
        return switch (code) {
            case INVALID_INPUT -> 400;
            case UNAUTHORIZED, INVALID_SIGNATURE -> 401;
            case FORBIDDEN, NOT_ELIGIBLE -> 403;
            case NOT_FOUND, UNKNOWN_WORKFLOW -> 404;
            case METHOD_NOT_ALLOWED -> 405;
            case INVALID_STATE, CANCELLED -> 409;
            case PAYLOAD_TOO_LARGE -> 413;
            case UNSUPPORTED_MEDIA_TYPE -> 415;
            case RATE_LIMITED, QUOTA_EXCEEDED, BUDGET_EXCEEDED -> 429;
            case PROVIDER_TIMEOUT, DEADLINE_EXCEEDED -> 504;
            case PROVIDER_UNAVAILABLE, PROVIDER_RATE_LIMITED, PROVIDER_REFUSED, PROVIDER_REJECTED, INVALID_MODEL_OUTPUT, TOOL_FAILED -> 502;
            // The IETF Idempotency-Key draft: a key reused with another payload is 422. Its 409 is
            // for a first request still being processed, which never shows here: a submit records
            // its key and its job in one transaction, and a racing repeat waits for that commit.
            case IDEMPOTENCY_CONFLICT, VALIDATION_FAILED, LOW_CONFIDENCE, REVIEW_REJECTED, REDACTION_BLOCKED -> 422;
            case OVERLOADED -> 503;
            case INTERNAL -> 500;
        };
    }

    static String title(ErrorCode code) {
        String words = code.code().replace('_', ' ');
        return Character.toUpperCase(words.charAt(0)) + words.substring(1);
    }

    ObjectNode toJson(String instance) {
        ObjectNode o = Json.object();
        o.put("type", "urn:mainstay:problem:" + code.code());
        o.put("title", title(code));
        o.put("status", status);
        o.put("detail", detail);
        o.put("instance", instance);
        o.put("code", code.code());
        o.put("retryable", retryable);
        retryAfter.ifPresent(d -> o.put("retry_after", seconds(d)));
        members.forEach(o::put);
        if (!errors.isEmpty()) {
            ArrayNode list = o.putArray("errors");
            for (FieldError e : errors) {
                ObjectNode item = list.addObject();
                if (e.pointer() != null) {
                    item.put("pointer", e.pointer());
                }
                if (e.parameter() != null) {
                    item.put("parameter", e.parameter());
                }
                item.put("detail", e.detail());
            }
        }
        return o;
    }

    static long seconds(Duration d) {
        return Math.max(1, (d.toMillis() + 999) / 1000);
    }
}
