package dev.mainstay.store;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/** The database failed or refused an operation; the message says which and why. */
public class StoreException extends MainstayException {
    public StoreException(String message) {
        super(ErrorCode.INTERNAL, message);
    }

    public StoreException(String message, Throwable cause) {
        super(ErrorCode.INTERNAL, message, cause);
    }
}
