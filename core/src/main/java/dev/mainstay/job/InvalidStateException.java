package dev.mainstay.job;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/** An operation that the job's current status does not allow, e.g. replaying a completed job. */
public final class InvalidStateException extends MainstayException {
    public InvalidStateException(String message) {
        super(ErrorCode.INVALID_STATE, message, null, false);
    }
}
