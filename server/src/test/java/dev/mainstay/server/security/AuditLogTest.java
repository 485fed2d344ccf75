package dev.mainstay.server.security;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The audit log over HTTP and from the command line, on a real node and its SQLite file. */
class AuditLogTest {
    @TempDir
    Path dir;

    private static List<String> actions(JsonNode page) {
        return page.path("records").values().stream().map(r -> r.path("action").asString()).toList();
    }

    @Test
    void aJobLeavesItsTrailAndTamperingWithTheFileIsFound() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            TestNode node = TestNode.start(dir, fake, Map.of());
            String id;
            String cancelled;
            try {
                id = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"jane@example.com wants a refund\"}").json().path("id").asString();
                assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
                cancelled = node.http.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"later\"}").json().path("id").asString();
                node.http.post("/v1/jobs/" + cancelled + "/cancel", TestNode.DEMO_KEY, null);

                JsonNode trail = node.http.get("/v1/admin/audit?job=" + id, TestNode.ADMIN_KEY).json();
                assertThat(actions(trail)).containsSubsequence("job.submitted", "model.called", "stage.started", "stage.ended");
                JsonNode submitted = trail.path("records").get(0);
                assertThat(submitted.path("actor").asString()).startsWith("key:key_");
                assertThat(submitted.path("account").asString()).isEqualTo("acct_demo");
                assertThat(submitted.path("details").path("workflow").asString()).isEqualTo("test/echo");
                JsonNode call = trail.path("records").values().stream().filter(r -> r.path("action").asString().equals("model.called")).findFirst().orElseThrow();
                assertThat(call.path("details").path("provider").asString()).isEqualTo("fake");
                assertThat(call.path("details").path("input_tokens").asLong()).isPositive();
                // Ids, counts and hashes only: never the input, the prompt or the output.
                assertThat(trail.toString()).doesNotContain("jane@example.com").doesNotContain("refund");

                JsonNode cancels = node.http.get("/v1/admin/audit?action=job.cancelled", TestNode.ADMIN_KEY).json();
                assertThat(cancels.path("records").get(0).path("subject").asString()).isEqualTo(cancelled);
                assertThat(cancels.path("records").get(0).path("actor").asString()).startsWith("key:key_");
                assertThat(actions(node.http.get("/v1/admin/audit?action=config.loaded", TestNode.ADMIN_KEY).json())).containsExactly("config.loaded");
                JsonNode paged = node.http.get("/v1/admin/audit?limit=2&after=1", TestNode.ADMIN_KEY).json();
                assertThat(paged.path("records").values().stream().map(r -> r.path("seq").asLong()).toList()).containsExactly(2L, 3L);
                assertThat(paged.path("next_after").asLong()).isEqualTo(3);

                assertProblem(node.http.get("/v1/admin/audit", TestNode.DEMO_KEY), 403, "forbidden");
                Http.Response bad = node.http.get("/v1/admin/audit?action=deleted&limit=0&from=yesterday", TestNode.ADMIN_KEY);
                assertProblem(bad, 400, "invalid_input");
                assertThat(bad.json().path("errors").findValuesAsString("parameter")).containsExactlyInAnyOrder("action", "from", "limit");
                assertThat(bad.json().path("errors").size()).isEqualTo(3);
            } finally {
                node.close();
            }
        }

        String dataDir = dir.resolve("var").toString();
        Cli.Run ok = Cli.run("audit", "verify", "--data-dir", dataDir);
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).startsWith("audit log intact: ");
        String head = ok.out().strip().replaceAll(".* head ", "");

        String original;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("var/mainstay.db")); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT actor FROM audit_log WHERE seq = 3")) {
            original = rs.getString(1);
            s.executeUpdate("UPDATE audit_log SET actor = 'key:key_someone_else' WHERE seq = 3");
        }
        Cli.Run edited = Cli.run("audit", "verify", "--data-dir", dataDir);
        assertThat(edited.code()).isEqualTo(1);
        assertThat(edited.out()).contains("audit log BROKEN at record 3 (edited)");

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("var/mainstay.db")); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE audit_log SET actor = '" + original + "' WHERE seq = 3");
            s.executeUpdate("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)");
        }
        assertThat(Cli.run("audit", "verify", "--data-dir", dataDir).code()).as("a removed last record leaves an intact chain").isZero();
        Cli.Run truncated = Cli.run("audit", "verify", "--data-dir", dataDir, "--expect-head", head);
        assertThat(truncated.code()).isEqualTo(1);
        assertThat(truncated.out()).contains("records were removed from the end");

        assertThat(Cli.run("audit", "verify", "--data-dir", dir.resolve("nowhere").toString()).code()).isEqualTo(2);
        assertThat(Cli.run("audit", "verify", "--help").out()).contains("Usage: mainstay audit verify");
    }
}
