package dev.mainstay.job;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/** The idempotency key was used before with a different request body. */
public final class IdempotencyConflictException extends MainstayException {
    private final String existingJobId;

    public IdempotencyConflictException(String key, String existingJobId) {
        super(ErrorCode.IDEMPOTENCY_CONFLICT, "Idempotency-Key '" + key + "' was already used with a different request (job "
                + existingJobId + "); use a new key for a new request", null, false);
        this.existingJobId = existingJobId;
    }

    public String existingJobId() {
        return existingJobId;
    }
}
