package dev.mainstay.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ./mainstay fake-provider}, which the launcher runs from the testkit's jar. */
class FakeProviderCommandTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = FakeProviderCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpShowsTheCommandAsTheLauncherNamesIt() {
        Run r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: mainstay fake-provider", "--port", "--script", "docs/testkit.md");
    }

    @Test
    void helpFitsEightyColumns() {
        Run r = run("--help");
        assertThat(r.out().lines().toList()).isNotEmpty().allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(80));
        // A line that starts with '/' or ':' continues a path or URL the previous line broke.
        assertThat(r.out().lines().toList()).noneSatisfy(l -> assertThat(l.strip()).matches("[/:@].*"));
    }

    @Test
    void theBannerSaysWhatFollowsTheScriptedSteps() {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            String banner = FakeProviderCommand.banner(fake, FaultScript.always(Fault.status(503)));
            assertThat(banner).startsWith("fake provider listening on " + fake.baseUrl() + " (0 scripted steps, then status 503)\n")
                    .contains("  kind: anthropic  base_url " + fake.anthropicBaseUrl());
        }
    }

    @Test
    void aBrokenScriptIsRefusedNamingFileAndFieldWithoutAStackTrace(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("faults.yaml");
        Files.writeString(script, "steps:\n  - { fault: sometimes }\n");
        Run r = run("--port", "0", "--script", script.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("mainstay: ").contains("faults.yaml").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aPortInUseIsRefusedWithoutAStackTrace() {
        try (FakeProvider taken = FakeProvider.start(FaultScript.none())) {
            Run r = run("--port", Integer.toString(taken.port()));
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("cannot listen on 127.0.0.1:" + taken.port()).doesNotContain("\tat ");
        }
    }
}
