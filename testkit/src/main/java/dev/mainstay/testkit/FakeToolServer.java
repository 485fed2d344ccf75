package dev.mainstay.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake integration for tool stages, over real HTTP on loopback. It makes one <em>effect</em> per
 * {@code Idempotency-Key}, as a well-behaved integration does: a repeated key gets the first
 * answer again and changes nothing. Requests without a key each make an effect. Faults are taken
 * from a queue, one per request: an error status (no effect), a hang after the effect (the answer
 * never comes, as when the caller dies mid-call) or a dropped connection (no effect).
 */
public final class FakeToolServer implements AutoCloseable {
    /** What the next request meets. */
    public sealed interface Fault {
        record Status(int status) implements Fault {
        }

        /** The effect is made, then the answer is held until {@link #close()}. */
        record HangAfterEffect() implements Fault {
        }

        /** The connection is closed without an answer, before any effect. */
        record Drop() implements Fault {
        }
    }

    /** One request as received. */
    public record Request(String method, String path, String idempotencyKey, String authorization, String body) {
    }

    private final HttpServer server;
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private final AtomicInteger effects = new AtomicInteger();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final CountDownLatch closing = new CountDownLatch(1);

    private FakeToolServer(HttpServer server) {
        this.server = server;
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public static FakeToolServer start() {
        try {
            return new FakeToolServer(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128));
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on loopback: " + e.getMessage(), e);
        }
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Queues faults for the next requests, in order; requests after them succeed. */
    public void fail(Fault... next) {
        faults.addAll(List.of(next));
    }

    /** Effects made: one per distinct idempotency key (and one per request without a key). */
    public int effects() {
        return effects.get();
    }

    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** How many requests carried this idempotency key. */
    public long requestsWithKey(String key) {
        return requests().stream().filter(r -> key.equals(r.idempotencyKey())).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
            requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(), key, ex.getRequestHeaders().getFirst("Authorization"), body));
            Fault fault = faults.poll();
            if (fault instanceof Fault.Drop) {
                return; // closed with no answer
            }
            if (fault instanceof Fault.Status s) {
                send(ex, s.status(), "{\"error\": \"scripted failure " + s.status() + "\"}");
                return;
            }
            String answer = key == null ? effect(ex, body) : answers.computeIfAbsent(key, k -> effect(ex, body));
            if (fault instanceof Fault.HangAfterEffect) {
                closing.await(5, TimeUnit.MINUTES);
                return;
            }
            send(ex, 200, answer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String effect(HttpExchange ex, String body) {
        int n = effects.incrementAndGet();
        String echoed = body.isBlank() ? "null" : body;
        return "{\"id\": \"effect_" + n + "\", \"method\": \"" + ex.getRequestMethod() + "\", \"path\": \"" + ex.getRequestURI().getPath() + "\", \"received\": " + echoed + "}";
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }
}
