package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Mainstay behind Debian's nginx with its default {@code proxy_pass}, which speaks HTTP/1.0 to
 * the upstream: a throwaway nginx with its own prefix and configuration on a free loopback port.
 * {@code ./mainstay test} installs nginx when it is missing; {@code -Dmainstay.nginx=PATH} names
 * another binary.
 */
class NginxProxyTest {
    static final Path DEBIAN_NGINX = Path.of("/usr/sbin/nginx");

    @TempDir
    static Path dir;
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();
    static Process nginx;
    static Path prefix;
    static Http viaNginx;
    static ServerSocket recorder;

    @BeforeAll
    static void start() throws Exception {
        Path binary = Path.of(System.getProperty("mainstay.nginx", DEBIAN_NGINX.toString()));
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("no nginx at " + binary + ": install it ('apt-get install -y nginx'; './mainstay test' does so when run as "
                    + "root) or point -Dmainstay.nginx at an nginx binary");
        }
        recorder = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        prefix = Files.createDirectories(dir.resolve("nginx"));
        Files.createDirectories(prefix.resolve("logs"));
        int port = TestNode.freePort();
        Path conf = prefix.resolve("nginx.conf");
        Files.writeString(conf, """
                %s
                worker_processes 1;
                pid %s/nginx.pid;
                error_log %s/logs/error.log info;
                events { worker_connections 256; }
                http {
                    access_log %s/logs/access.log;
                    client_body_temp_path %s/client_body;
                    proxy_temp_path %s/proxy;
                    fastcgi_temp_path %s/fastcgi;
                    uwsgi_temp_path %s/uwsgi;
                    scgi_temp_path %s/scgi;
                    upstream pool { server 127.0.0.1:%d; keepalive 4; }
                    server {
                        listen 127.0.0.1:%d;
                        # nginx's defaults: proxy_http_version 1.0 and 'Connection: close' upstream
                        location / { proxy_pass http://127.0.0.1:%d; }
                        location /upstream-request-line { proxy_pass http://127.0.0.1:%d; }
                        # the kept-alive pool of docs/operations.md
                        location /pooled/ {
                            proxy_pass http://pool/;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                        }
                    }
                }
                """.formatted("root".equals(System.getProperty("user.name")) ? "user root;" : "", prefix, prefix, prefix, prefix, prefix, prefix,
                prefix, prefix, node.server().port(), port, node.server().port(), recorder.getLocalPort()));
        nginx = new ProcessBuilder(binary.toString(), "-p", prefix.toString(), "-e", prefix.resolve("logs/error.log").toString(), "-c", conf.toString(),
                "-g", "daemon off;")
                .redirectErrorStream(true)
                .redirectOutput(prefix.resolve("logs/stdout.log").toFile())
                .start();
        viaNginx = new Http(URI.create("http://127.0.0.1:" + port));
        try {
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .failFast(() -> !nginx.isAlive())
                    .until(() -> viaNginx.get("/health/live", null).status() == 200);
        } catch (RuntimeException e) {
            throw new IllegalStateException("nginx did not come up in front of Mainstay; its logs:\n" + log(), e);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.destroy(); // SIGTERM: nginx's fast shutdown
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly();
            }
        }
        if (recorder != null) {
            recorder.close();
        }
    }

    @Test
    void nginxSpeaksHttp10ToItsUpstreamByDefault() throws Exception {
        CompletableFuture<String> requestLine = CompletableFuture.supplyAsync(() -> {
            try (Socket s = recorder.accept()) {
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1)).readLine();
                OutputStream out = s.getOutputStream();
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return line;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(viaNginx.get("/upstream-request-line", null).status()).isEqualTo(200);
        assertThat(requestLine.get(30, TimeUnit.SECONDS)).isEqualTo("GET /upstream-request-line HTTP/1.0");
    }

    @Test
    void aJobRunsEndToEndThroughNginx() {
        Http.Response ready = viaNginx.get("/health/ready", null);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.json().path("status").asString()).isEqualTo("ready");

        Http.Response submitted = viaNginx.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"through a default nginx\"}",
                "Idempotency-Key", "nginx-e2e-1");
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        String id = submitted.json().path("id").asString();
        assertThat(submitted.header("Location")).isEqualTo("/v1/jobs/" + id);

        JsonNode done = TestNode.awaitTerminal(viaNginx, TestNode.DEMO_KEY, id);
        assertThat(done.path("status").asString()).isEqualTo("completed");
        assertThat(done.path("stages").size()).isEqualTo(2);

        Http.Response replayed = viaNginx.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"through a default nginx\"}",
                "Idempotency-Key", "nginx-e2e-1");
        assertThat(replayed.json().path("id").asString()).isEqualTo(id);
        assertThat(replayed.header("Idempotent-Replayed")).isEqualTo("true");

        Http.Response waited = viaNginx.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"held until done\"}", "Prefer", "wait=30");
        assertThat(waited.status()).isEqualTo(200);
        assertThat(waited.json().path("status").asString()).isEqualTo("completed");
    }

    @Test
    void aKeptAlivePoolOfHttp11ConnectionsWorksToo() {
        for (int i = 0; i < 10; i++) {
            assertThat(viaNginx.get("/pooled/health/ready", null).status()).isEqualTo(200);
        }
        Http.Response waited = viaNginx.post("/pooled/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"pooled\"}", "Prefer", "wait=30");
        assertThat(waited.status()).isEqualTo(200);
        assertThat(waited.json().path("status").asString()).isEqualTo("completed");
    }

    @Test
    void refusalsComeBackThroughNginxAsProblems() {
        Http.Response unauthorized = viaNginx.post("/v1/test/echo", null, "{\"text\": \"x\"}");
        assertThat(unauthorized.status()).isEqualTo(401);
        assertThat(unauthorized.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(unauthorized.code()).isEqualTo("unauthorized");
        Http.Response invalid = viaNginx.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": 5}");
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.code()).isEqualTo("invalid_input");
    }

    private static String log() {
        try {
            Path error = prefix.resolve("logs/error.log");
            Path stdout = prefix.resolve("logs/stdout.log");
            return String.join("\n", Files.exists(error) ? Files.readAllLines(error) : List.of()) + "\n"
                    + String.join("\n", Files.exists(stdout) ? Files.readAllLines(stdout) : List.of());
        } catch (IOException e) {
            return e.toString();
        }
    }
}
