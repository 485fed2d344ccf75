package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.GatedWorkflow.NAME;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.GatedWorkflow;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The activation gate end to end over HTTP on one node and its SQLite file, with the fake provider
 * answering each version from its own prompt: a worse version is refused (the old one keeps
 * serving, the audit log says why and the comparison names the regressed cases), a better one
 * activates by itself, an operator rolls back with a reason, and every node start reads which
 * version serves from the database.
 */
class ActivationGateTest {
    @TempDir
    Path dir;

    private TestNode start(FakeProvider fake) {
        return TestNode.in(dir).provider(fake.baseUrl()).withoutExamples().start();
    }

    @Test
    void aWorseVersionIsRefusedABetterOneActivatesAndAnOperatorRollsBack() throws Exception {
        Path workflows = dir.resolve("workflows");
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            GatedWorkflow.write(workflows, 1, GatedWorkflow.GOOD);
            try (TestNode node = start(fake)) {
                JsonNode view = GatedWorkflow.view(node.http);
                assertThat(view.path("active_version").asInt()).as(view.toString()).isEqualTo(1);
                assertThat(GatedWorkflow.version(view, 1).path("state").asString()).isEqualTo("active");
                assertThat(GatedWorkflow.version(view, 1).path("gate").isNull()).as("the first version has nothing to be gated against").isTrue();
            }

            // A worse version: its prompt dropped the note, so its answers miss what each note said.
            GatedWorkflow.write(workflows, 2, GatedWorkflow.WORSE);
            try (TestNode node = start(fake)) {
                assertThat(GatedWorkflow.version(GatedWorkflow.view(node.http), 2).path("state").asString()).isEqualTo("candidate");
                assertThat(GatedWorkflow.submittedVersion(node.http)).as("a candidate serves no live traffic").isEqualTo(1);
                JsonNode gate = GatedWorkflow.awaitDecision(node.http, 2);
                assertThat(gate.path("decision").asString()).as(gate.toString()).isEqualTo("refused");
                assertThat(gate.path("baseline_version").asInt()).isEqualTo(1);
                assertThat(gate.path("quality").asDouble()).isEqualTo(0.625);
                assertThat(gate.path("baseline_quality").asDouble()).isEqualTo(1.0);
                assertThat(strings(gate.path("regressed"))).containsExactly(GatedWorkflow.NOTE_CASES);
                assertThat(gate.path("reason").asString()).contains("below min_score 0.9").contains("regressed: budget, hiring, launch");

                JsonNode view = GatedWorkflow.view(node.http);
                assertThat(view.path("active_version").asInt()).isEqualTo(1);
                assertThat(GatedWorkflow.version(view, 2).path("state").asString()).isEqualTo("candidate");
                assertThat(GatedWorkflow.version(view, 2).path("last_runs").get(0).path("run").asString()).isEqualTo(gate.path("run").asString());
                assertThat(GatedWorkflow.submittedVersion(node.http)).as("the refused candidate serves nothing").isEqualTo(1);
                // An operator still tries the candidate out explicitly.
                Http.Response tryOut = node.http.post("/v1/" + NAME + "?version=2", TestNode.ADMIN_KEY, "{\"text\": \"A note.\"}");
                assertThat(tryOut.status()).as(tryOut.text()).isEqualTo(202);
                assertThat(tryOut.json().path("workflow_version").asInt()).isEqualTo(2);

                JsonNode refused = only(node.http, "workflow.activation_refused");
                assertThat(refused.path("actor").asString()).isEqualTo("system:activation");
                assertThat(refused.path("subject").asString()).isEqualTo(NAME);
                assertThat(refused.path("details").path("run").asString()).isEqualTo(gate.path("run").asString());
                assertThat(refused.path("details").path("version").asInt()).isEqualTo(2);
                assertThat(refused.path("details").path("quality").asDouble()).isEqualTo(0.625);
                assertThat(strings(refused.path("details").path("regressed"))).containsExactly(GatedWorkflow.NOTE_CASES);
                assertThat(refused.path("details").path("reason").asString()).isEqualTo(gate.path("reason").asString());

                Http.Response cmp = node.http.get("/v1/admin/evals/runs/" + gate.path("baseline_run").asString() + "/compare/" + gate.path("run").asString(),
                        TestNode.ADMIN_KEY);
                assertThat(cmp.status()).as(cmp.text()).isEqualTo(200);
                assertThat(strings(cmp.json().path("regressed"))).containsExactly(GatedWorkflow.NOTE_CASES);
            }

            // A better version activates by itself, compared with the version serving (v1, whose run the gate reuses).
            GatedWorkflow.write(workflows, 3, GatedWorkflow.BETTER);
            try (TestNode node = start(fake)) {
                JsonNode gate = GatedWorkflow.awaitDecision(node.http, 3);
                assertThat(gate.path("decision").asString()).as(gate.toString()).isEqualTo("activated");
                assertThat(gate.path("quality").asDouble()).isEqualTo(1.0);
                assertThat(gate.path("regression").asDouble()).isEqualTo(0.0);
                assertThat(gate.path("regressed")).isEmpty();
                JsonNode view = GatedWorkflow.view(node.http);
                assertThat(view.path("active_version").asInt()).isEqualTo(3);
                assertThat(view.path("activated_by").asString()).isEqualTo("system:activation");
                assertThat(GatedWorkflow.version(view, 1).path("state").asString()).isEqualTo("retired");
                assertThat(GatedWorkflow.version(view, 2).path("state").asString()).isEqualTo("retired");
                assertThat(GatedWorkflow.version(view, 3).path("state").asString()).isEqualTo("active");
                assertThat(GatedWorkflow.submittedVersion(node.http)).isEqualTo(3);
                JsonNode activated = last(node.http, "workflow.activated");
                assertThat(activated.path("actor").asString()).isEqualTo("system:activation");
                assertThat(activated.path("details").path("run").asString()).isEqualTo(gate.path("run").asString());
                assertThat(activated.path("details").path("version").asInt()).isEqualTo(3);
                assertThat(activated.path("details").path("previous_version").asInt()).isEqualTo(1);
                assertThat(activated.path("details").path("quality").asDouble()).isEqualTo(1.0);

                // An operator rolls back, with a reason.
                Http.Response back = node.http.post("/v1/admin/workflows/" + NAME + "/versions/1/activate", TestNode.ADMIN_KEY,
                        "{\"reason\": \"v3 answers too briefly for the support team\"}");
                assertThat(back.status()).as(back.text()).isEqualTo(200);
                assertThat(back.json().path("active_version").asInt()).isEqualTo(1);
                assertThat(back.json().path("previous_version").asInt()).isEqualTo(3);
                assertThat(GatedWorkflow.submittedVersion(node.http)).isEqualTo(1);
                JsonNode rollback = last(node.http, "workflow.activated");
                assertThat(rollback.path("actor").asString()).startsWith("key:key_");
                assertThat(rollback.path("details").path("reason").asString()).isEqualTo("v3 answers too briefly for the support team");
                assertThat(rollback.path("details").path("kind").asString()).isEqualTo("rollback");
                assertThat(rollback.path("details").path("previous_version").asInt()).isEqualTo(3);
            }

            // The rollback is on record: a restart serves v1, and opens no gate for versions that were active once.
            try (TestNode node = start(fake)) {
                JsonNode view = GatedWorkflow.view(node.http);
                assertThat(view.path("active_version").asInt()).isEqualTo(1);
                assertThat(GatedWorkflow.version(view, 3).path("state").asString()).isEqualTo("retired");
                assertThat(GatedWorkflow.submittedVersion(node.http)).isEqualTo(1);
                // Promoting again, explicitly.
                Http.Response forward = node.http.post("/v1/admin/workflows/" + NAME + "/versions/3/activate", TestNode.ADMIN_KEY, "{\"reason\": \"fixed downstream\"}");
                assertThat(forward.status()).as(forward.text()).isEqualTo(200);
                assertThat(last(node.http, "workflow.activated").path("details").path("kind").asString()).isEqualTo("promotion");
                assertThat(GatedWorkflow.submittedVersion(node.http)).isEqualTo(3);
            }
        }
    }

    @Test
    void evalRunGateExitsNonZeroWhenTheCandidatesStoredGateRefusesIt() throws Exception {
        Path workflows = dir.resolve("workflows");
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            GatedWorkflow.write(workflows, 1, GatedWorkflow.GOOD);
            Path config = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples().withoutTestWorkflows().write();
            String[] common = {"--config", config.toString(), "--data-dir", dir.resolve("var").toString(), "--workflows", workflows.toString()};
            Cli.Run first = cli(common);
            assertThat(first.code()).as(first.out() + first.err()).isZero();
            assertThat(first.out()).doesNotContain("gate  ");

            GatedWorkflow.write(workflows, 2, GatedWorkflow.WORSE);
            Cli.Run worse = cli(common);
            assertThat(worse.code()).as(worse.out() + worse.err()).isEqualTo(1);
            assertThat(worse.out()).as("the version serving passes its suite").containsPattern("notes/summary +1  notes-summary +4 +4 +1\\.000 +0\\.90  pass");
            assertThat(worse.out()).contains("gate  notes/summary v2 refused", "regressed: budget, hiring, launch");
            // The refusal is on record: the next run reports it again, without a new gate run.
            Cli.Run again = cli(common);
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.out()).contains("gate  notes/summary v2 refused");

            GatedWorkflow.write(workflows, 3, GatedWorkflow.BETTER);
            Cli.Run better = cli(common);
            assertThat(better.code()).as(better.out() + better.err()).isZero();
            assertThat(better.out()).contains("gate  notes/summary v3 activated");
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples().withoutTestWorkflows().start()) {
                assertThat(GatedWorkflow.view(node.http).path("active_version").asInt()).isEqualTo(3);
            }
        }
    }

    private static Cli.Run cli(String[] common) {
        List<String> args = new ArrayList<>(List.of("eval", "run", "--all", "--gate"));
        args.addAll(List.of(common));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void activationRequestsThatCannotBeHonouredAreProblemsWithStableCodes() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            GatedWorkflow.write(dir.resolve("workflows"), 1, GatedWorkflow.GOOD);
            try (TestNode node = start(fake)) {
                Http http = node.http;
                String activate = "/v1/admin/workflows/" + NAME + "/versions/1/activate";

                Http.Response noReason = http.post(activate, TestNode.ADMIN_KEY, "{}");
                assertThat(noReason.status()).isEqualTo(400);
                assertThat(noReason.code()).isEqualTo("invalid_input");
                assertThat(noReason.text()).contains("/reason");
                Http.Response blank = http.post(activate, TestNode.ADMIN_KEY, "{\"reason\": \"  \"}");
                assertThat(blank.status()).isEqualTo(400);
                Http.Response extra = http.post(activate, TestNode.ADMIN_KEY, "{\"reason\": \"ok\", \"force\": true}");
                assertThat(extra.status()).isEqualTo(400);
                assertThat(extra.text()).contains("/force");
                Http.Response notObject = http.post(activate, TestNode.ADMIN_KEY, "[]");
                assertThat(notObject.status()).isEqualTo(400);

                Http.Response unknownWorkflow = http.post("/v1/admin/workflows/notes/nothing/versions/1/activate", TestNode.ADMIN_KEY, "{\"reason\": \"x\"}");
                assertThat(unknownWorkflow.status()).isEqualTo(404);
                assertThat(unknownWorkflow.code()).isEqualTo("unknown_workflow");
                assertThat(http.get("/v1/admin/workflows/notes/nothing", TestNode.ADMIN_KEY).code()).isEqualTo("unknown_workflow");
                Http.Response unknownVersion = http.post("/v1/admin/workflows/" + NAME + "/versions/7/activate", TestNode.ADMIN_KEY, "{\"reason\": \"x\"}");
                assertThat(unknownVersion.status()).isEqualTo(404);
                assertThat(unknownVersion.code()).isEqualTo("not_found");
                assertThat(unknownVersion.text()).contains("[1]");
                Http.Response hugeVersion = http.post("/v1/admin/workflows/" + NAME + "/versions/99999999/activate", TestNode.ADMIN_KEY, "{\"reason\": \"x\"}");
                assertThat(hugeVersion.status()).isEqualTo(404);

                Http.Response customer = http.post(activate, TestNode.DEMO_KEY, "{\"reason\": \"x\"}");
                assertThat(customer.status()).isEqualTo(403);
                assertThat(http.get("/v1/admin/workflows", TestNode.DEMO_KEY).status()).isEqualTo(403);
                assertThat(http.post(activate, null, "{\"reason\": \"x\"}").status()).isEqualTo(401);

                JsonNode all = http.get("/v1/admin/workflows", TestNode.ADMIN_KEY).json();
                assertThat(all.path("workflows").findValuesAsString("name")).contains(NAME, "test/echo");
            }
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }

    private static JsonNode only(Http http, String action) {
        JsonNode records = http.get("/v1/admin/audit?action=" + action, TestNode.ADMIN_KEY).json().path("records");
        assertThat(records).as(records.toString()).hasSize(1);
        return records.get(0);
    }

    private static JsonNode last(Http http, String action) {
        JsonNode records = http.get("/v1/admin/audit?action=" + action + "&limit=1000", TestNode.ADMIN_KEY).json().path("records");
        assertThat(records).isNotEmpty();
        return records.get(records.size() - 1);
    }
}
