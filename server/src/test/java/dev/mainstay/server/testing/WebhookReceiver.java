package dev.mainstay.server.testing;

import dev.mainstay.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A webhook receiver in its own Node.js process, built on the {@code standardwebhooks} reference
 * library ({@code src/test/webhooks/receiver.mjs}): it verifies every delivery with the library,
 * answers as the test scripts it, and reports what it received. Its dependencies are installed by
 * npm from the directory's own {@code package.json} on first use.
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final Path DIR = Path.of("src", "test", "webhooks");

    /** One delivery as the receiver saw it. */
    public record Received(String webhookId, long timestamp, String signature, int signatures, boolean verified, String error, String type, String jobId, String status,
                           String body, Instant receivedAt, String answered) {
    }

    private final Process process;
    private final Http http;
    public final URI url;

    private WebhookReceiver(Process process, int port) {
        this.process = process;
        this.url = URI.create("http://127.0.0.1:" + port + "/hooks/mainstay");
        this.http = new Http(URI.create("http://127.0.0.1:" + port));
    }

    /** Starts a receiver on a free loopback port that accepts deliveries signed with any of {@code secrets}. */
    public static WebhookReceiver start() throws IOException {
        install();
        Process p = new ProcessBuilder("node", "receiver.mjs").directory(DIR.toFile()).redirectError(ProcessBuilder.Redirect.appendTo(
                Path.of("target", "webhook-receiver.log").toFile())).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        if (first == null) {
            p.destroyForcibly();
            throw new IllegalStateException("the webhook receiver ended before it listened; see target/webhook-receiver.log");
        }
        return new WebhookReceiver(p, Json.parse(first).path("port").asInt());
    }

    private static synchronized void install() throws IOException {
        if (Files.isDirectory(DIR.resolve("node_modules/standardwebhooks"))) {
            return;
        }
        try {
            Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--silent").directory(DIR.toFile()).inheritIO().start();
            if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
                throw new IllegalStateException("npm install in " + DIR + " failed; the webhook tests need Node.js and npm");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The secrets a delivery may be signed with; one matching signature verifies it. */
    public WebhookReceiver secrets(String... secrets) {
        ArrayNode list = Json.array();
        for (String s : secrets) {
            list.add(s);
        }
        expectOk(http.post("/_secrets", null, Json.write(Json.object().set("secrets", list))));
        return this;
    }

    /** The time the library checks {@code webhook-timestamp} against: the test's clock. */
    public WebhookReceiver clock(Instant now) {
        expectOk(http.post("/_clock", null, Json.write(Json.object().put("now_ms", now.toEpochMilli()))));
        return this;
    }

    /** Answers the next deliveries with {@code answers} in order ({@link #status}, {@link #hang}), then always {@code then}. */
    public WebhookReceiver script(List<JsonNode> answers, JsonNode then) {
        ObjectNode script = Json.object();
        ArrayNode list = script.putArray("answers");
        answers.forEach(list::add);
        script.set("then", then);
        expectOk(http.post("/_script", null, Json.write(script)));
        return this;
    }

    public static JsonNode status(int status) {
        return Json.object().put("status", status);
    }

    public static JsonNode status(int status, String retryAfter) {
        return Json.object().put("status", status).put("retry_after", retryAfter);
    }

    /** Answers {@code status} after {@code delayMillis}. */
    public static JsonNode slow(int status, long delayMillis) {
        return Json.object().put("status", status).put("delay_ms", delayMillis);
    }

    /** Never answers: the sender's timeout ends the attempt. */
    public static JsonNode hang() {
        return Json.object().put("hang", true);
    }

    /** Every delivery so far, in arrival order. */
    public List<Received> received() {
        Http.Response r = http.get("/_received", null);
        expectOk(r);
        List<Received> out = new ArrayList<>();
        for (JsonNode n : r.json()) {
            out.add(new Received(n.path("webhook_id").asString(null), n.path("webhook_timestamp").asLong(), n.path("signature").asString(null), n.path("signatures").asInt(),
                    n.path("verified").asBoolean(), n.path("error").asString(null), n.path("type").asString(null), n.path("job_id").asString(null),
                    n.path("status").asString(null), n.path("body").asString(), Instant.ofEpochMilli(n.path("received_at_ms").asLong()),
                    n.path("answered").asString()));
        }
        return out;
    }

    private static void expectOk(Http.Response r) {
        if (r.status() != 200) {
            throw new IllegalStateException("the webhook receiver answered " + r.status() + ": " + r.text());
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** How long tests wait for a delivery on the real clock. */
    public static final Duration PATIENCE = Duration.ofSeconds(30);
}
