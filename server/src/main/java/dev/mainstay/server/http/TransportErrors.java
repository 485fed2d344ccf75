package dev.mainstay.server.http;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import io.helidon.http.DateTime;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Answers requests refused before they reach {@link HttpApi}, by Helidon's HTTP/1.1 parser (a bad
 * path or header, a malformed chunk) or by Mainstay's own transport layer ({@link RequestFramer}:
 * a request line that is not HTTP/1.x, an oversized head), with Mainstay's own problem JSON and the
 * security headers. The HTTP parser reports some malformed prologues (a control character in the
 * method, for one) as an internal error; no route has run by then, so the fault is the client's and
 * the answer is 400, not 500.
 */
final class TransportErrors implements DirectHandler {
    private static final String DEFAULT_DETAIL =
            "the request line or headers are malformed or larger than server.max_header_bytes, or the body framing is broken";
    private static final Map<Integer, String> DETAILS = Map.of(
            413, "the request body is too large",
            414, "the request line is too long",
            431, "the request headers are too large");
    private static final String[][] HEADERS = {
        {"Content-Type", "application/problem+json"},
        {"Cache-Control", "no-store"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
        {"Content-Security-Policy", SecurityHeaders.CONTENT_SECURITY_POLICY},
    };

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
        String path;
        try {
            path = request.path();
        } catch (RuntimeException e) {
            path = "";
        }
        TransportResponse.Builder answer = TransportResponse.builder()
                .status(Status.create(code))
                .keepAlive(false)
                .entity(body(code, DETAILS.getOrDefault(code, DEFAULT_DETAIL), path));
        for (String[] h : HEADERS) {
            answer.header(HeaderNames.create(h[0]), h[1]);
        }
        return answer.build();
    }

    /**
     * A whole HTTP/1.1 answer with the problem for {@code status}, for a request refused before
     * Helidon has read it ({@link GuardedConnection}); the connection closes after it.
     */
    static byte[] answer(int status, String detail, String instance) {
        byte[] body = body(status, detail, instance);
        StringBuilder head = new StringBuilder(512)
                .append("HTTP/1.1 ").append(status).append(' ').append(Status.create(status).reasonPhrase()).append("\r\n")
                .append("Date: ").append(DateTime.rfc1123String()).append("\r\n")
                .append("Connection: close\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        for (String[] h : HEADERS) {
            head.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(headBytes, headBytes.length + body.length);
        System.arraycopy(body, 0, out, headBytes.length, body.length);
        return out;
    }

    private static byte[] body(int status, String detail, String instance) {
        ErrorCode errorCode = switch (status) {
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 403 -> ErrorCode.FORBIDDEN;
            default -> ErrorCode.INVALID_INPUT;
        };
        Problem problem = new Problem(status, errorCode, detail, false, Optional.empty(), List.of());
        return Json.write(problem.toJson(instance.length() > 200 ? instance.substring(0, 200) : instance)).getBytes(StandardCharsets.UTF_8);
    }
}
