package dev.mainstay.server.testing;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.testkit.FakeProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;

/**
 * A Mainstay node for tests and benchmarks: the real server on a loopback port, a real SQLite file
 * in a directory of its own, and the workflows and configuration {@link Setup} writes there (by
 * default the shipped examples, the test workflows, and every route pointed at one
 * OpenAI-compatible provider, usually the testkit's {@link FakeProvider}). {@link Setup#start}
 * runs the node in this process; {@link Setup#launch} runs it as a process of its own, which a
 * test can kill.
 */
public final class TestNode implements AutoCloseable {
    public static final String DEMO_KEY = "ms_live_testdemokey000000000000000001";
    public static final String ADMIN_KEY = "ms_admin_testadminkey0000000000000001";
    /** The account the demo key belongs to. */
    public static final String DEMO_ACCOUNT = "acct_demo";

    /** {@code test/echo}: one model stage on {@code primary}, latency {@code wait}, three attempts. */
    public static final String ECHO = """
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
            """;

    /** {@code test/pipeline}: two model stages, asynchronous, ten attempts each. */
    public static final String PIPELINE = """
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
            """;

    /**
     * {@code test/single}: one asynchronous model stage, so that a job is exactly one model call;
     * {@code extra} (e.g. an {@code eligibility} block) goes before its input. Not written by default.
     */
    public static String single(String extra) {
        return """
                workflow: test/single
                version: 1
                latency: async
                deadline: 5m
                %s
                input:
                  type: object
                  required: [text]
                  properties:
                    text: { type: string, minLength: 1 }
                stages:
                  - id: only
                    model:
                      prompt: prompts/echo.mustache
                      route: [primary]
                      max_output_tokens: 200
                    output:
                      schema:
                        type: object
                        required: [summary]
                        properties:
                          summary: { type: string }
                """.formatted(extra);
    }

    /** The prompt of the test workflows: the input text in a document block. */
    public static final String ECHO_PROMPT = "Summarise.\n<document>\n{{input.text}}\n</document>\n";

    public final Path dir;
    public final MainstayServer server;
    public final Http http;

    private TestNode(Path dir, MainstayServer server) {
        this.dir = dir;
        this.server = server;
        this.http = new Http(server.baseUrl());
    }

    /** The files of a node in {@code dir}, to adjust and then write or start. */
    public static Setup in(Path dir) {
        return new Setup(dir);
    }

    /** Starts a node in {@code dir} (reusing its database when present) with every route on {@code fake}. */
    public static TestNode start(Path dir, FakeProvider fake) {
        return in(dir).provider(fake.baseUrl()).start();
    }

    public static TestNode start(Path dir, FakeProvider fake, Map<String, String> extraEnv) {
        return in(dir).provider(fake.baseUrl()).env(extraEnv).start();
    }

    /** Starts a node from a configuration file already written (see {@link #writeFiles}), as it is. */
    public static TestNode start(Path dir, Path config, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(env(dir));
        env.putAll(extraEnv);
        return new TestNode(dir, MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC()));
    }

    /** The environment of a node in {@code dir}: its data and workflow directories, a free port, the two test keys. */
    public static Map<String, String> env(Path dir) {
        return Map.of(
                "MAINSTAY_DATA_DIR", dir.resolve("var").toString(),
                "MAINSTAY_WORKFLOWS", dir.resolve("workflows").toString(),
                "MAINSTAY_PORT", "0",
                "MAINSTAY_DEMO_API_KEY", DEMO_KEY,
                "MAINSTAY_ADMIN_KEY", ADMIN_KEY);
    }

    /** Writes the workflows (examples and test ones) and a config pointing at {@code fake}; returns the config file. */
    public static Path writeFiles(Path dir, FakeProvider fake, String lease, String grace) {
        return in(dir).provider(fake.baseUrl()).lease(lease).grace(grace).write();
    }

    /** Polls the job until it is terminal (bounded) and returns its envelope. */
    public JsonNode awaitTerminal(String jobId) {
        return awaitTerminal(http, DEMO_KEY, jobId);
    }

    public static JsonNode awaitTerminal(Http http, String key, String jobId) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            Http.Response r = http.get("/v1/jobs/" + jobId, key);
            last[0] = r.json();
            return r.status() == 200 && isTerminal(r.json().path("status").asString());
        });
        return last[0];
    }

    public static boolean isTerminal(String status) {
        return switch (status) {
            case "completed", "partially_completed", "degraded", "failed", "cancelled" -> true;
            default -> false;
        };
    }

    /** A {@code cost_usd} as the API writes it, in micro-dollars. */
    public static long micros(String usd) {
        return new BigDecimal(usd).movePointRight(6).longValueExact();
    }

    @Override
    public void close() {
        server.stop();
    }

    /**
     * Starts a node as its own process (so a test can SIGKILL it) on {@code port}, from this JVM's
     * class path, with the test environment for {@code dir} plus {@code extraEnv}, and waits until
     * it is ready. Its output is appended to {@code target/<log>}.
     */
    public static Process launchProcess(Path dir, Path config, int port, Map<String, String> extraEnv, String log) throws IOException {
        Map<String, String> env = new HashMap<>(env(dir));
        env.putAll(extraEnv);
        Process p = spawn(testJava(), config, port, env, Path.of("target", log));
        awaitReady(p, port, Duration.ofSeconds(60));
        return p;
    }

    /** This JVM's java with this JVM's class path, running the server's main class. */
    private static List<String> testJava() {
        return List.of(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.mainstay.server.Main");
    }

    /**
     * Starts {@code java} (a command that runs the server's {@code Main}: a JVM, its options and a
     * class path or jar) with {@code up --config config --port port} and {@code env}, its output
     * appended to {@code log}. Returns at once.
     */
    public static Process spawn(List<String> java, Path config, int port, Map<String, String> env, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(java);
        cmd.addAll(List.of("up", "--config", config.toString(), "--port", Integer.toString(port)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        pb.environment().put("MAINSTAY_PORT", Integer.toString(port));
        return pb.start();
    }

    /** Waits until the node on {@code port} answers {@code /health/ready} with 200; fails at once when its process exits. */
    public static void awaitReady(Process process, int port, Duration timeout) {
        Http http = new Http(URI.create("http://127.0.0.1:" + port));
        Awaitility.await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server process ended with " + process.exitValue() + " before it was ready");
            }
            return http.ready();
        });
    }

    /** Copies the files under {@code from} to {@code to}, keeping any that are there already. */
    public static void copyTree(Path from, Path to) throws IOException {
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

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * What a node's directory holds: the workflows (the shipped examples unless left out, the test
     * workflows {@code test/echo} and {@code test/pipeline} unless left out, and any added) and a
     * configuration file ({@code mainstay.yaml}) generated from a provider and the adjustments
     * below, or given whole. Writing never overwrites a copied example, so a test may edit one
     * between two starts.
     */
    public static final class Setup {
        private final Path dir;
        private URI provider;
        private String lease = "2s";
        private String grace = "1s";
        private final Map<String, List<String>> routes = new LinkedHashMap<>();
        private final List<String> providerLines = new ArrayList<>();
        private final List<String> engineLines = new ArrayList<>();
        private final List<String> limitsLines = new ArrayList<>();
        private final List<String> sections = new ArrayList<>();
        private String config;
        private boolean examples = true;
        private boolean testWorkflows = true;
        private final Map<String, String> files = new LinkedHashMap<>();
        private final Map<String, String> env = new LinkedHashMap<>();

        private Setup(Path dir) {
            this.dir = dir;
        }

        /** The OpenAI-compatible provider {@code fake} that {@code primary} and {@code small} route to. */
        public Setup provider(URI openAiBaseUrl) {
            this.provider = openAiBaseUrl;
            return this;
        }

        public Setup lease(String duration) {
            this.lease = duration;
            return this;
        }

        public Setup grace(String duration) {
            this.grace = duration;
            return this;
        }

        /** Another route, e.g. {@code route("pair", "fake/model-a", "fake/model-b")}. */
        public Setup route(String name, String... targets) {
            routes.put(name, List.of(targets));
            return this;
        }

        /** A line under the provider {@code fake}, e.g. {@code concurrency: 3}. */
        public Setup providerOption(String line) {
            providerLines.add(line);
            return this;
        }

        /** A line under {@code engine:}, e.g. {@code max_in_flight: 4}. */
        public Setup engine(String line) {
            engineLines.add(line);
            return this;
        }

        /** A line under {@code limits:}, e.g. {@code accounts: { max_concurrent_jobs: 2 }}. */
        public Setup limits(String line) {
            limitsLines.add(line);
            return this;
        }

        /** A top-level section added to the configuration as written, e.g. {@code "server:\n  read_timeout: 2s\n"}. */
        public Setup section(String yaml) {
            sections.add(yaml);
            return this;
        }

        /** The whole configuration file, instead of the one generated from the provider and the adjustments. */
        public Setup config(String yaml) {
            this.config = yaml;
            return this;
        }

        /** Leaves out the shipped example workflows. */
        public Setup withoutExamples() {
            this.examples = false;
            return this;
        }

        /** Leaves out {@code test/echo}, {@code test/pipeline} and their prompt. */
        public Setup withoutTestWorkflows() {
            this.testWorkflows = false;
            return this;
        }

        /** The workflow {@code name} (written to {@code workflows/<name>.yaml}). */
        public Setup workflow(String name, String yaml) {
            return file(name + ".yaml", yaml);
        }

        /** Any file under the workflow directory, e.g. a prompt: {@code file("prompts/x.mustache", "…")}. */
        public Setup file(String path, String text) {
            files.put(path, text);
            return this;
        }

        public Setup env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Setup env(Map<String, String> more) {
            env.putAll(more);
            return this;
        }

        public Path dir() {
            return dir;
        }

        /** The node's environment: {@link TestNode#env} and what {@link #env} added. */
        public Map<String, String> environment() {
            Map<String, String> out = new HashMap<>(TestNode.env(dir));
            out.putAll(env);
            return out;
        }

        /** Writes the workflows and the configuration; returns the configuration file. */
        public Path write() {
            writeWorkflows();
            Path file = dir.resolve("mainstay.yaml");
            try {
                write(file, config != null ? config : generated());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return file;
        }

        /** Writes the workflows alone; returns their directory. */
        public Path writeWorkflows() {
            try {
                Path workflows = dir.resolve("workflows");
                Files.createDirectories(workflows.resolve("prompts"));
                if (examples) {
                    copyTree(examples(), workflows);
                }
                if (testWorkflows) {
                    write(workflows.resolve("test/echo.yaml"), ECHO);
                    write(workflows.resolve("test/pipeline.yaml"), PIPELINE);
                    write(workflows.resolve("prompts/echo.mustache"), ECHO_PROMPT);
                }
                for (Map.Entry<String, String> f : files.entrySet()) {
                    write(workflows.resolve(f.getKey()), f.getValue());
                }
                return workflows;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Writes the files and starts the node in this process, on the system clock. */
        public TestNode start() {
            return start(Clock.systemUTC());
        }

        public TestNode start(Clock clock) {
            Path file = write();
            return new TestNode(dir, MainstayServer.start(ServerConfig.load(Optional.of(file), environment()), clock));
        }

        /** Starts the node in this process with {@code tracer} for its jobs' spans, instead of what this process's {@code OTEL_*} variables say. */
        public TestNode start(Clock clock, dev.mainstay.tracing.JobTracer tracer) {
            Path file = write();
            return new TestNode(dir, MainstayServer.start(ServerConfig.load(Optional.of(file), environment()), clock, false, tracer));
        }

        /** Writes the files and starts the node as a process of its own on {@code port}; see {@link TestNode#launchProcess}. */
        public Process launch(int port, String log) throws IOException {
            return launchProcess(dir, write(), port, env, log);
        }

        private String generated() {
            if (provider == null) {
                throw new IllegalStateException("no provider for the generated configuration in " + dir + ": call provider(url) or config(yaml)");
            }
            StringBuilder out = new StringBuilder();
            out.append("providers:\n  fake:\n    kind: openai\n    base_url: ").append(provider).append("\n    max_tokens_field: max_tokens\n");
            providerLines.forEach(l -> out.append("    ").append(l).append('\n'));
            out.append("routes:\n  primary: [fake/gpt-4o-mini]\n  small: [fake/gpt-4o-mini]\n");
            routes.forEach((name, targets) -> out.append("  ").append(name).append(": [").append(String.join(", ", targets)).append("]\n"));
            out.append("""
                    prices:
                      # model-a, model-b and other test names; gpt-4o-mini keeps its shipped price
                      fake/*: { input: "1.00", output: "2.00" }
                    limits:
                      # Tests fail jobs on purpose; one test's failures must not cool down the next.
                      failure_cooldown: { failures: 0 }
                    """);
            limitsLines.forEach(l -> out.append("  ").append(l).append('\n'));
            out.append("""
                    engine:
                      # Tests share one fake target; a breaker tripping in one test must not change another.
                      circuit_breaker: { failures: 1000 }
                    """);
            out.append("  lease: ").append(lease).append("\n  shutdown_grace: ").append(grace).append('\n');
            engineLines.forEach(l -> out.append("  ").append(l).append('\n'));
            sections.forEach(s -> out.append(s.endsWith("\n") ? s : s + "\n"));
            return out.toString();
        }

        /** The repository's {@code examples/workflows}, found from the working directory (a module's or the root). */
        private static Path examples() {
            for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
                Path candidate = d.resolve("examples/workflows");
                if (Files.isDirectory(candidate)) {
                    return candidate;
                }
            }
            throw new IllegalStateException("no examples/workflows above " + Path.of("").toAbsolutePath());
        }

        private static void write(Path file, String text) throws IOException {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        }
    }
}
