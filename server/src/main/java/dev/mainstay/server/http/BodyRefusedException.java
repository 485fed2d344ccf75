package dev.mainstay.server.http;

import dev.mainstay.ErrorCode;
import dev.mainstay.MainstayException;

/**
 * A request body refused as it streams in ({@link RequestFramer}): raised to whoever reads that
 * body, which answers it as a problem and closes the connection.
 */
final class BodyRefusedException extends MainstayException {
    BodyRefusedException(int status, String detail) {
        super(status == 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.INVALID_INPUT, detail, null, false);
    }
}
