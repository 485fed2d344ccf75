package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./mainstay workflows validate} warns when a per-job budget cannot pay for one call at current prices. */
class ValidateBudgetWarningTest {
    @Test
    void aPerJobBudgetBelowOneCallsWorstCaseIsAWarningNotAnError(@TempDir Path dir) throws Exception {
        Path workflows = Files.createDirectories(dir.resolve("workflows/meetings"));
        Files.writeString(workflows.resolve("notes.mustache"), "Action items with owners:\n<transcript>\n{{input.transcript}}\n</transcript>\n");
        String workflow = """
                workflow: meetings/action-items
                version: 1
                input: { type: object, required: [transcript], properties: { transcript: { type: string } } }
                stages:
                  - id: extract
                    model: { prompt: notes.mustache, route: [primary], max_output_tokens: 600 }
                    output:
                      schema: { type: object, required: [items], properties: { items: { type: array, items: { type: string } } } }
                limits: { cost_per_job_usd: "%s" }
                fallback: [review]
                """;
        Files.writeString(workflows.resolve("action-items.yaml"), workflow.formatted("0.0001"));
        Path config = dir.resolve("mainstay.yaml");
        Files.writeString(config, """
                providers:
                  fake: { kind: openai, base_url: "http://127.0.0.1:9/v1" }
                routes:
                  primary: [fake/gpt-4o-mini]
                  small: [fake/gpt-4o-mini]
                """);

        Cli.Run r = Cli.run("workflows", "validate", dir.resolve("workflows").toString(), "--config", config.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("ok  meetings/action-items")
                .containsPattern("    warning: .*action-items\\.yaml: limits\\.cost_per_job_usd \\$0\\.000100 is below \\$0\\.000\\d{3}, the least one call of stage 'extract' reserves "
                        + "\\(fake/gpt-4o-mini: smallest prompt \\d+ tokens \\+ max_output_tokens 600 at current prices\\): no job of this version can call a model")
                .contains("1 workflow(s) valid");

        Files.writeString(workflows.resolve("action-items.yaml"), workflow.formatted("0.01"));
        Cli.Run fits = Cli.run("workflows", "validate", dir.resolve("workflows").toString(), "--config", config.toString());
        assertThat(fits.code()).isZero();
        assertThat(fits.out()).doesNotContain("warning");
    }
}
