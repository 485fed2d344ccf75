package dev.mainstay.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The request stream as the transport follows it, without a socket: what is passed on, what is refused, and when. */
class RequestFramerTest {
    static final int MAX_HEADER = 1024;
    static final long MAX_BODY = 1000;

    static RequestFramer framer() {
        return new RequestFramer(MAX_HEADER, MAX_BODY, "127.0.0.1:8080", 0);
    }

    static String feed(RequestFramer f, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        f.feed(bytes, bytes.length, 1);
        return new String(f.take(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void http11RequestsPassUnchangedAndPipelinedOnesEachInTurn() {
        RequestFramer f = framer();
        String get = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
        String post = "POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n{ }\n";
        assertThat(feed(f, get + post + "GET /a HTTP/1.1\r\nHo")).isEqualTo(get + post);
        assertThat(f.requests()).isEqualTo(2);
        assertThat(f.inHead()).isTrue();
        assertThat(feed(f, "st: x\r\n\r\n")).isEqualTo("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(f.awaitingRequest()).isTrue();
    }

    @Test
    void aRequestHeadIsHeldBackUntilItIsComplete() {
        RequestFramer f = framer();
        assertThat(feed(f, "GET /health/live HTTP/1.1\r\nHost:")).isEmpty();
        assertThat(f.awaitingRequest()).isFalse();
        assertThat(f.inHead()).isTrue();
        assertThat(feed(f, " x\r\n\r\n")).endsWith("Host: x\r\n\r\n");
    }

    @Test
    void http10BecomesHttp11ThatClosesAndGetsAHost() {
        RequestFramer f = framer();
        assertThat(feed(f, "GET /health/ready HTTP/1.0\r\nAccept: */*\r\n\r\n"))
                .isEqualTo("GET /health/ready HTTP/1.1\r\nAccept: */*\r\nConnection: close\r\nHost: 127.0.0.1:8080\r\n\r\n");
        assertThat(f.finished()).isTrue();
        assertThat(feed(f, "GET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n")).as("nothing is served after a closing request").isEmpty();
    }

    @Test
    void http10KeepAliveStaysOpenAndKeepsItsHost() {
        RequestFramer f = framer();
        assertThat(feed(f, "POST /v1/x HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}"))
                .isEqualTo("POST /v1/x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}");
        assertThat(f.finished()).isFalse();
        assertThat(f.awaitingRequest()).isTrue();
    }

    @Test
    void connectionCloseFinishesTheStreamAfterTheBody() {
        RequestFramer f = framer();
        assertThat(feed(f, "POST /v1/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 3\r\n\r\n{}")).endsWith("{}");
        assertThat(f.finished()).isFalse();
        feed(f, "\n");
        assertThat(f.finished()).isTrue();
    }

    @Test
    void chunkSizeLinesArePassedOnBareAndTrailersDropped() {
        RequestFramer f = framer();
        String head = "POST /v1/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertThat(feed(f, head + "0003;name=value\r\nabc\r\n000a\r\n0123456789\r\n0\r\nX-Sum: 1\r\n\r\n"))
                .isEqualTo(head + "3\r\nabc\r\na\r\n0123456789\r\n0\r\n\r\n");
        assertThat(f.awaitingRequest()).isTrue();
    }

    @Test
    void aChunkSizeOverTheBodyLimitIsRefusedOnTheDigitThatCrossesIt() {
        RequestFramer f = framer();
        String head = "POST /v1/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertThat(feed(f, head + "3e8\r\n")).as("1000 bytes: exactly the limit").isEqualTo(head + "3e8\r\n");
        RequestFramer g = framer();
        assertThat(feed(g, head + "7ff")).isEqualTo(head);
        assertThat(g.refusal()).hasValueSatisfying(r -> {
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.inHead()).isFalse();
        });
        RequestFramer h = framer();
        feed(h, head + "200\r\n" + "a".repeat(512) + "\r\n1f5");
        assertThat(h.refusal()).as("the sizes of all chunks add up").hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(413));
    }

    @Test
    void refusalsInTheHeadAreMadeBeforeAnythingIsPassedOn() {
        assertRefused("\u0016\u0003\u0001\u0002\u0000", 400);
        assertRefused("GET /x\r\n", 400);
        assertRefused("GET /x HTTP/2.0\r\n", 400);
        assertRefused("GET /x HTTP/1.1\n", 400);
        assertRefused("GET /x HTTP/1.1\r\nA: b\n", 400);
        assertRefused("GET /x HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400);
        assertRefused("GET /x HTTP/1.1\r\nA : b\r\n\r\n", 400);
        assertRefused("GET /x HTTP/1.1\r\nA: b\u0001\r\n", 400);
        assertRefused("POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400);
        assertRefused("POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
        assertRefused("POST /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
        assertRefused("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400);
        assertRefused("GET /" + "a".repeat(MAX_HEADER) + " HTTP/1.1\r\n", 414);
        assertRefused("GET / HTTP/1.1\r\nA: " + "b".repeat(MAX_HEADER) + "\r\n", 431);
    }

    private static void assertRefused(String request, int status) {
        RequestFramer f = framer();
        String passed = feed(f, request);
        assertThat(passed).as(request).isEmpty();
        assertThat(f.refusal()).as(request).hasValueSatisfying(r -> {
            assertThat(r.status()).isEqualTo(status);
            assertThat(r.inHead()).isTrue();
        });
    }

    @Test
    void leadingEmptyLinesAreSkipped() {
        RequestFramer f = framer();
        assertThat(feed(f, "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    @Test
    void theFirstHeadIsDueFromTheConnectionsOpeningLaterOnesFromTheirFirstByte() {
        RequestFramer f = new RequestFramer(MAX_HEADER, MAX_BODY, "h", 100);
        byte[] first = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HT".getBytes(StandardCharsets.US_ASCII);
        f.feed(first, 20, 500);
        assertThat(f.headStartedAt()).isEqualTo(100);
        f.feed(java.util.Arrays.copyOfRange(first, 20, first.length), first.length - 20, 900);
        assertThat(f.requests()).isEqualTo(1);
        assertThat(f.headStartedAt()).isEqualTo(900);
    }

    /**
     * However the stream is cut into reads, what is passed on is the same. Seeded: the seed of a
     * failing run is in the assertion message; {@code -Dmainstay.framer.seed=N} repeats it.
     */
    @RepeatedTest(200)
    void theSameStreamCutAnywhereIsPassedOnTheSame() {
        long seed = Long.getLong("mainstay.framer.seed", new Random().nextLong());
        Random random = new Random(seed);
        String stream = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /b HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello"
                + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nwiki\r\n05\r\npedia\r\n0\r\nT: 1\r\n\r\n"
                + "GET /d HTTP/1.2\r\nHost: x\r\n\r\n";
        String expected = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /b HTTP/1.1\r\nConnection: keep-alive\r\nContent-Length: 5\r\nHost: h\r\n\r\nhello"
                + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n"
                + "GET /d HTTP/1.1\r\nHost: x\r\n\r\n";
        RequestFramer f = new RequestFramer(MAX_HEADER, MAX_BODY, "h", 0);
        byte[] bytes = stream.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < bytes.length) {
            int n = Math.min(bytes.length - i, 1 + random.nextInt(12));
            byte[] read = java.util.Arrays.copyOfRange(bytes, i, i + n);
            f.feed(read, n, i);
            out.writeBytes(f.take());
            i += n;
        }
        assertThat(out.toString(StandardCharsets.US_ASCII)).as("seed " + seed).isEqualTo(expected);
        assertThat(f.requests()).as("seed " + seed).isEqualTo(4);
        assertThat(f.refusal()).as("seed " + seed).isEmpty();
    }
}
