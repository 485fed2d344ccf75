package dev.mainstay.server.openapi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The npm tools the OpenAPI tests run (src/test/clients): installed from its package.json and
 * lock file on first use, then run as real processes.
 */
final class NodeTools {
    static final Path DIR = Path.of("src/test/clients").toAbsolutePath();

    /** What a process printed and how it ended. */
    record Run(int exit, String output) {
    }

    private NodeTools() {
    }

    /** Installs the tools unless they are there already. */
    static synchronized void install() throws IOException, InterruptedException {
        if (Files.isExecutable(DIR.resolve("node_modules/.bin/redocly")) && Files.isExecutable(DIR.resolve("node_modules/.bin/tsc"))) {
            return;
        }
        Run run = run(List.of("npm", "ci", "--no-audit", "--no-fund"), 600);
        if (run.exit() != 0) {
            throw new IllegalStateException("npm ci in " + DIR + " failed with exit " + run.exit() + ":\n" + run.output());
        }
    }

    /** Runs an installed tool ({@code node_modules/.bin/<name>}) with {@code args} in the tools' directory. */
    static Run tool(String name, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(DIR.resolve("node_modules/.bin/" + name).toString());
        command.addAll(List.of(args));
        return run(command, 300);
    }

    static Run run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile("mainstay-node", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not end within " + timeoutSeconds + " s:\n" + Files.readString(log));
            }
            return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
