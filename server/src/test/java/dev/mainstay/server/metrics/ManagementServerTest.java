package dev.mainstay.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class ManagementServerTest {
    @Test
    void servesMetricsWithoutAKeyOnLoopbackAndNothingElse() throws Exception {
        PrometheusMetrics metrics = new PrometheusMetrics();
        metrics.submitted("leads/classify", 1);
        try (ManagementServer server = ManagementServer.start(metrics, MetricsConfig.DEFAULT_MANAGEMENT_HOST, 0);
             HttpClient http = HttpClient.newHttpClient()) {
            URI base = URI.create("http://127.0.0.1:" + server.port());
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).contains(PrometheusMetrics.contentType());
            assertThat(PrometheusText.parse(r.body()).value("mainstay_jobs_submitted_total", "workflow", "leads/classify")).isEqualTo(1);
            Promtool.Result check = Promtool.checkMetrics(r.body());
            assertThat(check.exitCode()).as(check.output()).isZero();
            assertThat(http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(404);
        }
    }
}
