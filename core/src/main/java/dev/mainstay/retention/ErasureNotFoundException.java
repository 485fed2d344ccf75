package dev.mainstay.retention;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/** No erasure with that id. */
public final class ErasureNotFoundException extends MainstayException {
    public ErasureNotFoundException(String erasureId) {
        super(ErrorCode.NOT_FOUND, "no erasure '" + erasureId + "'", null, false);
    }
}
