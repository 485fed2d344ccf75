package dev.mainstay.metrics;

import dev.mainstay.provider.ProviderOutcome;
import java.util.Locale;

/**
 * The class of a model call's outcome, as a metric label and a span's {@code error.type}: fewer
 * than the provider outcomes' details, and the same for every provider.
 */
public enum CallClass {
    OK,
    /** The model answered, but the answer failed the output contract. */
    INVALID_OUTPUT,
    RATE_LIMITED,
    TIMEOUT,
    /** 5xx, overload, a reset or truncated connection, a body that is not an answer. */
    SERVER_ERROR,
    REFUSED,
    /** 400, 401, 403, 404: the request or the configuration is wrong. */
    REJECTED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The class of {@code outcome}; a success is {@link #OK} until its answer is checked. */
    public static CallClass of(ProviderOutcome outcome) {
        return switch (outcome) {
            case ProviderOutcome.Success s -> OK;
            case ProviderOutcome.RateLimited r -> RATE_LIMITED;
            case ProviderOutcome.Transient t -> SERVER_ERROR;
            case ProviderOutcome.TimedOut t -> TIMEOUT;
            case ProviderOutcome.Refused r -> REFUSED;
            case ProviderOutcome.Fatal f -> REJECTED;
        };
    }

    /**
     * The class of a failed model call, read back from the error code its job recorded; empty for
     * a code that no model call ends in (a tool's failure, a budget refusal).
     */
    public static java.util.Optional<CallClass> ofCode(String code) {
        return java.util.Optional.ofNullable(switch (code) {
            case "provider_rate_limited" -> RATE_LIMITED;
            case "provider_unavailable" -> SERVER_ERROR;
            case "provider_timeout" -> TIMEOUT;
            case "provider_refused" -> REFUSED;
            case "provider_rejected" -> REJECTED;
            case "invalid_model_output", "validation_failed", "low_confidence" -> INVALID_OUTPUT;
            default -> null;
        });
    }
}
