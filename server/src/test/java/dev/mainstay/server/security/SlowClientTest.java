package dev.mainstay.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Slow and stalled clients against a node with a short {@code read_timeout} (2 s) and
 * {@code idle_timeout} (4 s), over real sockets: hundreds of connections that stop in every part
 * of a request are all closed within the timeout plus a second, a slowloris that keeps trickling
 * header bytes is closed as soon as one that sends nothing, and the node keeps answering everyone
 * else meanwhile.
 */
class SlowClientTest {
    static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(4);
    /** The bound the deadline thread is held to: the timeout plus a second. */
    static final Duration GRACE = Duration.ofSeconds(1);
    static final int STALLED = 300;

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup.section("server:\n  read_timeout: 2s\n  idle_timeout: 4s\n"));

    /** How a stalled client stops: each sends its bytes and then nothing more. */
    enum Stall {
        NOTHING(""),
        PART_OF_THE_REQUEST_LINE("GET /health/rea"),
        PART_OF_THE_HEADERS("GET /health/ready HTTP/1.1\r\nHost: x\r\nAccept: appl"),
        SHORT_BODY("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\": \"abc"),
        CHUNK_LARGER_THAN_ITS_DATA("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n{\"text\": \"abc"),
        NO_LAST_CHUNK("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"text\": \"abcd\"}\r\n");

        final byte[] bytes;

        Stall(String text) {
            this.bytes = text.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** What one stalled connection saw: how long after its last byte the server closed it, and what it received. */
    record Closed(String kind, Duration after, int bytesReceived) {
    }

    @Test
    void hundredsOfStalledConnectionsAreClosedWithinTheReadTimeoutWhileRequestsKeepBeingAnswered() throws Exception {
        warmUp();
        StalledClients clients = new StalledClients(new InetSocketAddress(node.server().baseUrl().getHost(), node.server().port()));
        for (int i = 0; i < STALLED; i++) {
            clients.stall(Stall.values()[i % Stall.values().length]);
        }
        for (int i = 0; i < 5; i++) {
            clients.slowloris();
        }
        FutureTask<List<Closed>> watching = new FutureTask<>(clients::awaitAllClosed);
        Thread.ofPlatform().name("stalled-clients").start(watching);

        // Everyone else is still served while those connections hang.
        for (int i = 0; i < 20; i++) {
            assertThat(node.http.get("/health/ready", null).status()).isEqualTo(200);
        }
        for (int i = 0; i < 3; i++) {
            Http.Response r = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"served while " + STALLED + " connections stall\"}",
                    "Prefer", "wait=30");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().path("status").asString()).isEqualTo("completed");
        }

        List<Closed> results = watching.get();
        assertThat(results).hasSize(STALLED + 5);
        for (Closed c : results) {
            assertThat(c.bytesReceived()).as(c.kind() + " gets no answer, only a close").isZero();
            assertThat(c.after()).as(c.kind() + " is closed within read_timeout + 1 s").isLessThanOrEqualTo(READ_TIMEOUT.plus(GRACE));
            assertThat(c.after()).as(c.kind() + " is not closed long before its read_timeout").isGreaterThanOrEqualTo(READ_TIMEOUT.dividedBy(2));
        }
        // and afterwards, too
        assertThat(node.http.get("/health/ready", null).status()).isEqualTo(200);
    }

    @Test
    void aKeptAliveConnectionIsClosedAfterTheIdleTimeoutNotTheReadTimeout() {
        try (RawClient c = RawClient.to(node.server(), Duration.ofSeconds(10))) {
            for (int i = 0; i < 2; i++) {
                assertThat(c.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
            }
            long answered = System.nanoTime();
            assertThat(c.closedWithin(READ_TIMEOUT.plus(GRACE))).as("still open after read_timeout: idle connections wait idle_timeout").isFalse();
            assertThat(c.closedWithin(IDLE_TIMEOUT.plus(GRACE))).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - answered)).isLessThanOrEqualTo(IDLE_TIMEOUT.plus(GRACE));
        }
    }

    /**
     * Runs every path the stalled connections take (a new connection, a head, a body read) a few
     * hundred times, so that the measured closes time a node in its working state, not a JVM still
     * compiling its first connections.
     */
    private static void warmUp() throws Exception {
        String post = "POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY
                + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 9\r\n\r\n{\"text\": ";
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            List<java.util.concurrent.Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                String request = i % 2 == 0 ? post : "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
                answers.add(threads.submit(() -> {
                    try (RawClient c = RawClient.to(node.server(), Duration.ofSeconds(30))) {
                        return c.send(request).read().status();
                    }
                }));
            }
            for (var answer : answers) {
                assertThat(answer.get()).isIn(200, 400);
            }
        }
    }

    /**
     * Many stalled connections watched by one thread with a selector, so that each close is seen
     * when the kernel reports it rather than when one of hundreds of waiting threads gets a turn.
     * Slowlorises are written to by the same thread, a header byte every 100 ms.
     */
    static final class StalledClients {
        private static final byte[] SLOW_HEADER = "X-Slow: 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
                .getBytes(StandardCharsets.US_ASCII);
        private final InetSocketAddress server;
        private final Selector selector;
        private final List<Watch> watches = new ArrayList<>();

        /** One connection: its kind, when its clock started, what it received, and (for a slowloris) its next byte. */
        private static final class Watch {
            final String kind;
            final SocketChannel channel;
            final long since;
            int received;
            int trickled = -1;
            long nextByte;
            Closed closed;

            Watch(String kind, SocketChannel channel, long since) {
                this.kind = kind;
                this.channel = channel;
                this.since = since;
            }
        }

        StalledClients(InetSocketAddress server) throws IOException {
            this.server = server;
            this.selector = Selector.open();
        }

        /** Sends {@code stall}'s bytes; its clock starts once they are sent. */
        void stall(Stall stall) throws IOException {
            SocketChannel ch = SocketChannel.open(server);
            ch.write(ByteBuffer.wrap(stall.bytes));
            watch(new Watch(stall.name(), ch, System.nanoTime()));
        }

        /**
         * A slowloris: a request line, then header bytes one at a time, never a whole head. It never
         * falls silent for long, so only a deadline on the whole head closes it; its clock starts at
         * the connect.
         */
        void slowloris() throws IOException {
            SocketChannel ch = SocketChannel.open(server);
            long opened = System.nanoTime();
            ch.write(ByteBuffer.wrap("GET /health/ready HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII)));
            Watch w = new Watch("SLOWLORIS", ch, opened);
            w.trickled = 0;
            w.nextByte = System.nanoTime();
            watch(w);
        }

        private void watch(Watch w) throws IOException {
            w.channel.configureBlocking(false);
            w.channel.register(selector, SelectionKey.OP_READ, w);
            watches.add(w);
        }

        /** Runs until every connection is closed by the server; fails if one is still open 10 s past the read timeout. */
        List<Closed> awaitAllClosed() throws IOException {
            long giveUp = System.nanoTime() + READ_TIMEOUT.plusSeconds(10).toNanos();
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            int open = watches.size();
            while (open > 0) {
                if (System.nanoTime() - giveUp > 0) {
                    throw new AssertionError(open + " connections were still open " + READ_TIMEOUT.plusSeconds(10) + " after their last byte");
                }
                selector.select(20);
                for (SelectionKey key : selector.selectedKeys()) {
                    Watch w = (Watch) key.attachment();
                    int n;
                    try {
                        buffer.clear();
                        n = w.channel.read(buffer);
                    } catch (IOException reset) {
                        n = -1;
                    }
                    if (n < 0) {
                        open -= close(w);
                    } else {
                        w.received += n;
                    }
                }
                selector.selectedKeys().clear();
                long now = System.nanoTime();
                for (Watch w : watches) {
                    if (w.closed == null && w.trickled >= 0 && w.trickled < SLOW_HEADER.length && now - w.nextByte >= 0) {
                        try {
                            w.channel.write(ByteBuffer.wrap(SLOW_HEADER, w.trickled++, 1));
                        } catch (IOException closedByServer) {
                            open -= close(w);
                        }
                        w.nextByte = now + Duration.ofMillis(100).toNanos();
                    }
                }
            }
            selector.close();
            return watches.stream().map(w -> w.closed).toList();
        }

        private static int close(Watch w) {
            if (w.closed != null) {
                return 0;
            }
            w.closed = new Closed(w.kind, Duration.ofNanos(System.nanoTime() - w.since), w.received);
            try {
                w.channel.close();
            } catch (IOException ignored) {
                // a test socket the server closed already
            }
            return 1;
        }
    }
}
