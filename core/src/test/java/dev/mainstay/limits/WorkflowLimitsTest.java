package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.access.WorkflowAccess;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowLoader;
import dev.mainstay.workflow.YamlDocument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code limits:} and {@code eligibility:} of a workflow file. {@code eligibility.roles} is read
 * by the workflow's access rules ({@link WorkflowAccess}), the one check of a key's roles.
 */
class WorkflowLimitsTest {
    private static final String FILE = "workflows/support/draft.yaml";

    /** The lines before the blocks under test; those start on line 3. */
    private static final List<String> HEAD = List.of(
            "workflow: support/draft-response",   // 1
            "version: 2");                        // 2

    /** The limits, read as the workflow loader reads them: its access rules too, which take {@code eligibility.roles}. */
    private static WorkflowLimits parse(String... lines) {
        YamlDocument doc = document(lines);
        WorkflowLimits limits = WorkflowLimits.parse(doc);
        WorkflowAccess.parse(doc);
        return limits;
    }

    private static WorkflowAccess access(String... lines) {
        YamlDocument doc = document(lines);
        WorkflowLimits.parse(doc);
        return WorkflowAccess.parse(doc);
    }

    private static YamlDocument document(String... lines) {
        List<String> all = new ArrayList<>(HEAD);
        all.addAll(List.of(lines));
        return YamlDocument.parse(String.join("\n", all) + "\n", FILE);
    }

    @Test
    void readsEveryLimitAndEligibility() {
        WorkflowLimits l = parse(
                "limits:",
                "  requests_per_minute: 60",
                "  tokens_per_day: 500000",
                "  cost_per_month_usd: \"40.00\"",
                "  cost_per_job_usd: \"0.05\"",
                "eligibility:",
                "  plans: [pro, enterprise]",
                "  roles: [support_agent]");
        assertThat(l.perAccount()).isEqualTo(new AccountLimits(60L, 500_000L, 40_000_000L, null));
        assertThat(l.costPerJobMicros()).isEqualTo(50_000L);
        assertThat(l.plans()).containsExactlyInAnyOrder("pro", "enterprise");
        assertThat(access("eligibility:", "  plans: [pro, enterprise]", "  roles: [support_agent]").run()).containsExactly("support_agent");
    }

    @Test
    void withoutEitherBlockThereIsNoLimitAndEveryoneIsEligible() {
        assertThat(parse("description: no limits here")).isEqualTo(WorkflowLimits.NONE);
    }

    @Test
    void eachLimitIsOptional() {
        WorkflowLimits l = parse("limits:", "  cost_per_job_usd: \"0.000001\"");
        assertThat(l.perAccount()).isEqualTo(AccountLimits.NONE);
        assertThat(l.costPerJobMicros()).isEqualTo(1L);
        assertThat(l.plans()).isEmpty();
        assertThat(access("limits:", "  cost_per_job_usd: \"0.000001\"").run()).isEmpty();
        assertThat(parse("limits:", "  tokens_per_day: 0").perAccount()).isEqualTo(new AccountLimits(null, 0L, null, null));
    }

    @Test
    void moneyQuotedInSingleQuotesOrWithoutDecimalsIsExact() {
        WorkflowLimits l = parse("limits:", "  cost_per_month_usd: '40'", "  cost_per_job_usd: \"0.1\"");
        assertThat(l.perAccount().costPerMonthMicros()).isEqualTo(40_000_000L);
        assertThat(l.costPerJobMicros()).isEqualTo(100_000L);
    }

    @Test
    void eligibilityTakesOneNameOrAList() {
        WorkflowLimits l = parse("eligibility:", "  plans: enterprise");
        assertThat(l.plans()).containsExactly("enterprise");
        assertThat(access("eligibility:", "  plans: enterprise").run()).isEmpty();
        assertThat(access("eligibility:", "  roles:", "    - analyst", "    - agent").run()).containsExactlyInAnyOrder("analyst", "agent");
    }

    @Test
    void emptyBlocksMeanNothing() {
        assertThat(parse("limits:", "eligibility:")).isEqualTo(WorkflowLimits.NONE);
        assertThat(parse("limits: {}", "eligibility: {}")).isEqualTo(WorkflowLimits.NONE);
    }

    static Stream<Arguments> brokenBlocks() {
        return Stream.of(
                Arguments.of("job budget as a number", List.of("limits:", "  cost_per_job_usd: 0.05"), 4, "limits.cost_per_job_usd",
                        "must be a quoted decimal string of US dollars"),
                Arguments.of("month budget as a whole number", List.of("limits:", "  cost_per_month_usd: 40"), 4, "limits.cost_per_month_usd",
                        "must be a quoted decimal string of US dollars"),
                Arguments.of("negative budget", List.of("limits:", "  requests_per_minute: 5", "  cost_per_job_usd: \"-0.05\""), 5,
                        "limits.cost_per_job_usd", "cannot be negative"),
                Arguments.of("budget finer than a micro-dollar", List.of("limits:", "  cost_per_month_usd: \"0.0000001\""), 4,
                        "limits.cost_per_month_usd", "more than six decimal places"),
                Arguments.of("budget that is not a number", List.of("limits:", "  cost_per_month_usd: \"forty\""), 4,
                        "limits.cost_per_month_usd", "is not a decimal number of US dollars"),
                Arguments.of("concurrency at workflow level", List.of("limits:", "  tokens_per_day: 10", "  max_concurrent_jobs: 4"), 5,
                        "limits.max_concurrent_jobs", "is set per account"),
                Arguments.of("unknown limit", List.of("limits:", "  cost_per_day_usd: \"1.00\""), 4, "limits.cost_per_day_usd",
                        "unknown field (allowed here: requests_per_minute, tokens_per_day, cost_per_month_usd, cost_per_job_usd, max_concurrent_jobs)"),
                Arguments.of("rate of zero", List.of("limits:", "  requests_per_minute: 0"), 4, "limits.requests_per_minute", "must be between 1 and"),
                Arguments.of("rate as text", List.of("limits:", "  requests_per_minute: fast"), 4, "limits.requests_per_minute", "must be a whole number"),
                Arguments.of("fractional tokens", List.of("limits:", "  tokens_per_day: 1.5"), 4, "limits.tokens_per_day", "must be a whole number"),
                Arguments.of("negative tokens", List.of("limits:", "  tokens_per_day: -1"), 4, "limits.tokens_per_day", "must be between 0 and"),
                Arguments.of("limits as a list", List.of("limits: [cost_per_job_usd]"), 3, "limits", "must be a mapping, got a list"),
                Arguments.of("limits as text", List.of("limits: cheap"), 3, "limits", "must be a mapping"),
                Arguments.of("unknown eligibility rule", List.of("eligibility:", "  plans: [pro]", "  tiers: [gold]"), 5, "eligibility.tiers",
                        "unknown field (allowed here: plans, roles)"),
                Arguments.of("plans as a mapping", List.of("eligibility:", "  plans: { pro: true }"), 4, "eligibility.plans", "must be a list of strings"),
                Arguments.of("a role that is a list", List.of("eligibility:", "  roles:", "    - [agent]"), 5, "eligibility.roles[0]", "must be a string"),
                Arguments.of("eligibility as a list", List.of("eligibility: [pro]"), 3, "eligibility", "must be a mapping, got a list"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenBlocks")
    void aBrokenBlockNamesFileLineAndField(String name, List<String> lines, int line, String field, String problem) {
        assertThatThrownBy(() -> parse(lines.toArray(String[]::new)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(FILE + ":" + line + ": " + field + ": ")
                .hasMessageContaining(problem);
    }

    // ---- through the workflow loader -----------------------------------------------------------

    @TempDir
    Path dir;

    private Path workflow(String... extra) throws IOException {
        Files.writeString(dir.resolve("prompt.mustache"), "Draft a reply to: {{input.text}}\n");
        List<String> lines = new ArrayList<>(List.of(
                "workflow: support/draft-response",                 // 1
                "version: 2",                                       // 2
                "input:",                                           // 3
                "  type: object",                                   // 4
                "  properties: { text: { type: string } }",         // 5
                "stages:",                                          // 6
                "  - id: draft",                                    // 7
                "    model: { prompt: prompt.mustache, route: [primary] }", // 8
                "    output: { schema: { type: object } }"));       // 9
        lines.addAll(List.of(extra));                               // from 10
        Path file = dir.resolve("draft.yaml");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    @Test
    void aLoadedWorkflowCarriesItsLimits() throws IOException {
        WorkflowDefinition d = WorkflowLoader.loadFile(workflow(
                "limits:",
                "  requests_per_minute: 60",
                "  cost_per_job_usd: \"0.05\"",
                "eligibility:",
                "  roles: [support_agent]"), dir, Set.of("primary"));
        assertThat(d.limits()).isEqualTo(new WorkflowLimits(new AccountLimits(60L, null, null, null), 50_000L, Set.of()));
        assertThat(d.access().run()).containsExactly("support_agent");
        assertThat(WorkflowLoader.loadFile(workflow(), dir, Set.of("primary")).limits()).isEqualTo(WorkflowLimits.NONE);
    }

    @Test
    void aLoadedWorkflowWithAFloatBudgetFailsNamingTheFileLineAndField() throws IOException {
        Path file = workflow("limits:", "  cost_per_job_usd: 0.05");
        assertThatThrownBy(() -> WorkflowLoader.loadFile(file, dir, Set.of("primary")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file.toAbsolutePath().normalize() + ":11: limits.cost_per_job_usd: ")
                .hasMessageContaining("money is never a float");
    }

    @Test
    void aStoredWorkflowKeepsItsLimits() throws IOException {
        WorkflowDefinition d = WorkflowLoader.loadFile(workflow("limits:", "  tokens_per_day: 1000", "eligibility:", "  plans: [pro]"), dir, Set.of("primary"));
        WorkflowDefinition stored = WorkflowDefinition.fromStored(dev.mainstay.Json.write(d.document()), "stored support/draft-response@2");
        assertThat(stored.limits()).isEqualTo(d.limits());
    }
}
