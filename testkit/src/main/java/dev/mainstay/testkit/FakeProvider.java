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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A fake OpenAI-compatible model server on a real loopback socket, for tests of anything that
 * calls models, Mainstay's own and users' alike. It answers {@code POST /v1/chat/completions} with
 * content that satisfies the {@code response_format} JSON Schema of the request (built from the
 * words of the prompt) and follows a {@link FaultScript}: latency, error statuses with
 * {@code Retry-After}, hangs, connection resets, malformed bodies, invalid output, refusals and
 * truncated responses. It speaks HTTP/1.1 with keep-alive, written by hand so that resets and
 * truncation are real socket behaviour.
 */
public final class FakeProvider implements AutoCloseable {
    private static final Pattern DELIMITED = Pattern.compile("<([a-z_]+)>\\s*(.*?)\\s*</\\1>", Pattern.DOTALL);
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
        if (!"POST".equals(request.method()) || !request.path().endsWith("/chat/completions")) {
            requests.add(new RecordedRequest(seq.incrementAndGet(), request.method(), request.path(), Map.copyOf(request.headers()), body, Fault.Kind.STATUS, Instant.now()));
            write(out, 404, Map.of(), error("no route " + request.method() + " " + request.path() + "; the fake serves POST /v1/chat/completions", "not_found"));
            return true;
        }
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            return answer(request, body, socket, out);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private boolean answer(Request request, JsonNode body, Socket socket, OutputStream out) throws IOException {
        String job = request.headers().getOrDefault("x-mainstay-job", "");
        Fault fault = next(job);
        requests.add(new RecordedRequest(seq.incrementAndGet(), request.method(), request.path(), Map.copyOf(request.headers()), body, fault.kind(), Instant.now()));

        long span = fault.maxLatency().toMillis() - fault.minLatency().toMillis();
        sleep(fault.minLatency().plusMillis(span <= 0 ? 0 : ThreadLocalRandom.current().nextLong(span + 1)));
        Map<String, String> headers = new HashMap<>();
        fault.retryAfter().ifPresent(d -> headers.put("retry-after", Long.toString((d.toMillis() + 999) / 1000)));
        switch (fault.kind()) {
            case OK -> write(out, 200, headers, completion(body, content(body)));
            case STATUS -> write(out, fault.status(), headers, error("scripted failure with status " + fault.status(), fault.status() == 429 ? "rate_limit_exceeded" : "server_error"));
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
            case MALFORMED -> write(out, 200, headers, "{\"id\": \"chatcmpl-fake\", \"choices\": [{\"message\": {\"content\": ");
            case INVALID_OUTPUT -> write(out, 200, headers, completion(body, "{\"unexpected\": [\"this\", \"does\", \"not\", \"match\"]}"));
            case PROSE_OUTPUT -> write(out, 200, headers, completion(body, "Sure! Here are the key points you asked for, in plain prose."));
            case REFUSAL -> {
                ObjectNode c = completionNode(body, null);
                ((ObjectNode) c.path("choices").path(0).path("message")).put("refusal", "I can't help with that request.");
                write(out, 200, headers, Json.write(c));
            }
            case TRUNCATED -> {
                byte[] full = completion(body, content(body)).getBytes(StandardCharsets.UTF_8);
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

    private Fault next(String job) {
        FaultScript s = script;
        int step = s.perJob() ? perJobStep.computeIfAbsent(job, k -> new AtomicInteger()).getAndIncrement() : globalStep.getAndIncrement();
        return step < s.steps().size() ? s.steps().get(step) : s.fallback();
    }

    private static String content(JsonNode body) {
        JsonNode schema = body == null ? null : body.path("response_format").path("json_schema").path("schema");
        String prompt = prompt(body);
        return Json.write(SchemaSampler.sample(schema == null || schema.isMissingNode() ? null : schema, sourceText(prompt), prompt));
    }

    /** The first user message: the rendered prompt (a repair request's own message is not the caller's text). */
    private static String prompt(JsonNode body) {
        String prompt = "";
        if (body != null) {
            for (JsonNode m : body.path("messages")) {
                if ("user".equals(m.path("role").asString("")) && prompt.isEmpty()) {
                    prompt = m.path("content").asString("");
                }
            }
        }
        return prompt;
    }

    private static String sourceText(String prompt) {
        Matcher m = DELIMITED.matcher(prompt);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            out.append(out.isEmpty() ? "" : "\n").append(m.group(2));
        }
        return out.isEmpty() ? prompt : out.toString();
    }

    private static String completion(JsonNode request, String content) {
        return Json.write(completionNode(request, content));
    }

    private static ObjectNode completionNode(JsonNode request, String content) {
        String model = request == null ? "fake" : request.path("model").asString("fake");
        int promptWords = 0;
        if (request != null) {
            for (JsonNode m : request.path("messages")) {
                promptWords += m.path("content").asString("").split("\\s+").length;
            }
        }
        int completionWords = content == null ? 0 : content.split("\\s+").length;
        ObjectNode root = Json.object();
        root.put("id", "chatcmpl-fake-" + System.nanoTime());
        root.put("object", "chat.completion");
        root.put("created", Instant.now().getEpochSecond());
        root.put("model", model + "-fake-0001");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        if (content == null) {
            message.putNull("content");
        } else {
            message.put("content", content);
        }
        message.putNull("refusal");
        choice.put("finish_reason", "stop");
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", Math.round(promptWords * 1.3));
        usage.put("completion_tokens", Math.round(completionWords * 1.3));
        usage.put("total_tokens", Math.round(promptWords * 1.3) + Math.round(completionWords * 1.3));
        return root;
    }

    private static String error(String message, String code) {
        ObjectNode root = Json.object();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", code);
        e.put("code", code);
        return Json.write(root);
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
