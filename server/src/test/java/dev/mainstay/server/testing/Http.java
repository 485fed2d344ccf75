package dev.mainstay.server.testing;

import dev.mainstay.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;

/** A small JSON client for tests: real HTTP on loopback, no mocking. */
public final class Http {
    /**
     * Loopback connects are instant unless a thousand arrive at once on a loaded machine, when the
     * listen queue overflows and the kernel retries the handshake after 1, 3 and 7 s: the connect
     * timeout leaves room for those retries, so that a flood test measures the server, not them.
     */
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(20)).build();

    /** A response with its parsed JSON body (null when the body is not JSON). */
    public record Response(int status, HttpHeaders headers, String text, JsonNode json) {
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        public String code() {
            return json == null ? null : json.path("code").asString(null);
        }
    }

    private final Supplier<URI> base;

    public Http(URI base) {
        this(() -> base);
    }

    /** A client of a server whose address is known later: {@code base} is asked at each request. */
    public Http(Supplier<URI> base) {
        this.base = base;
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.get().resolve(path)).timeout(Duration.ofSeconds(60));
    }

    public Response get(String path, String key) {
        HttpRequest.Builder b = request(path).GET();
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return send(b.build());
    }

    public Response post(String path, String key, String body, String... headers) {
        return send(path, "POST", key, body, headers);
    }

    public Response put(String path, String key, String body, String... headers) {
        return send(path, "PUT", key, body, headers);
    }

    public Response delete(String path, String key) {
        HttpRequest.Builder b = request(path).DELETE();
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return send(b.build());
    }

    /** A request with a body (JSON unless a {@code Content-Type} is among {@code headers}, given as name, value, …). */
    private Response send(String path, String method, String key, String body, String... headers) {
        HttpRequest.Builder b = request(path).method(method, HttpRequest.BodyPublishers.ofString(body == null ? "" : body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        boolean typed = false;
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
            typed |= headers[i].equalsIgnoreCase("Content-Type");
        }
        if (!typed && body != null) {
            b.header("Content-Type", "application/json");
        }
        return send(b.build());
    }

    public Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = r.body().isEmpty() ? null : Json.parse(r.body());
            } catch (RuntimeException notJson) {
                // leave null
            }
            return new Response(r.statusCode(), r.headers(), r.body(), json);
        } catch (IOException e) {
            throw new IllegalStateException("request to " + request.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** True when the node answers {@code GET /health/ready} with 200; false while it cannot be reached. */
    public boolean ready() {
        try {
            HttpRequest r = request("/health/ready").timeout(Duration.ofSeconds(1)).GET().build();
            return CLIENT.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
