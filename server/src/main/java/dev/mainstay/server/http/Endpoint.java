package dev.mainstay.server.http;

import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;

/**
 * What answers one route: the reply to a request. A refusal is thrown, not returned, and
 * {@link Problems} turns it into its problem.
 */
@FunctionalInterface
interface Endpoint {
    Reply answer(ServerRequest req) throws Exception;

    /** The Helidon handler that sends what {@code endpoint} answers. */
    static Handler handler(Endpoint endpoint) {
        return (req, res) -> endpoint.answer(req).send(res);
    }
}
