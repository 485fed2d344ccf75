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

    @ParameterizedTest
    @ValueSource(strings = {"", "up", "workflows", "workflows validate", "audit verify"})
    void helpFitsEightyColumnsAndSplitsNoPathOrUrl(String command) {
        String[] args = (command.isEmpty() ? "--help" : command + " --help").split(" ");
        Run r = Cli.run(args);
        assertThat(r.out()).contains("Usage: mainstay");
        java.util.List<String> lines = r.out().lines().toList();
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(80));
        // A line that starts with '/' or ':' continues a path or URL the previous line broke.
        assertThat(lines).noneSatisfy(l -> assertThat(l.strip()).matches("[/:@].*"));
        for (String whole : java.util.List.of("examples/workflows", "postgresql://user:password@host:port/database", "$MAINSTAY_CONFIG", "$MAINSTAY_DB_URL")) {
            if (r.out().replaceAll("\\s+", "").contains(whole)) {
                assertThat(lines).as(whole).anySatisfy(l -> assertThat(l).contains(whole));
            }
        }
    }

    @Test
    void validateReadsSeveralDirectoriesAndWarnsAboutFilesThatAreNotWorkflows(@TempDir Path dir) throws Exception {
        Path mine = Files.createDirectories(dir.resolve("mine/meetings"));
        Files.writeString(mine.resolve("notes.yaml"), """
                workflow: meetings/notes
                version: 1
                input: { type: object, required: [text], properties: { text: { type: string } } }
                stages:
                  - id: only
                    model: { prompt: notes.mustache, route: [primary] }
                    output: { schema: { type: object, properties: { summary: { type: string } } } }
                """);
        Files.writeString(mine.resolve("notes.mustache"), "<text>{{input.text}}</text>");
        Files.writeString(dir.resolve("mine/mainstay.yaml"), "routes:\n  primary: [demo/mainstay-demo-1]\n");
        Run r = Cli.run("workflows", "validate", Path.of("..", "examples", "workflows").toString(), dir.resolve("mine").toString(),
                "--data-dir", dir.resolve("var").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("briefs/extract-key-points", "meetings/notes", "4 workflow(s) valid in ");
        assertThat(r.err()).contains("mainstay: warning: ").contains("mine/mainstay.yaml: not a workflow (no 'workflow:' key at the top level); ignored");
    }

    @Test
    void validateNeedsNoNetworkForToolHostsButResolvesThemWhenAsked(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("mainstay.yaml");
        Files.writeString(config, "tools:\n  crm:\n    base_url: https://crm.example.invalid/api\n");
        String[] args = {"workflows", "validate", Path.of("..", "examples", "workflows").toString(), "--config", config.toString(), "--data-dir", dir.toString()};
        Run offline = Cli.run(args);
        assertThat(offline.code()).as(offline.err()).isZero();
        String[] resolving = java.util.Arrays.copyOf(args, args.length + 1);
        resolving[args.length] = "--resolve";
        Run online = Cli.run(resolving);
        assertThat(online.code()).isEqualTo(2);
        assertThat(online.err()).isEqualTo("mainstay: tools.crm.base_url: the host 'crm.example.invalid' does not resolve" + System.lineSeparator());
    }

    @Test
    void aPromptTypoFailsValidateAndTheStartNamingThePromptLineAndTheNearestName(@TempDir Path dir) throws Exception {
        Path w = Files.createDirectories(dir.resolve("workflows"));
        Files.writeString(w.resolve("action-items.yaml"), """
                workflow: meetings/action-items
                version: 1
                input: { type: object, required: [transcript], properties: { transcript: { type: string } } }
                stages:
                  - id: extract
                    model: { prompt: action-items.mustache, route: [primary] }
                    output: { schema: { type: object, properties: { items: { type: array, items: { type: string } } } } }
                """);
        Files.writeString(w.resolve("action-items.mustache"), "List the action items.\n<transcript>\n{{input.transcrip}}\n</transcript>\n");
        String expected = "action-items.mustache:3: {{input.transcrip}}: input has no property 'transcrip' in its schema (properties: transcript); did you mean input.transcript?";
        Run validate = Cli.run("workflows", "validate", w.toString(), "--data-dir", dir.resolve("var").toString());
        assertThat(validate.code()).isEqualTo(2);
        assertThat(validate.err()).startsWith("mainstay: ").contains(expected).contains("action-items.yaml:6");
        Run up = Cli.run("up", "--workflows", w.toString(), "--data-dir", dir.resolve("var").toString(), "--port", "0");
        assertThat(up.code()).isEqualTo(2);
        assertThat(up.err()).contains(expected).doesNotContain("Exception");
    }

    @Test
    void validateStillPassesWhenTheDatabaseToCompareWithCannotBeReached(@TempDir Path dir) {
        Run r = Cli.run("workflows", "validate", Path.of("..", "examples", "workflows").toString(), "--db", "postgresql://mainstay:pw@127.0.0.1:1/mainstay");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("3 workflow(s) valid in ").contains("registered versions not compared: cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/mainstay");
    }
}
