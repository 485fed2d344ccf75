package dev.mainstay.server.http;

import dev.mainstay.ErrorCode;
import io.helidon.http.HeaderName;
import io.helidon.webserver.http.ServerRequest;
import java.util.List;
import java.util.Optional;

/** Request headers that mean one thing only when sent once. */
final class RequestHeaders {
    private RequestHeaders() {
    }

    /**
     * The one value of {@code name}, or empty when it was not sent. Sent twice, it is refused with
     * 400: two keys, or two idempotency keys, leave it to chance which one a server or a proxy in
     * between acts on.
     */
    static Optional<String> single(ServerRequest req, HeaderName name) {
        List<String> values = req.headers().all(name, List::of);
        if (values.size() > 1) {
            throw new ApiException(new Problem(400, ErrorCode.INVALID_INPUT, "the request has " + values.size() + " " + name.defaultCase()
                    + " headers; send exactly one", false, Optional.empty(),
                    List.of(Problem.FieldError.parameter(name.defaultCase(), "sent " + values.size() + " times; send it once"))));
        }
        return values.stream().findFirst();
    }
}
