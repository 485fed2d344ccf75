package dev.mainstay.limits;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/** The workflow's eligibility rules (plan, roles) exclude the caller. Nothing was queued. */
public final class NotEligibleException extends MainstayException {
    public NotEligibleException(String message) {
        super(ErrorCode.NOT_ELIGIBLE, message);
    }
}
