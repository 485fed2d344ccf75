package dev.mainstay;

import java.util.Locale;

/**
 * The stable error codes of Mainstay. Clients branch on {@link #code()}; the wire value never
 * changes once shipped. Whether a retry of the same request may succeed is a property of the code
 * unless a refusal says otherwise.
 */
public enum ErrorCode {
    INVALID_INPUT(false),
    UNKNOWN_WORKFLOW(false),
    UNAUTHORIZED(false),
    /** A signed request (an inbound event) whose signature or timestamp does not hold. */
    INVALID_SIGNATURE(false),
    FORBIDDEN(false),
    NOT_FOUND(false),
    METHOD_NOT_ALLOWED(false),
    UNSUPPORTED_MEDIA_TYPE(false),
    NOT_ELIGIBLE(false),
    RATE_LIMITED(true),
    QUOTA_EXCEEDED(true),
    BUDGET_EXCEEDED(false),
    IDEMPOTENCY_CONFLICT(false),
    INVALID_STATE(false),
    PAYLOAD_TOO_LARGE(false),
    OVERLOADED(true),
    PROVIDER_TIMEOUT(true),
    PROVIDER_UNAVAILABLE(true),
    PROVIDER_RATE_LIMITED(true),
    PROVIDER_REFUSED(false),
    PROVIDER_REJECTED(false),
    INVALID_MODEL_OUTPUT(false),
    VALIDATION_FAILED(false),
    LOW_CONFIDENCE(false),
    TOOL_FAILED(true),
    REVIEW_REJECTED(false),
    REDACTION_BLOCKED(false),
    DEADLINE_EXCEEDED(false),
    CANCELLED(false),
    /**
     * An unexpected failure: a bug until shown otherwise, which the same request or the same
     * stage may well meet again, so it never claims that retrying helps.
     */
    INTERNAL(false);

    private final boolean retryable;

    ErrorCode(boolean retryable) {
        this.retryable = retryable;
    }

    /** The wire form, e.g. {@code invalid_input}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether sending the same request again later may succeed. */
    public boolean retryable() {
        return retryable;
    }

    public static java.util.Optional<ErrorCode> fromCode(String code) {
        for (ErrorCode c : values()) {
            if (c.code().equals(code)) {
                return java.util.Optional.of(c);
            }
        }
        return java.util.Optional.empty();
    }
}
