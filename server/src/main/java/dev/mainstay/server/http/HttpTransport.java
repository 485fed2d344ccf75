package dev.mainstay.server.http;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * How Mainstay's HTTP listener takes connections: the one connection selector of the Helidon
 * listener, so that every socket is a {@link GuardedConnection} from its first byte on, and the
 * thread that enforces their read deadlines.
 *
 * <p>Why a layer of our own under Helidon's HTTP/1.1 connection: Helidon 4.5 serves only
 * HTTP/1.1. It closes an HTTP/1.0 request (nginx's default {@code proxy_pass}) or any other
 * request line it cannot place without a word, applies no read timeout to server sockets (its
 * {@code read-timeout} socket option is the client's), checks idle connections only every two
 * minutes and only between requests, waits for the data of any declared chunk size, and keeps a
 * connection open after answering {@code Connection: close}. The layer follows the byte stream
 * ({@link RequestFramer}); Helidon still parses, validates and routes every request.
 */
public final class HttpTransport implements ServerConnectionSelector, AutoCloseable {
    /** How often deadlines are checked: on a node with CPU to spare, a connection is closed within this of its deadline. */
    static final Duration TICK = Duration.ofMillis(50);
    private static final Duration STALE_ACCEPT = Duration.ofMinutes(1);

    private final ServerConnectionSelector http1;
    private final int maxHeaderBytes;
    private final long maxBodyBytes;
    private final Duration readTimeout;
    private final Duration idleTimeout;
    private final Set<GuardedConnection> watched = ConcurrentHashMap.newKeySet();
    private final Map<SocketAddress, Long> accepted = new ConcurrentHashMap<>();
    private final SocketOptions socketOptions = new AcceptTimes(SocketOptions.builder().tcpNoDelay(true).build(), accepted);
    private final Thread deadlines;
    private volatile boolean running = true;

    private HttpTransport(Hardening hardening, long maxBodyBytes) {
        this.maxHeaderBytes = hardening.maxHeaderBytes();
        this.maxBodyBytes = maxBodyBytes;
        this.readTimeout = hardening.readTimeout();
        this.idleTimeout = hardening.idleTimeout();
        this.http1 = Http1ConnectionSelector.builder()
                .config(Http1Config.builder()
                        .maxPrologueLength(maxHeaderBytes)
                        .maxHeadersSize(maxHeaderBytes)
                        .validatePath(true)
                        .addSendListener(GuardedConnection.ANSWER_LISTENER)
                        .build())
                .build();
        // A platform thread: it must keep its pace however many virtual threads the requests keep busy.
        this.deadlines = Thread.ofPlatform().daemon().name("mainstay-read-deadlines").unstarted(this::enforceDeadlines);
    }

    /**
     * A transport for these limits ({@code server.*} and {@code server.max_body_bytes}), its
     * deadline thread running until {@link #close}.
     */
    public static HttpTransport start(Hardening hardening, long maxBodyBytes) {
        HttpTransport transport = new HttpTransport(hardening, maxBodyBytes);
        transport.deadlines.start();
        return transport;
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData data) {
        // The only selector of the listener: Helidon hands it every connection without asking.
        return Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return Set.of("http/1.1");
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        Long acceptedAt = accepted.remove(ctx.remotePeer().address());
        return new GuardedConnection(ctx, http1, watched, acceptedAt == null ? System.nanoTime() : acceptedAt, maxHeaderBytes, maxBodyBytes,
                readTimeout, idleTimeout);
    }

    /**
     * The listener's socket options: Helidon's defaults, and a note of when each connection was
     * accepted, so that its first deadline counts from then and not from when a busy node got round
     * to handling it.
     */
    public SocketOptions socketOptions() {
        return socketOptions;
    }

    private void enforceDeadlines() {
        while (running) {
            long now = System.nanoTime();
            for (GuardedConnection c : watched) {
                c.expireIfDue(now);
            }
            // A socket that failed before it reached a connection leaves its accept time behind.
            accepted.values().removeIf(at -> now - at > STALE_ACCEPT.toNanos());
            LockSupport.parkNanos(TICK.toNanos());
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(deadlines);
    }

    /**
     * Helidon's socket options, applied on the accepting thread right after each accept; the
     * moment is noted by peer address (unique among open connections) for {@link #connection}.
     */
    private record AcceptTimes(SocketOptions defaults, Map<SocketAddress, Long> accepted) implements SocketOptions {
        @Override
        public void configureSocket(SocketChannel socket) {
            long now = System.nanoTime();
            defaults.configureSocket(socket);
            try {
                accepted.put(socket.getRemoteAddress(), now);
            } catch (IOException | RuntimeException e) {
                // not connected any more: the connection fails before it needs the time
            }
        }

        @Override
        public void configureSocket(Socket socket) {
            defaults.configureSocket(socket);
        }

        @Override
        public Map<SocketOption<?>, Object> socketOptions() {
            return defaults.socketOptions();
        }

        @Override
        public Duration connectTimeout() {
            return defaults.connectTimeout();
        }

        @Override
        public Duration readTimeout() {
            return defaults.readTimeout();
        }

        @Override
        public Optional<Integer> socketReceiveBufferSize() {
            return defaults.socketReceiveBufferSize();
        }

        @Override
        public Optional<Integer> socketSendBufferSize() {
            return defaults.socketSendBufferSize();
        }

        @Override
        public boolean socketReuseAddress() {
            return defaults.socketReuseAddress();
        }

        @Override
        public boolean socketKeepAlive() {
            return defaults.socketKeepAlive();
        }

        @Override
        public boolean tcpNoDelay() {
            return defaults.tcpNoDelay();
        }
    }
}
