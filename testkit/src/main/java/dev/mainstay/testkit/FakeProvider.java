package dev.mainstay.testkit;

import dev.mainstay.Json;
import dev.mainstay.contract.SchemaSampler;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * A fake model server on a real loopback socket, for tests of anything that calls models, Mainstay's
 * own and users' alike. It speaks OpenAI Chat Completions ({@code POST /v1/chat/completions},
 * answering with content that satisfies the request's {@code response_format} JSON Schema) and
 * Anthropic Messages ({@code POST /v1/messages}, answering with a {@code tool_use} block whose
 * input satisfies the {@code input_schema} of the tool that {@code tool_choice} names). Answers are
 * built from the words of the prompt. Both follow the same {@link FaultScript}: latency, error
 * statuses with {@code Retry-After}, hangs, connection resets, malformed bodies, invalid output,
 * refusals (alone or beside an answer), answers without a choice or cut off at the token limit,
 * odd token counts and odd numbers in an answer, and truncated responses. It speaks HTTP/1.1 with keep-alive, written by hand so that resets and
 * truncation are real socket behaviour.
 */
public final class FakeProvider implements AutoCloseable {
    private static final int MAX_BODY = 32 * 1024 * 1024;

    private final ServerSocket server;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> perJobStep = new ConcurrentHashMap<>();
    private final AtomicInteger globalStep = new AtomicInteger();
    private final AtomicLong seq = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile FaultScript script;
    private volatile java.time.Clock clock = java.time.Clock.systemUTC();
    private volatile boolean closed;

    private FakeProvider(ServerSocket server, FaultScript script) {
        this.server = server;
        this.script = script;
        Thread.ofPlatform().name("fake-provider-accept").daemon(true).start(this::acceptLoop);
    }

    /** Starts on an ephemeral loopback port. */
    public static FakeProvider start(FaultScript script) {
        return start(0, script);
    }

    /** Starts on {@code port} of 127.0.0.1 (0 for any free port). */
    public static FakeProvider start(int port, FaultScript script) {
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
            return new FakeProvider(s, script);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The base URL to configure as an OpenAI-compatible provider, e.g. {@code http://127.0.0.1:41234/v1}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port() + "/v1");
    }

    /**
     * The base URL to configure as an Anthropic provider, e.g. {@code http://127.0.0.1:41234}: like
     * {@code https://api.anthropic.com}, without the version segment, which the client adds with
     * {@code /v1/messages}.
     */
    public URI anthropicBaseUrl() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /**
     * The clock that Anthropic's {@code anthropic-ratelimit-*-reset} instants are written from
     * (the system clock by default); give it the clock of the code under test when that one is
     * stepped by hand.
     */
    public void clock(java.time.Clock clock) {
        this.clock = clock;
    }

    /** Replaces the script and starts its steps from the beginning. */
    public void script(FaultScript script) {
        this.script = script;
        globalStep.set(0);
        perJobStep.clear();
    }

    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    public int requestCount() {
        return requests.size();
    }

    /** Forgets the recorded requests and the concurrency high-water mark (the script position is kept). */
    public void clearRequests() {
        requests.clear();
        maxInFlight.set(0);
    }

    /** The most model requests that were being answered at the same moment. */
    public int maxConcurrentRequests() {
        return maxInFlight.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                Thread.ofVirtual().name("fake-provider-conn").start(() -> serve(socket));
            } catch (IOException e) {
                if (!closed) {
                    sleep(Duration.ofMillis(10));
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (!closed) {
                Request request = readRequest(in);
                if (request == null) {
                    return;
                }
                if (!handle(request, socket, out)) {
                    return;
                }
            }
        } catch (IOException e) {
            // client went away: nothing to do
        } finally {
            open.remove(socket);
        }
    }

    private record Request(String method, String path, Map<String, String> headers, byte[] body) {
    }

    private static Request readRequest(InputStream in) throws IOException {
        String line = readLine(in);
        if (line == null || line.isEmpty()) {
            return null;
        }
        String[] parts = line.split(" ");
        if (parts.length < 2) {
            return null;
        }
        Map<String, String> headers = new HashMap<>();
        String h;
        while ((h = readLine(in)) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            if (colon > 0) {
                headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
            }
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        if (length < 0 || length > MAX_BODY) {
            return null;
        }
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            return null;
        }
        return new Request(parts[0], parts[1], headers, body);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                String s = buf.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            buf.write(b);
            if (buf.size() > 65_536) {
                return null;
            }
        }
        return buf.size() == 0 ? null : buf.toString(StandardCharsets.ISO_8859_1);
    }

    /** Answers one request; false when the connection must close. */
    private boolean handle(Request request, Socket socket, OutputStream out) throws IOException {
        JsonNode body = null;
        try {
            body = Json.MAPPER.readTree(request.body());
        } catch (JacksonException ignored) {
            // recorded as null
        }
        WireFormat wire = "POST".equals(request.method()) ? WireFormat.forPath(request.path()) : null;
        if (wire == null) {
            requests.add(new RecordedRequest(seq.incrementAndGet(), request.method(), request.path(), Map.copyOf(request.headers()), body, Fault.Kind.STATUS, Instant.now()));
            write(out, 404, Map.of(), OpenAiWire.INSTANCE.error(404, "no route " + request.method() + " " + request.path()
                    + "; the fake serves POST /v1/chat/completions (OpenAI) and POST /v1/messages (Anthropic)"));
            return true;
        }
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            return answer(wire, request, body, socket, out);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private boolean answer(WireFormat wire, Request request, JsonNode body, Socket socket, OutputStream out) throws IOException {
        String job = request.headers().getOrDefault("x-mainstay-job", "");
        Fault fault = next(job);
        requests.add(new RecordedRequest(seq.incrementAndGet(), request.method(), request.path(), Map.copyOf(request.headers()), body, fault.kind(), Instant.now()));

        long span = fault.maxLatency().toMillis() - fault.minLatency().toMillis();
        sleep(fault.minLatency().plusMillis(span <= 0 ? 0 : ThreadLocalRandom.current().nextLong(span + 1)));
        Map<String, String> headers = new HashMap<>();
        fault.retryAfter().ifPresent(d -> headers.put("retry-after", Long.toString((d.toMillis() + 999) / 1000)));
        fault.rateLimits().ifPresent(r -> headers.putAll(wire.rateLimitHeaders(r, clock.instant())));
        headers.putAll(fault.headers());
        long inputTokens = tokens(wire.promptText(body));
        switch (fault.kind()) {
            case OK -> {
                JsonNode function = wire.pendingFunction(body);
                write(out, 200, headers, withUsage(wire, fault, function == null ? answer(wire, body, content(wire, body, fault), inputTokens)
                        : wire.functionCall(body, function.path("name").asString(), SchemaSampler.sample(function.path("parameters"), "", ""), inputTokens)));
            }
            case STATUS -> write(out, fault.status(), headers, wire.error(fault.status(), "scripted failure with status " + fault.status()));
            case HANG -> {
                // Hold the connection without answering until the client gives up or we close.
                try {
                    socket.setSoTimeout(0);
                    while (socket.getInputStream().read() != -1) {
                        // discard
                    }
                } catch (IOException ignored) {
                    // client closed
                }
                return false;
            }
            case RESET -> {
                socket.setSoLinger(true, 0);
                socket.close();
                return false;
            }
            case MALFORMED -> write(out, 200, headers, wire.malformed());
            case INVALID_OUTPUT -> write(out, 200, headers, answer(wire, body, "{\"unexpected\": [\"this\", \"does\", \"not\", \"match\"]}", inputTokens));
            case PROSE_OUTPUT -> write(out, 200, headers, answer(wire, body, "Sure! Here are the key points you asked for, in plain prose.", inputTokens));
            case REFUSAL -> write(out, 200, headers, withUsage(wire, fault, wire.refusal(body, inputTokens)));
            case REFUSAL_WITH_CONTENT -> {
                String content = content(wire, body, fault);
                write(out, 200, headers, withUsage(wire, fault, wire.refusalWithContent(body, content, inputTokens, tokens(content))));
            }
            case EMPTY_CHOICES -> write(out, 200, headers, withUsage(wire, fault, wire.empty(body, inputTokens)));
            case CUT_OFF -> {
                String content = content(wire, body, fault);
                String partial = content.substring(0, content.offsetByCodePoints(0, content.codePointCount(0, content.length()) / 2));
                write(out, 200, headers, withUsage(wire, fault, wire.cutOff(body, partial, inputTokens, tokens(partial))));
            }
            case TRUNCATED -> {
                byte[] full = answer(wire, body, content(wire, body), inputTokens).getBytes(StandardCharsets.UTF_8);
                String head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + full.length + "\r\n\r\n";
                out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                out.write(full, 0, full.length / 2);
                out.flush();
                socket.close();
                return false;
            }
        }
        return true;
    }

    private static String answer(WireFormat wire, JsonNode body, String content, long inputTokens) {
        return wire.answer(body, content, inputTokens, tokens(content));
    }

    /** About 1.3 tokens per word, like English text under common tokenizers. */
    private static long tokens(String text) {
        return text.isBlank() ? 0 : Math.round(text.strip().split("\\s+").length * 1.3);
    }

    private Fault next(String job) {
        FaultScript s = script;
        int step = s.perJob() ? perJobStep.computeIfAbsent(job, k -> new AtomicInteger()).getAndIncrement() : globalStep.getAndIncrement();
        return step < s.steps().size() ? s.steps().get(step) : s.fallback();
    }

    private static String content(WireFormat wire, JsonNode body) {
        // The instructions (system text, with the workflow's rules) and the prompt, as a model reads them.
        return Json.write(sample(wire, body));
    }

    /** The valid answer, with the fault's value in place of each of its numbers when it has one. */
    private static String content(WireFormat wire, JsonNode body, Fault fault) {
        if (fault.numbers().isEmpty()) {
            return content(wire, body);
        }
        JsonNode sample = sample(wire, body);
        return Json.write(replaceNumbers(sample, fault.numbers().get()));
    }

    private static JsonNode replaceNumbers(JsonNode node, JsonNode with) {
        if (node.isNumber()) {
            return with.deepCopy();
        }
        if (node.isObject()) {
            var out = Json.object();
            node.properties().forEach(e -> out.set(e.getKey(), replaceNumbers(e.getValue(), with)));
            return out;
        }
        if (node.isArray()) {
            var out = Json.array();
            node.values().forEach(v -> out.add(replaceNumbers(v, with)));
            return out;
        }
        return node;
    }

    /** The 200 body with the fault's token counts in place of the fake's own, when it has some. */
    private static String withUsage(WireFormat wire, Fault fault, String answer) {
        if (fault.usage().isEmpty()) {
            return answer;
        }
        tools.jackson.databind.node.ObjectNode root = (tools.jackson.databind.node.ObjectNode) Json.parse(answer);
        wire.usage(root, fault.usage().get());
        return Json.write(root);
    }

    private static JsonNode sample(WireFormat wire, JsonNode body) {
        return SchemaSampler.answer(wire.outputSchema(body), wire.promptText(body), wire.firstUserText(body));
    }

    private static void write(OutputStream out, int status, Map<String, String> headers, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        head.append("Content-Type: application/json\r\n");
        head.append("Content-Length: ").append(bytes.length).append("\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(bytes);
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 529 -> "Overloaded";
            default -> "Status";
        };
    }

    private static void sleep(Duration d) {
        if (d.isZero() || d.isNegative()) {
            return;
        }
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : new ArrayList<>(open)) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

}
