package dev.mainstay.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Cli.Run;
import dev.mainstay.server.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every command answers --help, and validation failures name file, line and field without a stack trace. */
class CliTest {
    @ParameterizedTest
    @ValueSource(strings = {"", "up", "workflows", "workflows validate", "audit", "audit verify"})
    void everyCommandHasHelp(String command) {
        String[] args = (command.isEmpty() ? "--help" : command + " --help").split(" ");
        Run r = Cli.run(args);
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: mainstay");
    }

    @Test
    void validateAcceptsTheShippedExamples() {
        Run r = Cli.run("workflows", "validate", Path.of("..", "examples", "workflows").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("briefs/extract-key-points", "support/draft-response", "leads/classify", "3 workflow(s) valid");
    }

    @Test
    void validateNamesFileLineAndFieldOfABrokenWorkflow(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.yaml"), """
                workflow: demo/bad
                version: 1
                latency: sometimes
                input: { type: object }
                stages: []
                """);
        Run r = Cli.run("workflows", "validate", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("bad.yaml:3: latency: must be one of instant, wait, async; got 'sometimes'");
        assertThat(r.err()).doesNotContain("Exception");
    }

    @Test
    void unknownOptionIsAUsageError() {
        Run r = Cli.run("up", "--no-such-option");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown option");
    }

    @Test
    void upOnAnUnreachableDatabaseFailsFastNamingItWithoutThePassword(@TempDir Path dir) {
        long started = System.nanoTime();
        Run r = Cli.run("up", "--db", "postgresql://mainstay:hunter2secret@127.0.0.1:1/mainstay", "--data-dir", dir.toString(),
                "--workflows", Path.of("..", "examples", "workflows").toString(), "--port", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("mainstay: cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/mainstay as mainstay")
                .doesNotContain("hunter2secret");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).as("gives up within the connect timeout").isLessThan(java.time.Duration.ofSeconds(30));
    }

    @Test
    void upWithAMalformedDatabaseUrlSaysWhatItExpects() {
        Run r = Cli.run("up", "--db", "mysql://root@localhost/mainstay");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("mainstay: MAINSTAY_DB_URL (or --db): must start with postgresql://").doesNotContain("Exception");
    }
}
