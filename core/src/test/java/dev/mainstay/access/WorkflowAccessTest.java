package dev.mainstay.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.limits.WorkflowLimits;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.YamlDocument;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A key's roles are checked once, by the workflow's {@code access.run}: {@code eligibility.roles},
 * the older spelling, is read as {@code access.run}, and a workflow may not give both.
 */
class WorkflowAccessTest {
    private static final String FILE = "workflows/sales/score.yaml";
    private static final Principal RUNNER = new Principal("acct", "key_r", Set.of("sales_ops"), false);
    private static final Principal OTHER = new Principal("acct", "key_o", Set.of("member"), false);

    /** Lines 1 and 2 are the head; the blocks under test start on line 3. */
    private static WorkflowAccess parse(String... lines) {
        YamlDocument doc = YamlDocument.parse("workflow: sales/score\nversion: 1\n" + String.join("\n", lines) + "\n", FILE);
        WorkflowLimits.parse(doc); // the loader reads the eligibility block first
        return WorkflowAccess.parse(doc);
    }

    @Test
    void eligibilityRolesAreReadAsTheRolesThatMayRun() {
        WorkflowAccess access = parse("eligibility:", "  plans: [pro]", "  roles: [sales_ops]");
        assertThat(access).isEqualTo(new WorkflowAccess(Set.of("sales_ops"), Set.of()));
        assertThat(access.mayRun(RUNNER)).isTrue();
        assertThat(access.mayRun(OTHER)).isFalse();
        assertThat(access.mayRead(OTHER)).as("reading stays open").isTrue();
    }

    @Test
    void eligibilityRolesGoWithAnAccessThatOnlyRestrictsReading() {
        assertThat(parse("eligibility: { roles: sales_ops }", "access: { read: [auditor] }"))
                .isEqualTo(new WorkflowAccess(Set.of("sales_ops"), Set.of("auditor")));
    }

    @Test
    void anEmptyEligibilityRoleListRestrictsNothingAsBefore() {
        assertThat(parse("eligibility: { roles: [] }")).isEqualTo(WorkflowAccess.ANY);
        assertThat(parse("eligibility: { roles: [] }", "access: { run: [member] }")).isEqualTo(new WorkflowAccess(Set.of("member"), Set.of()));
    }

    @Test
    void bothListsAreRefusedNamingTheOlderOne() {
        assertThatThrownBy(() -> parse("eligibility:", "  roles: [sales_ops]", "access:", "  run: [member]"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(FILE + ":4: eligibility.roles: ")
                .hasMessageContaining("is the older spelling of access.run, and access.run is given too; keep the roles in access.run alone");
    }

    @Test
    void aRoleThatIsNotAStringNamesItsField() {
        assertThatThrownBy(() -> parse("eligibility:", "  roles:", "    - [agent]"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(FILE + ":5: eligibility.roles[0]: ")
                .hasMessageContaining("must be a string");
    }

    @Test
    void aStoredDefinitionKeepsTheRolesAsAccess() {
        WorkflowDefinition d = WorkflowDefinition.parse(YamlDocument.parse(String.join("\n", List.of(
                "workflow: sales/score",
                "version: 1",
                "eligibility: { roles: [sales_ops] }",
                "input: { type: object, properties: { text: { type: string } } }",
                "stages:",
                "  - id: score",
                "    model: { prompt: p.mustache, route: [primary] }",
                "    output: { schema: { type: object } }")) + "\n", FILE), (pointer, name) -> "Score: {{input.text}}", Set.of());
        WorkflowDefinition stored = WorkflowDefinition.fromStored(Json.write(d.document()), "stored sales/score@1");
        assertThat(d.access().run()).containsExactly("sales_ops");
        assertThat(stored.access()).isEqualTo(d.access());
    }
}
