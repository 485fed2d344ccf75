package dev.mainstay.server.metrics;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import java.nio.charset.StandardCharsets;

/**
 * The management port ({@code metrics.management}): {@code GET /metrics} without authentication,
 * and nothing else, for a scraper on the same machine. It binds to loopback unless configured
 * otherwise; whoever can reach it can read every metric.
 */
public final class ManagementServer implements AutoCloseable {
    private final WebServer web;

    private ManagementServer(WebServer web) {
        this.web = web;
    }

    /** Starts serving {@code metrics} on {@code host:port} ({@code 0}: a free port). */
    public static ManagementServer start(PrometheusMetrics metrics, String host, int port) {
        WebServer web = WebServer.builder()
                .host(host)
                .port(port)
                .routing(r -> r.get("/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, PrometheusMetrics.contentType());
                    res.header(HeaderNames.CACHE_CONTROL, "no-store");
                    res.send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
                }).any((req, res) -> res.status(Status.NOT_FOUND_404).send()))
                .build()
                .start();
        return new ManagementServer(web);
    }

    public int port() {
        return web.port();
    }

    @Override
    public void close() {
        web.stop();
    }
}
