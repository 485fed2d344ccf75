package dev.mainstay.server.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's {@code promtool} (package {@code prometheus}; {@code ./mainstay test} installs it
 * when missing), the checker Prometheus itself ships, on what Mainstay writes.
 */
public final class Promtool {
    /** What promtool printed and how it exited. */
    public record Result(int exitCode, String output) {
    }

    private Promtool() {
    }

    public static Path binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("promtool is not installed: install Debian's prometheus package (apt-get install prometheus); "
                + "./mainstay test does so when it runs as root");
    }

    /** {@code promtool check metrics}, reading {@code exposition} on its standard input. */
    public static Result checkMetrics(String exposition) throws IOException, InterruptedException {
        return run(exposition, "check", "metrics");
    }

    /** {@code promtool check rules FILE...}. */
    public static Result checkRules(List<Path> files) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("check", "rules"));
        files.forEach(f -> args.add(f.toString()));
        return run("", args.toArray(String[]::new));
    }

    private static Result run(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool " + String.join(" ", args) + " did not finish within 60 s");
        }
        return new Result(p.exitValue(), out);
    }
}
