package dev.mainstay.bench;

import dev.mainstay.server.testing.TestNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real server process ({@code server/target/mainstay-server.jar up}, with the launcher's JVM
 * flags) on a fresh SQLite file: start-to-ready time, idle RSS, then {@code wrk} against
 * {@code GET /health/live} (the HTTP baseline) and {@code POST /v1/bench/echo} (a durable submit).
 */
final class ApiBench {
    static final String KEY = TestNode.DEMO_KEY;
    private static final Duration WRK_TIME = Duration.ofSeconds(15);
    /** Load before each measured run, not counted: the JIT compiles the path under test first, as in a server that has served a while. */
    private static final Duration WRK_WARM_UP = Duration.ofSeconds(5);
    private static final int WARM_STARTS = 3;

    private ApiBench() {
    }

    /**
     * The launcher's JVM options for the server (server/src/main/jvm/server.options), then any in
     * {@code -Dmainstay.bench.server.options}, separated by commas, to measure others.
     */
    static List<String> serverOptions(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(root.resolve("server/src/main/jvm/server.options"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                out.add(line.strip());
            }
        }
        String more = System.getProperty("mainstay.bench.server.options", "").strip();
        if (!more.isEmpty()) {
            out.addAll(List.of(more.split("[,\\s]+")));
        }
        return out;
    }

    static String run(Path root) throws Exception {
        Path jar = root.resolve("server/target/mainstay-server.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the server first (./mainstay build): " + jar + " is missing");
        }
        String wrk = which("wrk");
        Path dir = Files.createTempDirectory("mainstay-bench-api");
        TestNode.Setup files = files(dir);
        Path config = files.write();
        int port = TestNode.freePort();
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "--sun-misc-unsafe-memory-access=allow"));
        List<String> options = serverOptions(root);
        cmd.addAll(options);
        // As the launcher does for `up`, with an archive of this run's own, so the first start is cold.
        Path archive = dir.resolve("mainstay-server.jsa");
        cmd.addAll(List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + archive, "-Xlog:cds*=off"));
        if (Runtime.version().feature() >= 24) {
            cmd.add("-Xlog:aot*=off");
        }
        cmd.addAll(List.of("-jar", jar.toString()));
        Path log = dir.resolve("server.log");
        HttpClient http = HttpClient.newHttpClient();
        URI base = URI.create("http://127.0.0.1:" + port);
        Table t = new Table("metric", "value");
        long t0 = System.nanoTime();
        Process server = TestNode.spawn(cmd, config, port, files.environment(), log);
        long coldMs = awaitReady(server, http, base, dir, t0);
        server.destroy(); // a graceful stop: the JVM writes the class archive as it exits
        server.waitFor();
        if (!Files.exists(archive)) {
            throw new IllegalStateException("the server wrote no class archive at " + archive + "; see " + dir.resolve("server.log"));
        }
        // Several starts with the archive, the median reported: one start on a shared machine is noisy.
        List<Long> warmMs = new ArrayList<>();
        for (int i = 0; i < WARM_STARTS; i++) {
            if (i > 0) {
                server.destroy();
                server.waitFor();
            }
            t0 = System.nanoTime();
            server = TestNode.spawn(cmd, config, port, files.environment(), log);
            warmMs.add(awaitReady(server, http, base, dir, t0));
        }
        long readyMs = warmMs.stream().sorted().toList().get(WARM_STARTS / 2);
        try {
            Thread.sleep(10_000);
            long idleRss = Proc.rssKb(server.pid());
            t.row("start to ready, first start (no class archive yet; written when it stops)", coldMs + " ms");
            t.row("start to ready with the class archive (median of " + WARM_STARTS + " starts: "
                    + String.join(", ", warmMs.stream().map(ms -> ms + " ms").toList()) + ")", readyMs + " ms");
            t.row("idle RSS (10 s after ready)", (idleRss >> 10) + " MB");
            wrk(wrk, dir, base + "/health/live", null, WRK_WARM_UP);
            Wrk health = wrk(wrk, dir, base + "/health/live", null, WRK_TIME);
            Path lua = dir.resolve("submit.lua");
            Files.writeString(lua, """
                    wrk.method = "POST"
                    wrk.headers["Authorization"] = "Bearer %s"
                    wrk.headers["Content-Type"] = "application/json"
                    counter = 0
                    request = function()
                      counter = counter + 1
                      return wrk.format(nil, nil, nil, '{"text":"benchmark job ' .. counter .. '"}')
                    end
                    """.formatted(KEY));
            wrk(wrk, dir, base + "/v1/bench/echo", lua, WRK_WARM_UP);
            Wrk submit = wrk(wrk, dir, base + "/v1/bench/echo", lua, WRK_TIME);
            long busyRss = Proc.rssKb(server.pid());
            t.row("GET /health/live (HTTP baseline)", Table.num(health.rps) + " req/s, p50 " + health.p50 + ", p99 " + health.p99);
            t.row("POST /v1/bench/echo (durable submit, 202)", Table.num(submit.rps) + " req/s, p50 " + submit.p50 + ", p99 " + submit.p99
                    + (submit.non2xx > 0 ? ", " + submit.non2xx + " non-2xx" : ""));
            t.row("submit / HTTP baseline", Table.pct(submit.rps / health.rps));
            t.row("RSS after the load", (busyRss >> 10) + " MB");
            System.err.printf("api: ready in %d ms, idle RSS %d MB, submit %.0f req/s (baseline %.0f)%n", readyMs, idleRss >> 10, submit.rps, health.rps);
        } finally {
            server.destroy();
            server.waitFor();
            EngineBenches.deleteTree(dir);
        }
        return "One server process with the launcher's JVM options for `up` (`" + String.join(" ", options) + " -XX:+AutoCreateSharedArchive`, "
                + "the class archive in the run's own directory) on a fresh SQLite file (synchronous=FULL) and the built-in demo model set to answer at once. "
                + "Start-to-ready is from process start to the first 200 from /health/ready: once without the class archive, which the JVM writes "
                + "when that server stops, then " + WARM_STARTS + " times with it; the last server is the one measured below. "
                + "`wrk -t2 -c32 -d" + WRK_TIME.toSeconds() + "s --latency` from the same machine, each after " + WRK_WARM_UP.toSeconds()
                + " s of the same load that is not counted, first against the health endpoint "
                + "(what the HTTP server alone can do), then against a workflow's submit endpoint with a Lua script that POSTs a JSON body; "
                + "the jobs submitted also run on the same two cores while wrk is loading the server.\n\n" + t.markdown();
    }

    /** Milliseconds from {@code t0} to the first 200 from /health/ready. */
    private static long awaitReady(Process server, HttpClient http, URI base, Path dir, long t0) throws Exception {
        while (!ready(http, base)) {
            if (!server.isAlive() || System.nanoTime() - t0 > Duration.ofSeconds(60).toNanos()) {
                server.destroyForcibly();
                throw new IllegalStateException("the server did not become ready; see " + dir.resolve("server.log") + ":\n" + Files.readString(dir.resolve("server.log")));
            }
            Thread.sleep(5);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    record Wrk(double rps, String p50, String p99, long non2xx) {
    }

    private static Wrk wrk(String wrk, Path dir, String url, Path lua, Duration time) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(wrk, "-t2", "-c32", "-d" + time.toSeconds() + "s", "--latency"));
        if (lua != null) {
            cmd.addAll(List.of("-s", lua.toString()));
        }
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        double rps = Double.parseDouble(find(out, "Requests/sec:\\s+([0-9.]+)", "0"));
        return new Wrk(rps, find(out, "\\s50%\\s+(\\S+)", "?"), find(out, "\\s99%\\s+(\\S+)", "?"),
                Long.parseLong(find(out, "Non-2xx or 3xx responses:\\s+(\\d+)", "0")));
    }

    private static String find(String text, String regex, String otherwise) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? m.group(1) : otherwise;
    }

    private static boolean ready(HttpClient http, URI base) {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("/health/ready")).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String which(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool).toString();
            }
        }
        throw new IllegalStateException(tool + " is not installed; ./mainstay bench installs it with apt-get when run as root");
    }

    /** The node's files: the bench workflow, and the demo model answering at once on route {@code bench}. */
    private static TestNode.Setup files(Path dir) {
        return Rig.files(dir).config("""
                providers:
                  demo: { kind: demo, latency: 0ms, fault_rate: 0 }
                routes:
                  bench: [demo/mainstay-demo-1]
                engine:
                  max_backlog: 10000000
                  max_account_backlog: 10000000
                limits:
                  failure_cooldown: { failures: 0 }
                """);
    }
}
