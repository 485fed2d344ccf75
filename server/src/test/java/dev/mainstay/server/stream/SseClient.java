package dev.mainstay.server.stream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Server-Sent Events client over the JDK's HTTP client, reading the stream as the HTML standard
 * says a browser does ({@code id:}, {@code event:}, {@code data:} lines, a blank line ends an
 * event, {@code :} starts a comment), on a thread of its own until the server ends the stream or
 * {@link #close()} is called.
 */
public final class SseClient implements AutoCloseable {
    /** One event as received, with the time it arrived ({@link System#nanoTime()}). */
    public record Event(String id, String type, String data, long receivedNanos, java.time.Instant receivedAt) {
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final List<Event> events = new ArrayList<>();
    private final List<String> comments = new ArrayList<>();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final Consumer<Event> listener;
    private volatile InputStream body;
    private volatile int status;
    private volatile String contentType;
    private volatile boolean closed;

    private SseClient(Consumer<Event> listener) {
        this.listener = listener;
    }

    /**
     * Opens a stream and returns once the response's head has arrived.
     *
     * @param headers name, value, name, value, …
     */
    public static SseClient open(URI uri, String key, Consumer<Event> listener, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET();
        if (key != null) {
            req.header("Authorization", "Bearer " + key);
        }
        for (int i = 0; i < headers.length; i += 2) {
            req.header(headers[i], headers[i + 1]);
        }
        SseClient client = new SseClient(listener);
        HttpResponse<InputStream> res = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        client.status = res.statusCode();
        client.contentType = res.headers().firstValue("Content-Type").orElse("");
        client.body = res.body();
        Thread.ofVirtual().name("sse-client").start(client::read);
        return client;
    }

    public static SseClient open(URI uri, String key, String... headers) throws IOException, InterruptedException {
        return open(uri, key, e -> { }, headers);
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String type = null;
            StringBuilder data = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        Event e = new Event(id, type == null ? "message" : type, data.toString(), System.nanoTime(), java.time.Instant.now());
                        synchronized (this) {
                            events.add(e);
                        }
                        listener.accept(e);
                    }
                    type = null;
                    data = null;
                    continue;
                }
                if (line.startsWith(":")) {
                    synchronized (this) {
                        comments.add(line.substring(1).strip());
                    }
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> type = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    default -> { }
                }
            }
            ended.complete(null);
        } catch (IOException e) {
            ended.complete(null);
        }
    }

    public int status() {
        return status;
    }

    public String contentType() {
        return contentType;
    }

    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    public synchronized List<String> comments() {
        return List.copyOf(comments);
    }

    /** Whether the server ended the stream (or it broke) before {@link #close()}. */
    public boolean ended() {
        return ended.isDone() && !closed;
    }

    /** Waits up to {@code d} for the server to end the stream; true if it did. */
    public boolean awaitEnd(Duration d) throws InterruptedException {
        try {
            ended.get(d.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            InputStream b = body;
            if (b != null) {
                b.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
