package dev.mainstay.server.http;

import static dev.mainstay.server.http.ApiException.refuse;

import dev.mainstay.ErrorCode;
import io.helidon.common.uri.UriPath;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;

/**
 * Answers what no route took, tried after every route: a path that has routes for other methods
 * is {@code 405 method_not_allowed} with {@code Allow}; a {@code POST} to a path under
 * {@code /v1/} that names no workflow is {@code 404 unknown_workflow}, after authentication so
 * that workflow names cannot be probed; anything else is {@code 404 not_found}.
 */
final class Unrouted implements Handler {
    private final RouteTable routes;
    private final Authenticator auth;

    Unrouted(RouteTable routes, Authenticator auth) {
        this.routes = routes;
        this.auth = auth;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        UriPath uri = req.prologue().uriPath();
        String path = uri.path();
        String method = req.prologue().method().text();
        List<String> allowed = routes.methods(uri);
        if (!allowed.isEmpty()) {
            Problem p = Problem.of(ErrorCode.METHOD_NOT_ALLOWED, method + " is not allowed here; use " + String.join(" or ", allowed));
            Reply.problem(p, path).withHeader("Allow", String.join(", ", allowed)).send(res);
            return;
        }
        if (method.equals("POST") && path.startsWith("/v1/") && path.length() > 4 && !WorkflowPath.reserved(path)) {
            auth.authenticate(req);
            throw refuse(ErrorCode.UNKNOWN_WORKFLOW, "no workflow '" + path.substring(4) + "'; GET /v1/workflows lists the workflows this server runs");
        }
        throw refuse(ErrorCode.NOT_FOUND, "no resource at " + path + "; the API is described in docs/api.md");
    }
}
