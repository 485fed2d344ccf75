package dev.mainstay.server.http;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.common.task.InterruptableTask;
import io.helidon.http.Headers;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted connection: Helidon's HTTP/1.1 connection runs on top of it and reads the socket
 * only through a {@link RequestFramer}, and every blocking read carries a deadline that
 * {@link HttpTransport} enforces by closing the socket:
 *
 * <ul>
 *   <li>waiting for the first request of a new connection: {@code read_timeout} from the accept;</li>
 *   <li>inside a request head: {@code read_timeout} from its first byte, for the whole head, however
 *       slowly it trickles in (a slowloris gains nothing by sending a byte now and then);</li>
 *   <li>inside a body: {@code read_timeout} of silence, counted from the last bytes that arrived;</li>
 *   <li>between requests on a kept-alive connection: {@code idle_timeout}.</li>
 * </ul>
 *
 * No deadline runs while a request is being answered: a long {@code Prefer: wait} holds no read.
 * Deadlines follow {@link System#nanoTime()}, not the node's {@code Clock}: they bound real sockets,
 * and a test that steps the job clock must not cut connections off.
 * Once a request asks for {@code Connection: close} (or is HTTP/1.0 without {@code keep-alive}), or
 * an answer carries it, the connection ends after that answer; Helidon 4.5 would leave it open.
 */
final class GuardedConnection implements ServerConnection, InterruptableTask<Void> {
    private static final Logger LOG = LoggerFactory.getLogger(GuardedConnection.class);
    /** How long a connection that closes mid-request still reads (and drops) what the client sends. */
    static final Duration LINGER = Duration.ofSeconds(1);
    /** The most a closing connection reads and drops; a client still sending after that gets a reset. */
    static final long LINGER_BYTES = 256 * 1024;
    /** A read that returns sooner than this found its bytes waiting in the socket. */
    private static final Duration WAITING = Duration.ofMillis(1);

    /** Notes, from an answer's headers as they are sent, that the connection ends after that answer. */
    static final Http1ConnectionListener ANSWER_LISTENER = new Http1ConnectionListener() {
        @Override
        public void headers(ConnectionContext ctx, Headers headers) {
            if (ctx instanceof Guarded guarded && headers.containsToken(HeaderValues.CONNECTION_CLOSE)) {
                guarded.connection().closeAfterAnswer = true;
            }
        }
    };

    private final ConnectionContext ctx;
    private final RequestFramer framer;
    private final long readTimeout;
    private final long idleTimeout;
    private final long openedAt;
    private final ServerConnection http1;
    private final Set<GuardedConnection> watched;
    private final Object lock = new Object();
    // guarded by lock: whether the reading thread is blocked in a socket read, until when, for what, and whether it was cut off
    private boolean reading;
    private long deadline;
    private String awaiting = "";
    private boolean timedOut;
    private volatile boolean closeAfterAnswer;
    // read and written by the reading thread only
    private long lastArrival;
    private long reads;

    /**
     * @param watched the connections whose deadlines the transport checks; this one is in it while it is handled
     * @param acceptedAt when the socket was accepted ({@link System#nanoTime()})
     */
    GuardedConnection(ConnectionContext ctx, ServerConnectionSelector http1Selector, Set<GuardedConnection> watched, long acceptedAt,
            int maxHeaderBytes, long maxBodyBytes, Duration readTimeout, Duration idleTimeout) {
        this.ctx = ctx;
        this.watched = watched;
        this.openedAt = acceptedAt;
        this.lastArrival = acceptedAt;
        this.readTimeout = readTimeout.toNanos();
        this.idleTimeout = idleTimeout.toNanos();
        this.framer = new RequestFramer(maxHeaderBytes, maxBodyBytes, authority(ctx.localPeer()), openedAt);
        this.http1 = http1Selector.connection(new Guarded(this, ctx, DataReader.create(this::next)));
    }

    @Override
    public void handle(Limit limit) throws InterruptedException {
        watched.add(this);
        try {
            http1.handle(limit);
        } finally {
            watched.remove(this);
        }
    }

    @Override
    public Duration idleTime() {
        return http1.idleTime();
    }

    @Override
    public void close(boolean interrupt) {
        http1.close(interrupt);
    }

    @Override
    public boolean canInterrupt() {
        return http1 instanceof InterruptableTask<?> task && task.canInterrupt();
    }

    /**
     * Closes the socket if its reading thread has been blocked past the deadline; the blocked read
     * then fails and the connection ends. Called by the transport's deadline thread.
     */
    void expireIfDue(long now) {
        String missed;
        synchronized (lock) {
            if (!reading || timedOut || now - deadline < 0) {
                return;
            }
            timedOut = true;
            missed = awaiting;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("closing the connection from {} after {} requests: {} did not arrive in time", peer(), framer.requests(), missed);
        }
        try {
            ctx.serverSocket().close();
        } catch (RuntimeException alreadyClosed) {
            // the peer or Helidon closed it first: the read fails either way
        }
    }

    /** The bytes Helidon's HTTP/1.1 parser reads next; {@code null} ends the connection. */
    private byte[] next() {
        while (true) {
            if (closeAfterAnswer) {
                if (!framer.awaitingRequest() && !framer.finished()) {
                    drain(); // the answer did not wait for the whole request
                }
                return null;
            }
            byte[] ready = framer.take();
            if (ready.length > 0) {
                return ready;
            }
            Optional<RequestFramer.Refusal> refusal = framer.refusal();
            if (refusal.isPresent()) {
                throw refuse(refusal.get());
            }
            if (framer.finished()) {
                return null;
            }
            byte[] in = readNext();
            if (in == null) {
                return null;
            }
            framer.feed(in, in.length, System.nanoTime());
        }
    }

    private byte[] readNext() {
        if (framer.awaitingRequest()) {
            return framer.requests() == 0
                    ? read(openedAt + readTimeout, "a first request within read_timeout of the connection's opening")
                    : read(System.nanoTime() + idleTimeout, "a next request within idle_timeout");
        }
        if (framer.inHead()) {
            return read(framer.headStartedAt() + readTimeout, "the rest of a request head within read_timeout of its first byte");
        }
        // Silence is counted from the last bytes that arrived, not from when the body's reader got
        // round to asking for more: a busy node must not stretch a stalled client's time.
        return read(lastArrival + readTimeout, "more of a request body within read_timeout");
    }

    /**
     * A blocking read of the socket that the transport cuts off at {@code until}, waiting for
     * {@code what}; {@code null} at its end.
     */
    private byte[] read(long until, String what) {
        synchronized (lock) {
            if (timedOut) {
                return null;
            }
            // A deadline that passed while no read was waiting (the node was busy elsewhere) still
            // leaves the bytes already in the socket's buffer time to be read.
            deadline = Math.max(until, System.nanoTime() + HttpTransport.TICK.toNanos());
            awaiting = what;
            reading = true;
        }
        byte[] bytes;
        long called = System.nanoTime();
        try {
            bytes = ctx.serverSocket().get();
        } catch (UncheckedIOException e) {
            if (cutOff()) {
                throw new CloseConnectionException("read deadline passed");
            }
            throw new ServerConnectionException("failed to read from the socket", e);
        } finally {
            synchronized (lock) {
                reading = false;
            }
        }
        long returned = System.nanoTime();
        // A connection's first bytes, found waiting, are taken to have come with the connection: in a
        // burst of hundreds of new connections (a slowloris flood is one) the node reaches some of
        // them late, and that lateness must not lengthen a stalled client's time.
        lastArrival = reads++ == 0 && returned - called < WAITING.toNanos() ? openedAt : returned;
        // Bytes that arrived as the deadline passed are dropped: the socket is closed already.
        return cutOff() ? null : bytes;
    }

    /**
     * Reads and drops what the client still sends after an answer that closes the connection
     * before the request was read to its end, for at most {@link #LINGER} and
     * {@link #LINGER_BYTES}. Closing with unread bytes makes the kernel send a reset, and a reset
     * can destroy the answer in the client's buffers before the client reads it (RFC 9112 §9.6).
     */
    private void drain() {
        long until = System.nanoTime() + LINGER.toNanos();
        long drained = 0;
        try {
            while (drained < LINGER_BYTES) {
                byte[] bytes = read(until, "the end of what the client still sends after the answer");
                if (bytes == null) {
                    return;
                }
                drained += bytes.length;
            }
        } catch (CloseConnectionException e) {
            // cut off at the end of the linger time, or the client reset: closing is what comes next anyway
        }
    }

    private boolean cutOff() {
        synchronized (lock) {
            return timedOut;
        }
    }

    /**
     * A refused head is answered here, before Helidon has seen any of that request; a refused body
     * is raised to whoever reads it (the API's body reader turns it into a problem).
     */
    private RuntimeException refuse(RequestFramer.Refusal refusal) {
        if (!refusal.inHead()) {
            return new BodyRefusedException(refusal.status(), refusal.detail());
        }
        LOG.debug("refusing a request from {}: {} {}", peer(), refusal.status(), refusal.detail());
        try {
            ctx.dataWriter().writeNow(BufferData.create(TransportErrors.answer(refusal.status(), refusal.detail(), refusal.target())));
            drain();
        } catch (RuntimeException e) {
            LOG.debug("the refusal could not be sent to {}: {}", peer(), e.toString());
        }
        return new CloseConnectionException("request refused: " + refusal.status() + " " + refusal.detail());
    }

    private String peer() {
        try {
            return ctx.remotePeer().host();
        } catch (RuntimeException e) {
            return "an unknown peer";
        }
    }

    /** {@code host:port} of the address the client reached, for an HTTP/1.0 request without {@code Host}. */
    private static String authority(PeerInfo local) {
        String host = local.host();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + local.port();
    }

    /** The connection context Helidon's HTTP/1.1 connection sees: the real one, read through the framer. */
    private record Guarded(GuardedConnection connection, ConnectionContext ctx, DataReader dataReader) implements ConnectionContext {
        @Override
        public PeerInfo remotePeer() {
            return ctx.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return ctx.localPeer();
        }

        @Override
        public boolean isSecure() {
            return ctx.isSecure();
        }

        @Override
        public String socketId() {
            return ctx.socketId();
        }

        @Override
        public String childSocketId() {
            return ctx.childSocketId();
        }

        @Override
        public ListenerContext listenerContext() {
            return ctx.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return ctx.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return ctx.dataWriter();
        }

        @Override
        public Router router() {
            return ctx.router();
        }

        @Override
        public Optional<ProxyProtocolData> proxyProtocolData() {
            return ctx.proxyProtocolData();
        }

        @Override
        public HelidonSocket serverSocket() {
            return ctx.serverSocket();
        }
    }
}
