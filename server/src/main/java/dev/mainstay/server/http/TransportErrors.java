package dev.mainstay.server.http;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Answers requests the HTTP layer refuses before they reach {@link HttpApi} (an oversized request
 * line or header block, a malformed prologue or chunk) with Mainstay's own problem JSON and the
 * security headers. The HTTP parser reports some malformed prologues (a control character in the
 * method, for one) as an internal error; no route has run by then, so the fault is the client's and
 * the answer is 400, not 500.
 */
final class TransportErrors implements DirectHandler {
    private TransportErrors() {
    }

    static DirectHandlers handlers() {
        DirectHandlers.Builder b = DirectHandlers.builder();
        TransportErrors handler = new TransportErrors();
        for (EventType type : EventType.values()) {
            b.addHandler(type, handler);
        }
        return b.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status, ServerResponseHeaders headers, Throwable thrown,
            System.Logger logger) {
        return handle(request, eventType, status, headers, thrown == null ? "" : String.valueOf(thrown.getMessage()));
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status, ServerResponseHeaders headers, String message) {
        int code = status.code() >= 500 ? 400 : status.code();
        ErrorCode errorCode = switch (code) {
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 403 -> ErrorCode.FORBIDDEN;
            default -> ErrorCode.INVALID_INPUT;
        };
        String detail = switch (code) {
            case 413 -> "the request body is too large";
            case 414 -> "the request line is too long";
            case 431 -> "the request headers are too large";
            case 505 -> "only HTTP/1.1 and HTTP/2 are served";
            default -> "the request line or headers are malformed or larger than server.max_header_bytes, or the body framing is broken";
        };
        String path;
        try {
            path = request.path();
        } catch (RuntimeException e) {
            path = "";
        }
        Problem problem = new Problem(code, errorCode, detail, false, Optional.empty(), List.of());
        byte[] body = Json.write(problem.toJson(path.length() > 200 ? path.substring(0, 200) : path)).getBytes(StandardCharsets.UTF_8);
        return TransportResponse.builder()
                .status(Status.create(code))
                .header(HeaderNames.CONTENT_TYPE, "application/problem+json")
                .header(HeaderNames.CACHE_CONTROL, "no-store")
                .header(HeaderNames.create("X-Content-Type-Options"), "nosniff")
                .header(HeaderNames.create("Referrer-Policy"), "no-referrer")
                .header(HeaderNames.create("X-Frame-Options"), "DENY")
                .header(HeaderNames.create("Content-Security-Policy"), SecurityHeaders.CONTENT_SECURITY_POLICY)
                .keepAlive(false)
                .entity(body)
                .build();
    }
}
