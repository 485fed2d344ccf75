package dev.mainstay.engine;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;
import java.time.Duration;

/**
 * Admission refused because a backlog is over its limit: {@code rate_limited} when the caller's
 * own account is over its share, {@code overloaded} when the whole node is. Nothing was accepted.
 */
public final class OverloadedException extends MainstayException {
    public OverloadedException(ErrorCode code, String message, Duration retryAfter) {
        super(code, message, retryAfter, false);
    }
}
