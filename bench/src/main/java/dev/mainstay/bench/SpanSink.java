package dev.mainstay.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the benchmarks export their spans: an OTLP/HTTP endpoint on loopback that takes every
 * {@code POST /v1/traces}, reads it whole and answers 200 with an empty export response, as a
 * collector that keeps up does. It counts requests and bytes, so a run shows that its spans left.
 */
final class SpanSink implements AutoCloseable {
    private final HttpServer server;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    private SpanSink(HttpServer server) {
        this.server = server;
    }

    static SpanSink start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        SpanSink sink = new SpanSink(server);
        server.createContext("/v1/traces", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                sink.bytes.addAndGet(in.readAllBytes().length);
                sink.requests.incrementAndGet();
                exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse: all spans accepted
            }
        });
        server.start();
        return sink;
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    long requests() {
        return requests.get();
    }

    long bytes() {
        return bytes.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
