package dev.mainstay.server;

import dev.mainstay.testkit.FakeProvider;
import java.io.IOException;
import java.net.URI;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;

/**
 * A Mainstay node for tests: the real server on an ephemeral loopback port, a real SQLite file in
 * a temporary directory, the shipped example workflows plus the test workflows, and every route
 * pointed at a testkit {@link FakeProvider}.
 */
final class TestNode implements AutoCloseable {
    static final String DEMO_KEY = "ms_live_testdemokey000000000000000001";
    static final String ADMIN_KEY = "ms_admin_testadminkey0000000000000001";

    final Path dir;
    final MainstayServer server;
    final Http http;

    private TestNode(Path dir, MainstayServer server) {
        this.dir = dir;
        this.server = server;
        this.http = new Http(server.baseUrl());
    }

    /** Starts a node in {@code dir} (reusing its database when present). */
    static TestNode start(Path dir, FakeProvider fake) {
        return start(dir, fake, Map.of());
    }

    static TestNode start(Path dir, FakeProvider fake, Map<String, String> extraEnv) {
        return start(dir, writeFiles(dir, fake, "2s", "1s"), extraEnv);
    }

    /** Starts a node from a config file already written (see {@link #writeFiles}). */
    static TestNode start(Path dir, Path config, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(env(dir));
        env.putAll(extraEnv);
        return new TestNode(dir, MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC()));
    }

    static Map<String, String> env(Path dir) {
        return Map.of(
                "MAINSTAY_DATA_DIR", dir.resolve("var").toString(),
                "MAINSTAY_WORKFLOWS", dir.resolve("workflows").toString(),
                "MAINSTAY_PORT", "0",
                "MAINSTAY_DEMO_API_KEY", DEMO_KEY,
                "MAINSTAY_ADMIN_KEY", ADMIN_KEY);
    }

    /** Writes the workflows (examples + test ones) and a config pointing at {@code fake}; returns the config file. */
    static Path writeFiles(Path dir, FakeProvider fake, String lease, String grace) {
        try {
            Path workflows = dir.resolve("workflows");
            copyTree(Path.of("..", "examples", "workflows"), workflows);
            Files.createDirectories(workflows.resolve("test"));
            Files.writeString(workflows.resolve("test/echo.yaml"), """
                    workflow: test/echo
                    version: 1
                    latency: wait
                    deadline: 60s
                    input:
                      type: object
                      required: [text]
                      properties:
                        text: { type: string, minLength: 1 }
                    stages:
                      - id: echo
                        model:
                          prompt: prompts/echo.mustache
                          route: [primary]
                          max_output_tokens: 100
                          timeout: 1s
                        output:
                          schema:
                            type: object
                            required: [summary]
                            properties:
                              summary: { type: string, minLength: 1 }
                        retry: { attempts: 3, backoff: 20ms, max_backoff: 100ms }
                    """);
            Files.writeString(workflows.resolve("test/pipeline.yaml"), """
                    workflow: test/pipeline
                    version: 1
                    latency: async
                    deadline: 10m
                    input:
                      type: object
                      required: [text]
                      properties:
                        text: { type: string, minLength: 1 }
                    stages:
                      - id: first
                        model:
                          prompt: prompts/echo.mustache
                          route: [primary]
                          timeout: 5s
                        output:
                          schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                        retry: { attempts: 10, backoff: 50ms, max_backoff: 500ms }
                      - id: second
                        model:
                          prompt: prompts/echo.mustache
                          route: [primary]
                          timeout: 5s
                        output:
                          schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                        retry: { attempts: 10, backoff: 50ms, max_backoff: 500ms }
                    """);
            Files.writeString(workflows.resolve("prompts/echo.mustache"), "Summarise.\n<document>\n{{input.text}}\n</document>\n");
            Path config = dir.resolve("mainstay.yaml");
            Files.writeString(config, """
                    providers:
                      fake:
                        kind: openai
                        base_url: %s
                        max_tokens_field: max_tokens
                    routes:
                      primary: [fake/gpt-4o-mini]
                      small: [fake/gpt-4o-mini]
                    prices:
                      # model-a, model-b and other test names; gpt-4o-mini keeps its shipped price
                      fake/*: { input: "1.00", output: "2.00" }
                    limits:
                      # Tests fail jobs on purpose; one test's failures must not cool down the next.
                      failure_cooldown: { failures: 0 }
                    engine:
                      # Tests share one fake target; a breaker tripping in one test must not change another.
                      circuit_breaker: { failures: 1000 }
                      lease: %s
                      shutdown_grace: %s
                    """.formatted(fake.baseUrl(), lease, grace));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!Files.exists(target)) {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Polls the job until it is terminal (bounded) and returns its envelope. */
    JsonNode awaitTerminal(String jobId) {
        return awaitTerminal(http, DEMO_KEY, jobId);
    }

    static JsonNode awaitTerminal(Http http, String key, String jobId) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            Http.Response r = http.get("/v1/jobs/" + jobId, key);
            last[0] = r.json();
            return r.status() == 200 && isTerminal(r.json().path("status").asString());
        });
        return last[0];
    }

    static boolean isTerminal(String status) {
        return switch (status) {
            case "completed", "partially_completed", "degraded", "failed", "cancelled" -> true;
            default -> false;
        };
    }

    @Override
    public void close() {
        server.stop();
    }

    static Duration seconds(long s) {
        return Duration.ofSeconds(s);
    }

    /**
     * Starts a node as its own process (so a test can SIGKILL it) on {@code port}, with the test
     * environment for {@code dir} plus {@code extraEnv}, and waits until it is ready. Its output is
     * appended to {@code target/<log>}.
     */
    static Process launchProcess(Path dir, Path config, int port, Map<String, String> extraEnv, String log) throws IOException {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        java.util.List<String> cmd = java.util.List.of(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.mainstay.server.Main", "up", "--config", config.toString(), "--port", Integer.toString(port));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("target", log).toFile()));
        pb.environment().putAll(env(dir));
        pb.environment().putAll(extraEnv);
        pb.environment().put("MAINSTAY_PORT", Integer.toString(port));
        Process p = pb.start();
        Http http = new Http(URI.create("http://127.0.0.1:" + port));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> http.get("/health/ready", null).status() == 200);
        return p;
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
