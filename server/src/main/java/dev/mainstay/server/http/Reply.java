package dev.mainstay.server.http;

import dev.mainstay.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * One answer of the HTTP API: status, JSON body and extra headers. A reply is a value: adding a
 * header makes a new one. Its body is built for this reply alone and is not changed once the
 * reply exists.
 */
record Reply(int status, JsonNode body, List<Header> headers) {
    /** One response header. */
    record Header(String name, String value) {
    }

    Reply {
        headers = List.copyOf(headers);
    }

    static Reply json(int status, JsonNode body) {
        return new Reply(status, body, List.of());
    }

    /** The problem as its answer: {@code Retry-After} when it has one, the challenge on a 401. */
    static Reply problem(Problem p, String instance) {
        Reply r = json(p.status(), p.toJson(instance));
        if (p.retryAfter().isPresent()) {
            r = r.withHeader("Retry-After", Long.toString(Problem.seconds(p.retryAfter().get())));
        }
        return p.status() == 401 ? r.withHeader("WWW-Authenticate", "Bearer realm=\"mainstay\"") : r;
    }

    Reply withHeader(String name, String value) {
        List<Header> more = new ArrayList<>(headers);
        more.add(new Header(name, value));
        return new Reply(status, body, more);
    }

    /** Sends the reply: JSON (a problem as {@code application/problem+json}) with the security headers. */
    void send(ServerResponse res) {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, status >= 400 ? "application/problem+json" : "application/json");
        SecurityHeaders.apply(res);
        for (Header h : headers) {
            res.header(h.name(), h.value());
        }
        res.send(bytes);
    }
}
