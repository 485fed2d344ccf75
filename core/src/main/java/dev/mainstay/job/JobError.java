package dev.mainstay.job;

import dev.mainstay.ErrorCode;

/** Why a job (or one of its attempts) failed, and whether trying again may help. */
public record JobError(ErrorCode code, String message, boolean retryable) {
    public JobError {
        if (code == null || message == null) {
            throw new IllegalArgumentException("code and message are required");
        }
        // An internal failure is never retryable, however it was built or stored (rows written
        // before this rule say true).
        retryable = retryable && code != ErrorCode.INTERNAL;
    }

    public static JobError of(ErrorCode code, String message) {
        return new JobError(code, message, code.retryable());
    }
}
