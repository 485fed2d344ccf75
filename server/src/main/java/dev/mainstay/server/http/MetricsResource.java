package dev.mainstay.server.http;

import dev.mainstay.server.metrics.PrometheusMetrics;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * {@code GET /metrics}: every metric of the node in the Prometheus text format, for the admin key
 * or the metrics key ({@code metrics.key}), a key that reads metrics and nothing else.
 */
final class MetricsResource implements HttpService {
    private final PrometheusMetrics metrics;
    private final Authenticator auth;
    private final Optional<byte[]> metricsKey;

    MetricsResource(PrometheusMetrics metrics, Authenticator auth, Optional<String> metricsKey) {
        this.metrics = metrics;
        this.auth = auth;
        this.metricsKey = metricsKey.map(k -> k.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/metrics", (req, res) -> {
            if (!isMetricsKey(req)) {
                auth.admin(req);
            }
            send(metrics, res);
        });
    }

    /** Writes the exposition: also what the management port answers, without a key. */
    static void send(PrometheusMetrics metrics, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, PrometheusMetrics.contentType());
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
    }

    private boolean isMetricsKey(ServerRequest req) {
        if (metricsKey.isEmpty()) {
            return false;
        }
        Optional<String> header = RequestHeaders.single(req, HeaderNames.AUTHORIZATION);
        if (header.isEmpty()) {
            return false;
        }
        String value = header.get().strip();
        if (value.length() < 8 || !value.substring(0, 7).equalsIgnoreCase("bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(value.substring(7).strip().getBytes(StandardCharsets.UTF_8), metricsKey.get());
    }
}
