package dev.mainstay.server.http;

/**
 * One route of the HTTP API, as it is routed and documented: a method and a path template such as
 * {@code GET /v1/jobs/{id}}. A parameter in braces is one path segment of 1 to 80 letters, digits
 * and {@code _} (an id); {@code POST /v1/{workflow}} is every active workflow's path.
 */
public record Route(String method, String path) {
    @Override
    public String toString() {
        return method + " " + path;
    }
}
