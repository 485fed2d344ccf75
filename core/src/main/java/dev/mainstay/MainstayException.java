package dev.mainstay;

import java.time.Duration;
import java.util.Optional;

/**
 * The one root of every exception Mainstay throws on purpose. Carries a stable {@link ErrorCode}
 * so that the HTTP layer can turn any of them into an RFC 9457 problem without guessing.
 */
public class MainstayException extends RuntimeException {
    private final ErrorCode code;
    private final Duration retryAfter;

    public MainstayException(ErrorCode code, String message) {
        this(code, message, null, null);
    }

    public MainstayException(ErrorCode code, String message, Throwable cause) {
        this(code, message, null, cause);
    }

    public MainstayException(ErrorCode code, String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.retryAfter = retryAfter;
    }

    /** For expected, frequent refusals: no stack trace is captured. */
    protected MainstayException(ErrorCode code, String message, Duration retryAfter, boolean withStackTrace) {
        super(message, null, false, withStackTrace);
        this.code = code;
        this.retryAfter = retryAfter;
    }

    public ErrorCode code() {
        return code;
    }

    public boolean retryable() {
        return code.retryable();
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
