package dev.mainstay.providers.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.mainstay.Json;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.tracing.JobTracer;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.tracing.TraceSpan;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonEndpointTest {
    @Test
    void aCallCarriesTheTraceContextOfItsThreadAndNoneOutsideASpan() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        List<String> seen = new ArrayList<>();
        server.createContext("/v1/chat", exchange -> {
            seen.add(exchange.getRequestHeaders().getFirst("traceparent") + " " + exchange.getRequestHeaders().getFirst("tracestate"));
            byte[] body = "{}".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            JsonEndpoint endpoint = new JsonEndpoint(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "/v1/chat", Duration.ofSeconds(5));
            TraceContext context = new TraceContext("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=abc");
            TraceSpan span = new TraceSpan() {
                @Override
                public TraceContext context() {
                    return context;
                }

                @Override
                public TraceSpan set(String key, Object value) {
                    return this;
                }

                @Override
                public void error(String type, String description) {
                }

                @Override
                public void end() {
                }
            };
            try (TraceContext.Scope s = span.enter()) {
                endpoint.post(Json.object(), Duration.ofSeconds(5), Map.of(), Map.of(), (r, d) -> new ProviderOutcome.Refused("x"));
            }
            endpoint.post(Json.object(), Duration.ofSeconds(5), Map.of(), Map.of(), (r, d) -> new ProviderOutcome.Refused("x"));
            try (TraceContext.Scope s = JobTracer.NONE.start("x", JobTracer.Kind.CLIENT, context, Map.of()).enter()) {
                endpoint.post(Json.object(), Duration.ofSeconds(5), Map.of(), Map.of(), (r, d) -> new ProviderOutcome.Refused("x"));
            }
        } finally {
            server.stop(0);
        }
        assertThat(seen).containsExactly("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 vendor=abc", "null null", "null null");
    }

    @Test
    void errorDetailsNeverKeepASecretTheProviderQuotedBack() {
        String body = "{\"error\": {\"message\": \"Incorrect API key provided: sk-proj-abcDEF1234567890ghijKLMNopqr. You can find your API key at https://example.com.\"}}";
        assertThat(JsonEndpoint.abbreviate(body)).doesNotContain("abcDEF1234567890").contains("Incorrect API key provided: [SECRET]");
        // Cut after scrubbing: a key straddling the cut leaves no prefix behind.
        String longBody = "x".repeat(290) + " Bearer abcdefghijklmnopqrstuvwxyz0123456789";
        assertThat(JsonEndpoint.abbreviate("Authorization:" + longBody)).doesNotContain("abcdefghij");
    }
}
