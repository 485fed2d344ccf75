package dev.mainstay.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throws thousands of malformed requests at every public endpoint over real HTTP: broken and
 * truncated JSON, invalid UTF-8, deep nesting, huge strings and numbers, wrong field types, odd
 * content types and methods, bad and missing keys, random paths, and (over a raw socket) broken
 * request lines and headers. Every request gets an answer, below 500 and without a stack trace,
 * and the node must still serve a normal request afterwards. The run is seeded: {@code -Dmainstay.fuzz.seed}
 * repeats one, {@code -Dmainstay.fuzz.requests} sets how many.
 */
class FuzzTest {
    private static final long SEED = Long.getLong("mainstay.fuzz.seed", 20261123L);
    private static final int REQUESTS = Integer.getInteger("mainstay.fuzz.requests", 3000);
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private static final String[] FIELDS = {"text", "ticket", "subject", "body", "tone", "decision", "output", "note", "name", "plan", "roles",
            "expires_at", "summary", "lead", "document", "max_concurrent_jobs", "cost_per_month_usd", "tokens_per_day", "requests_per_minute"};
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"};

    @TempDir
    Path dir;

    private SplittableRandom random;
    private String jobId;
    private final Map<Integer, Integer> statuses = new TreeMap<>();
    private final List<String> failures = new ArrayList<>();

    @Test
    void malformedRequestsGetOnly4xxAndTheServerStillServes() throws Exception {
        random = new SplittableRandom(SEED);
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            TestNode.Setup setup = TestNode.in(dir).provider(fake.baseUrl()).section("""
                    server:
                      max_body_bytes: 65536
                      max_string_length: 4096
                      read_timeout: 2s
                      auth_failures: { max: 1000000, window: 1m }
                    """);
            try (TestNode node = setup.start()) {
                jobId = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"seed job\"}").json().path("id").asString();
                for (int i = 0; i < REQUESTS; i++) {
                    if (random.nextInt(10) == 0) {
                        raw(node, i);
                    } else {
                        viaClient(node, i);
                    }
                }
                System.out.println("fuzz seed " + SEED + ", " + REQUESTS + " requests, answers by status: " + statuses);
                assertThat(failures).as("requests answered with 5xx, a stack trace or nothing at all (seed " + SEED + ")").isEmpty();

                Http.Response ok = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"after the storm\"}");
                assertThat(ok.status()).as(ok.text()).isIn(200, 202);
                assertThat(node.awaitTerminal(ok.json().path("id").asString()).path("status").asString()).isEqualTo("completed");
                assertThat(node.http.get("/v1/jobs/" + jobId, TestNode.DEMO_KEY).status()).isEqualTo(200);
            }
        }
    }

    // ---- requests through the JDK client -----------------------------------------------------

    private void viaClient(TestNode node, int i) {
        String method = pick(METHODS);
        if (random.nextInt(3) > 0) {
            method = random.nextBoolean() ? "POST" : "GET";
        }
        String path = path();
        byte[] body = body();
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(node.server.baseUrl().resolve(path)).timeout(Duration.ofSeconds(30));
        } catch (IllegalArgumentException e) {
            return; // not a URI the client will send; the raw-socket requests cover those
        }
        HttpRequest.BodyPublisher publisher = body.length == 0 && random.nextBoolean() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body);
        b.method(method, publisher);
        header(b, "Authorization", authorization());
        header(b, "Content-Type", contentType());
        if (random.nextInt(6) == 0) {
            header(b, "Idempotency-Key", random.nextBoolean() ? "k-" + random.nextInt(50) : junk(random.nextInt(1, 400), true));
        }
        if (random.nextInt(8) == 0) {
            header(b, "Prefer", pick(new String[] {"wait=1", "wait=abc", "wait=99999999999", "wait=" + junk(10, true), "respond-async"}));
        }
        if (random.nextInt(10) == 0) {
            header(b, "Accept", pick(new String[] {"text/event-stream", "*/*", "application/xml", junk(20, true)}));
        }
        HttpRequest request;
        try {
            request = b.build();
        } catch (IllegalArgumentException e) {
            return;
        }
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            record(r.statusCode(), r.body(), i + " " + method + " " + path + " body=" + preview(body));
        } catch (IOException e) {
            record(-1, "", i + " " + method + " " + path + " (connection: " + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void header(HttpRequest.Builder b, String name, String value) {
        if (value == null) {
            return;
        }
        try {
            b.header(name, value);
        } catch (IllegalArgumentException ignored) {
            // a value the client refuses to send; raw requests send such bytes
        }
    }

    private String path() {
        String id = switch (random.nextInt(5)) {
            case 0 -> jobId;
            case 1 -> "job_" + junk(random.nextInt(0, 30), false);
            case 2 -> junk(random.nextInt(1, 100), false);
            case 3 -> "rev_" + random.nextInt(1000);
            default -> "acct_demo";
        };
        String path = switch (random.nextInt(20)) {
            case 0 -> "/v1/jobs";
            case 1 -> "/v1/jobs/" + id;
            case 2 -> "/v1/jobs/" + id + "/events" + (random.nextBoolean() ? "?after=" + junk(5, false) : "");
            case 3 -> "/v1/jobs/" + id + "/cancel";
            case 4 -> "/v1/jobs/" + id + "/replay";
            case 5 -> "/v1/jobs/" + id + "/diff/" + jobId;
            case 6 -> "/v1/reviews" + (random.nextBoolean() ? "/" + id : "") + (random.nextBoolean() ? "/decision" : "");
            case 7 -> "/v1/usage?group_by=" + junk(6, false) + "&from=" + junk(10, false);
            case 8 -> "/v1/admin/accounts";
            case 9 -> "/v1/admin/accounts/" + id + "/keys" + (random.nextBoolean() ? "/" + junk(12, false) : "");
            case 10 -> "/v1/admin/accounts/" + id + "/limits";
            case 11 -> "/v1/admin/usage?account=" + id;
            case 12 -> "/v1/admin/targets";
            case 13, 14 -> "/v1/test/echo";
            case 15 -> "/v1/support/draft-response";
            case 16 -> "/v1/leads/classify";
            case 17 -> "/v1/briefs/extract-key-points";
            case 18 -> "/v1/workflows";
            default -> "/" + junk(random.nextInt(1, 60), false) + "/" + junk(random.nextInt(0, 30), false);
        };
        if (random.nextInt(15) == 0) {
            path += "?limit=" + pick(new String[] {"-1", "0", "99999999999", "abc", ""}) + "&cursor=" + junk(random.nextInt(0, 90), false)
                    + "&status=" + junk(8, false);
        }
        return path;
    }

    private String authorization() {
        return switch (random.nextInt(12)) {
            case 0 -> null;
            case 1 -> "Bearer " + junk(random.nextInt(0, 600), true);
            case 2 -> junk(random.nextInt(0, 40), true);
            case 3 -> "Basic dXNlcjpwYXNz";
            case 4, 5 -> "Bearer " + TestNode.ADMIN_KEY;
            default -> "Bearer " + TestNode.DEMO_KEY;
        };
    }

    private String contentType() {
        return switch (random.nextInt(10)) {
            case 0 -> null;
            case 1 -> "text/plain";
            case 2 -> "application/json; charset=iso-8859-1";
            case 3 -> junk(random.nextInt(1, 50), true);
            case 4 -> "application/problem+json";
            default -> "application/json";
        };
    }

    private byte[] body() {
        return switch (random.nextInt(14)) {
            case 0 -> new byte[0];
            case 1 -> randomBytes(random.nextInt(1, 2000));
            case 2 -> invalidUtf8InsideJson();
            case 3 -> deep(random.nextInt(60, 30_000));
            case 4 -> ("{\"" + pick(FIELDS) + "\": \"" + "x".repeat(random.nextInt(4000, 70_000)) + "\"}").getBytes(StandardCharsets.UTF_8);
            case 5 -> ("{\"" + "k".repeat(random.nextInt(4000, 60_000)) + "\": 1}").getBytes(StandardCharsets.UTF_8);
            case 6 -> truncate(wrongTypes());
            case 7 -> ("{\"text\": " + pick(new String[] {"1e999999", "-" + "9".repeat(5000), "0." + "1".repeat(3000), "NaN", "Infinity", "01"}) + "}")
                    .getBytes(StandardCharsets.UTF_8);
            case 8 -> pick(new String[] {"{\"text\": \"\\ud800\"}", "{\"text\": \"a\"} trailing", "{\"text\": \"a\", \"text\": \"b\"}", "[]", "null",
                    "\"just a string\"", "{\"text\": \"\\u0000\"}", "{'text': 'single'}", "{\"text\": \"a\"}\u0000", "\uFEFF{\"text\": \"bom\"}",
                    "{\"decision\": \"approve\"}", "{\"name\": \"fuzz co\", \"roles\": [\"a\"]}"}).getBytes(StandardCharsets.UTF_8);
            default -> wrongTypes();
        };
    }

    private byte[] wrongTypes() {
        StringBuilder out = new StringBuilder("{");
        int n = random.nextInt(0, 5);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                out.append(", ");
            }
            out.append('"').append(random.nextInt(5) == 0 ? junk(8, false) : pick(FIELDS)).append("\": ").append(value(3));
        }
        return out.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private String value(int depth) {
        int kind = random.nextInt(depth <= 0 ? 6 : 8);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> Boolean.toString(random.nextBoolean());
            case 2 -> Long.toString(random.nextLong());
            case 3 -> Double.toString(random.nextDouble() * 1e6);
            case 4 -> "\"" + junk(random.nextInt(0, 30), false) + "\"";
            case 5 -> "\"" + pick(new String[] {"approve", "edit", "reject", "friendly", "2030-01-01T00:00:00Z", "member", ""}) + "\"";
            case 6 -> {
                StringBuilder a = new StringBuilder("[");
                for (int i = random.nextInt(0, 4); i > 0; i--) {
                    a.append(value(depth - 1)).append(i > 1 ? "," : "");
                }
                yield a.append(']').toString();
            }
            default -> {
                StringBuilder o = new StringBuilder("{");
                for (int i = random.nextInt(0, 4); i > 0; i--) {
                    o.append('"').append(pick(FIELDS)).append("\":").append(value(depth - 1)).append(i > 1 ? "," : "");
                }
                yield o.append('}').toString();
            }
        };
    }

    private byte[] truncate(byte[] json) {
        return json.length < 2 ? json : java.util.Arrays.copyOf(json, random.nextInt(1, json.length));
    }

    private byte[] deep(int depth) {
        boolean objects = random.nextBoolean();
        StringBuilder out = new StringBuilder(depth * 8);
        out.append(objects ? "{\"text\":" : "");
        for (int i = 0; i < depth; i++) {
            out.append(objects ? "{\"a\":" : "[");
        }
        out.append("1");
        for (int i = 0; i < depth; i++) {
            out.append(objects ? "}" : "]");
        }
        out.append(objects ? "}" : "");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private byte[] invalidUtf8InsideJson() {
        byte[][] bad = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
                {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE2, (byte) 0x82}};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("{\"" + pick(FIELDS) + "\": \"ab").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(bad[random.nextInt(bad.length)]);
        out.writeBytes("cd\"}".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    // ---- raw requests: what a well-behaved client never sends --------------------------------

    private void raw(TestNode node, int i) throws IOException {
        byte[] request = switch (random.nextInt(10)) {
            case 0 -> ("GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(random.nextInt(17_000, 40_000)) + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            case 1 -> ("GET /" + "p".repeat(random.nextInt(17_000, 30_000)) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            case 2 -> concat("GET /v1/jobs/".getBytes(StandardCharsets.US_ASCII), randomBytes(random.nextInt(1, 40)), " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            case 3 -> ("GET /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY + "\r\nNoColonHere\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            case 4 -> concat(("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY + "\r\nContent-Type: application/json\r\nX-Bin: ").getBytes(StandardCharsets.US_ASCII),
                    randomBytes(20), "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".getBytes(StandardCharsets.US_ASCII));
            case 5 -> ("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY + "\r\nContent-Type: application/json\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}")
                    .getBytes(StandardCharsets.US_ASCII);
            case 6 -> ("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            case 7 -> ("POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.DEMO_KEY + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{}")
                    .getBytes(StandardCharsets.US_ASCII);
            case 8 -> (pick(new String[] {"GARBAGE", "GET", "GET / HTTP/9.9", "GET / FTP/1.0", "G\u0001T / HTTP/1.1", "GET  /v1/jobs  HTTP/1.1", "GET v1/jobs HTTP/1.1"})
                    + "\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            default -> concat(("POST /v1/admin/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.ADMIN_KEY + "\r\nContent-Type: application/json\r\nContent-Length: ")
                    .getBytes(StandardCharsets.US_ASCII), bodyWithLength(invalidUtf8InsideJson()));
        };
        try (Socket socket = new Socket(node.server.baseUrl().getHost(), node.server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException closedEarly) {
                // the server may answer and close on a request line or header it refuses, before reading the rest
            }
            String head = statusLine(socket.getInputStream());
            if (head.isEmpty()) {
                statuses.merge(0, 1, Integer::sum);
                failures.add("closed without an answer: " + i + " raw " + preview(request));
                return;
            }
            String[] parts = head.split(" ", 3);
            int status = parts.length > 1 && parts[1].matches("\\d{3}") ? Integer.parseInt(parts[1]) : -1;
            record(status, "", i + " raw " + preview(request));
        } catch (SocketTimeoutException e) {
            record(-2, "", i + " raw (no answer in 10s) " + preview(request));
        }
    }

    private static byte[] bodyWithLength(byte[] body) {
        return concat((body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII), body);
    }

    private static String statusLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int c;
            while ((c = in.read()) != -1 && c != '\n' && line.size() < 200) {
                line.write(c);
            }
        } catch (IOException reset) {
            // a reset after the server refused the request counts as closed
        }
        return line.toString(StandardCharsets.ISO_8859_1).strip();
    }

    // ---- bookkeeping ------------------------------------------------------------------------

    private void record(int status, String body, String what) {
        statuses.merge(status, 1, Integer::sum);
        if (status >= 500 || status == -2) {
            failures.add(status + " " + what + " -> " + preview(body.getBytes(StandardCharsets.UTF_8)));
        } else if (body.contains("Exception") || body.contains("\tat ")) {
            failures.add(status + " with a stack trace " + what);
        }
    }

    private String junk(int length, boolean anyCharacter) {
        StringBuilder out = new StringBuilder(length);
        String safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~%";
        for (int i = 0; i < length; i++) {
            out.append(anyCharacter ? (char) random.nextInt(1, 0x3000) : safe.charAt(random.nextInt(safe.length())));
        }
        return out.toString();
    }

    private byte[] randomBytes(int n) {
        byte[] out = new byte[n];
        random.nextBytes(out);
        return out;
    }

    private <T> T pick(T[] options) {
        return options[random.nextInt(options.length)];
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static String preview(byte[] bytes) {
        String s = new String(bytes, 0, Math.min(bytes.length, 120), StandardCharsets.ISO_8859_1).replaceAll("[^\\x20-\\x7e]", "?");
        return bytes.length > 120 ? s + "…(" + bytes.length + " bytes)" : s;
    }
}
