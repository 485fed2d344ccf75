package dev.mainstay.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * The transport over raw sockets, with the shipped timeouts (30 s read, 2 min idle): HTTP/1.0 is
 * served and closed as HTTP/1.0 expects, whatever is not HTTP/1.x gets a problem instead of a
 * silent close, {@code Connection: close} closes, and a chunk size far over the body limit is
 * refused at once rather than after the read timeout.
 */
class HttpTransportTest {
    /** Far below the read and idle timeouts: a connection closed within it was closed on purpose. */
    static final Duration PROMPTLY = Duration.ofSeconds(10);

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();

    static RawClient client() {
        return RawClient.to(node.server(), PROMPTLY);
    }

    @Test
    void http10RequestIsAnsweredWithContentLengthAndTheConnectionClosed() {
        try (RawClient c = client()) {
            RawClient.Answer a = c.send("GET /health/ready HTTP/1.0\r\n\r\n").read();
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.header("Transfer-Encoding")).isNull();
            assertThat(a.header("Content-Length")).isEqualTo(Integer.toString(a.body().length));
            assertThat(a.header("Connection")).isEqualTo("close");
            assertThat(a.json().path("status").asString()).isEqualTo("ready");
            assertThat(c.closedWithin(PROMPTLY)).isTrue();
        }
    }

    @Test
    void http10KeepAliveServesSeveralRequestsOnOneConnectionUntilOneDoesNotAskForIt() {
        try (RawClient c = client()) {
            for (int i = 0; i < 3; i++) {
                RawClient.Answer a = c.send("GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
                assertThat(a.status()).isEqualTo(200);
                assertThat(a.header("Connection")).isEqualTo("keep-alive");
            }
            assertThat(c.send("GET /health/live HTTP/1.0\r\n\r\n").read().status()).isEqualTo(200);
            assertThat(c.closedWithin(PROMPTLY)).isTrue();
        }
    }

    @Test
    void http10PostRunsAJob() {
        String body = "{\"text\": \"HTTP/1.0 clients are served.\"}";
        try (RawClient c = client()) {
            RawClient.Answer a = c.send("POST /v1/test/echo HTTP/1.0\r\nAuthorization: Bearer " + TestNode.DEMO_KEY
                    + "\r\nContent-Type: application/json\r\nPrefer: wait=30\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).read();
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.json().path("status").asString()).isEqualTo("completed");
            assertThat(c.closedWithin(PROMPTLY)).isTrue();
        }
    }

    @Test
    void http11ConnectionCloseClosesAfterTheAnswer() {
        try (RawClient c = client()) {
            RawClient.Answer a = c.send("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read();
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.header("Connection")).isEqualTo("close");
            assertThat(c.closedWithin(PROMPTLY)).isTrue();
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderAndNothingAfterConnectionClose() {
        try (RawClient c = client()) {
            c.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /v1/jobs/job_nope HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY + "\r\nConnection: close\r\n\r\n"
                    + "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().status()).isEqualTo(404);
            assertThat(c.closedWithin(PROMPTLY)).isTrue();
        }
    }

    @Test
    void http1MinorVersionsAboveOneAreServedAsHttp11() {
        // RFC 9110 §2.5: a higher minor version of a major version served is handled as the highest one served.
        try (RawClient c = client()) {
            RawClient.Answer a = c.send("GET /health/live HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n").read();
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.statusLine()).startsWith("HTTP/1.1 ");
        }
    }

    static Stream<Arguments> notHttp11() throws Exception {
        return Stream.of(
                Arguments.of("HTTP/0.9", bytes("GET /health/ready\r\n"), 400),
                Arguments.of("HTTP/2.0 request line", bytes("GET /health/ready HTTP/2.0\r\nHost: x\r\n\r\n"), 400),
                Arguments.of("HTTP/9.9", bytes("GET / HTTP/9.9\r\nHost: x\r\n\r\n"), 400),
                Arguments.of("HTTP/2 connection preface", bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 400),
                Arguments.of("not a version", bytes("GET / FTP/1.0\r\nHost: x\r\n\r\n"), 400),
                Arguments.of("two-digit minor version", bytes("GET / HTTP/1.10\r\nHost: x\r\n\r\n"), 400),
                Arguments.of("bare LF line ends", bytes("GET /health/ready HTTP/1.1\nHost: x\n\n"), 400),
                Arguments.of("bare LF after a header", bytes("GET /health/ready HTTP/1.1\r\nHost: x\n\r\n"), 400),
                Arguments.of("two spaces", bytes("GET  /health/ready HTTP/1.1\r\nHost: x\r\n\r\n"), 400),
                Arguments.of("words", bytes("hello world\r\n\r\n"), 400),
                Arguments.of("binary", new byte[] {(byte) 0x85, 0x00, 0x13, (byte) 0xfe, 0x0a, 0x0d}, 400),
                Arguments.of("TLS ClientHello", clientHello(), 400),
                Arguments.of("folded header", bytes("GET /health/ready HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n"), 400),
                Arguments.of("space before colon", bytes("GET /health/ready HTTP/1.1\r\nHost : x\r\n\r\n"), 400),
                Arguments.of("Content-Length and Transfer-Encoding", bytes("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),
                Arguments.of("two Content-Lengths", bytes("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}"), 400),
                Arguments.of("gzip transfer coding", bytes("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), 400),
                Arguments.of("HTTP/1.0 chunked", bytes("POST /v1/test/echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),
                Arguments.of("request line over max_header_bytes", bytes("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414),
                Arguments.of("headers over max_header_bytes", bytes("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"), 431));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notHttp11")
    void whatIsNotHttp11IsAnsweredWithAProblemAndTheConnectionClosed(String name, byte[] request, int status) {
        try (RawClient c = client()) {
            RawClient.Answer a = c.send(request).read();
            assertThat(a.status()).as(name).isEqualTo(status);
            assertThat(a.statusLine()).startsWith("HTTP/1.1 " + status + " ");
            assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
            assertThat(a.header("Connection")).isEqualTo("close");
            assertThat(a.header("X-Content-Type-Options")).isEqualTo("nosniff");
            JsonNode problem = a.json();
            assertThat(problem.path("status").asInt()).isEqualTo(status);
            assertThat(problem.path("code").asString()).isEqualTo("invalid_input");
            assertThat(problem.path("retryable").asBoolean()).isFalse();
            assertThat(problem.path("detail").asString()).isNotBlank();
            assertThat(c.closedWithin(PROMPTLY)).isTrue();
        }
    }

    @Test
    void aChunkSizeFarAboveTheBodyLimitIsRefusedAtOnce() {
        try (RawClient c = client()) {
            RawClient.Answer a = c.send("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\n{\"text\": ").read();
            assertThat(a.status()).isEqualTo(413);
            assertThat(a.json().path("code").asString()).isEqualTo("payload_too_large");
            assertThat(a.json().path("detail").asString()).contains("max_body_bytes");
            assertThat(c.closedWithin(PROMPTLY)).isTrue();
        }
    }

    @Test
    void chunkedBodiesWithinTheLimitAreRead() {
        String json = "{\"text\": \"sent in chunks\"}";
        String chunked = Integer.toHexString(5) + "\r\n" + json.substring(0, 5) + "\r\n"
                + Integer.toHexString(json.length() - 5) + ";ext=1\r\n" + json.substring(5) + "\r\n0\r\n\r\n";
        try (RawClient c = client()) {
            RawClient.Answer a = c.send("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY
                    + "\r\nContent-Type: application/json\r\nPrefer: wait=30\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked).read();
            assertThat(a.status()).as(a.text()).isIn(200, 202);
            // the connection stays usable after a chunked body
            assertThat(c.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** The first flight of a real TLS client, as the JDK would send it. */
    private static byte[] clientHello() throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine("localhost", 443);
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] hello = Arrays.copyOf(out.array(), out.limit());
        assertThat(hello[0]).as("a TLS handshake record").isEqualTo((byte) 0x16);
        return hello;
    }
}
