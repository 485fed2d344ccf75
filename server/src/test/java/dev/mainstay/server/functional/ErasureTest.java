package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.audit.AuditCheck;
import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Erasure on request over real HTTP and from the command line, on a real SQLite file: a subject's
 * jobs lose their payloads and nobody else's do, the request is idempotent and audited without the
 * value, jobs in flight are cancelled first, the chain verifies after an erasure and after a cut of
 * the audit log, and an erasure undone by restoring an older backup is done again at start.
 */
class ErasureTest {
    private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
    static final String SUPPORT = """
            workflow: test/support
            version: 1
            latency: async
            deadline: 10m
            subject: /customer/email
            input:
              type: object
              required: [text, customer]
              properties:
                text: { type: string, minLength: 1 }
                customer:
                  type: object
                  properties:
                    email: { type: string }
            stages:
              - id: echo
                model:
                  prompt: prompts/echo.mustache
                  route: [primary]
                  timeout: 60s
                output:
                  schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                retry: { attempts: 1 }
            """;

    @TempDir
    Path dir;

    private static String submit(TestNode node, String email, String text) {
        Http.Response r = node.http.post("/v1/test/support", TestNode.DEMO_KEY,
                "{\"text\": \"" + text + "\", \"customer\": {\"email\": \"" + email + "\"}}");
        assertThat(r.status()).as(r.text()).isEqualTo(202);
        return r.json().path("id").asString();
    }

    private static String finished(TestNode node, String email, String text) {
        String id = submit(node, email, text);
        assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
        return id;
    }

    private static Http.Response erase(TestNode node, String body) {
        return node.http.post("/v1/admin/erasures", TestNode.ADMIN_KEY, body);
    }

    private String rawAudit() throws Exception {
        StringBuilder all = new StringBuilder();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("var/mainstay.db")); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT actor, action, account_id, subject, job_id, details FROM audit_log ORDER BY seq")) {
            while (rs.next()) {
                for (int i = 1; i <= 6; i++) {
                    all.append(rs.getString(i)).append('|');
                }
                all.append('\n');
            }
        }
        return all.toString();
    }

    @Test
    void anErasureBySubjectRemovesItsJobsPayloadsOnceAndIsAuditedWithoutTheValue() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none());
             TestNode node = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/support", SUPPORT).start()) {
            String a = finished(node, "ada@example.com", "Refund for ada@example.com please.");
            String b = finished(node, "Ada@Example.com", "Second ticket.");
            String other = finished(node, "grace@example.com", "Grace asks too.");

            Http.Response first = erase(node, "{\"subject\": \" ada@example.com\"}");
            assertThat(first.status()).as(first.text()).isEqualTo(201);
            JsonNode e = first.json();
            assertThat(e.path("scope").asString()).isEqualTo("subject");
            assertThat(e.path("counts").path("jobs").asLong()).isEqualTo(2);
            assertThat(e.path("counts").path("characters").asLong()).isPositive();
            assertThat(e.path("requested_by").asString()).startsWith("key:");
            assertThat(first.text()).doesNotContainIgnoringCase("ada@example.com");

            for (String id : new String[] {a, b}) {
                JsonNode job = node.http.get("/v1/jobs/" + id, TestNode.DEMO_KEY).json();
                assertThat(job.path("status").asString()).isEqualTo("completed");
                assertThat(job.path("result").isNull()).isTrue();
                assertThat(job.path("expired").path("at").isMissingNode()).isFalse();
                assertThat(job.toString()).doesNotContainIgnoringCase("ada@example.com");
            }
            JsonNode kept = node.http.get("/v1/jobs/" + other, TestNode.DEMO_KEY).json();
            assertThat(kept.path("result").isObject()).isTrue();
            assertThat(kept.path("expired").isNull()).isTrue();

            // The same request again is the same erasure, with nothing new to erase.
            Http.Response again = erase(node, "{\"subject\": \"ADA@example.com\"}");
            assertThat(again.status()).isEqualTo(200);
            assertThat(again.json().path("id").asString()).isEqualTo(e.path("id").asString());
            assertThat(again.json().path("counts")).isEqualTo(e.path("counts"));
            Http.Response read = node.http.get("/v1/admin/erasures/" + e.path("id").asString(), TestNode.ADMIN_KEY);
            assertThat(read.status()).isEqualTo(200);
            assertThat(read.json().path("subject_digest").asString()).isEqualTo(e.path("subject_digest").asString());

            JsonNode audit = node.http.get("/v1/admin/audit?action=data.erased", TestNode.ADMIN_KEY).json();
            assertThat(audit.path("records")).hasSize(2);
            assertThat(audit.path("records").get(0).path("details").path("subject_digest").asString()).isEqualTo(e.path("subject_digest").asString());
            assertThat(audit.path("records").get(0).path("details").path("jobs").asLong()).isEqualTo(2);
            assertThat(node.server.store().verifyAudit()).isInstanceOf(AuditCheck.Intact.class);
            // No audit record holds a subject's value, erased or not: ids, digests and counts only.
            String records = rawAudit();
            assertThat(records).contains(a, "data.erased").doesNotContainIgnoringCase("ada@example.com").doesNotContain("grace@example.com");

            // Bad requests are problems naming the field, never a 5xx.
            assertProblem(erase(node, "{}"), 400, "invalid_input");
            assertProblem(erase(node, "{\"job\": \"job_x\", \"account\": \"acct_demo\"}"), 400, "invalid_input");
            Http.Response typed = erase(node, "{\"job\": 5}");
            assertProblem(typed, 400, "invalid_input");
            assertThat(typed.text()).contains("/job");
            assertProblem(erase(node, "{\"subjects\": \"x\"}"), 400, "invalid_input");
            assertProblem(erase(node, "[]"), 400, "invalid_input");
            assertProblem(erase(node, "{\"job\": \"job_missing\"}"), 404, "not_found");
            assertProblem(node.http.get("/v1/admin/erasures/era_missing", TestNode.ADMIN_KEY), 404, "not_found");
            assertThat(node.http.post("/v1/admin/erasures", TestNode.DEMO_KEY, "{\"subject\": \"x\"}").status()).isIn(401, 403);

            // By job and by account.
            Http.Response one = erase(node, "{\"job\": \"" + other + "\"}");
            assertThat(one.status()).isEqualTo(201);
            assertThat(one.json().path("counts").path("jobs").asLong()).isEqualTo(1);
            assertThat(node.http.get("/v1/jobs/" + other, TestNode.DEMO_KEY).json().path("result").isNull()).isTrue();
            assertThat(erase(node, "{\"account\": \"" + TestNode.DEMO_ACCOUNT + "\"}").json().path("counts").path("jobs").asLong()).isZero();
        }
        // From the command line, on the same data directory, and the chain still verifies.
        String dataDir = dir.resolve("var").toString();
        Cli.Run cli = Cli.run("erase", "--data-dir", dataDir, "--subject", "grace@example.com", "--rewrite");
        assertThat(cli.code()).as(cli.err()).isZero();
        assertThat(cli.out()).contains("erasure era_", "(subject)");
        assertThat(Cli.run("erase", "--data-dir", dataDir, "--subject", "grace@example.com").out()).contains("asked before");
        Cli.Run verify = Cli.run("audit", "verify", "--data-dir", dataDir);
        assertThat(verify.code()).as(verify.out()).isZero();
        assertThat(Cli.run("erase", "--help").out()).contains("Usage: mainstay erase", "--subject");
        assertThat(Cli.run("erase", "--data-dir", dataDir).code()).isEqualTo(2);
        assertThat(Cli.run("erase", "--data-dir", dataDir, "--job", "a", "--account", "b").code()).isEqualTo(2);
    }

    @Test
    void aJobInFlightIsCancelledFirstThenErased() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.of(Fault.hang()));
             TestNode node = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/support", SUPPORT).start()) {
            String id = submit(node, "lin@example.com", "Stuck on lin@example.com.");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> node.http.get("/v1/jobs/" + id, TestNode.DEMO_KEY).json().path("status").asString().equals("processing"));

            Http.Response r = erase(node, "{\"subject\": \"lin@example.com\"}");
            assertThat(r.status()).as(r.text()).isEqualTo(201);
            assertThat(r.json().path("counts").path("cancelled").asLong()).isEqualTo(1);
            assertThat(r.json().path("counts").path("jobs").asLong()).isEqualTo(1);
            JsonNode job = node.http.get("/v1/jobs/" + id, TestNode.DEMO_KEY).json();
            assertThat(job.path("status").asString()).isEqualTo("cancelled");
            assertThat(job.toString()).doesNotContain("lin@example.com");
        }
    }

    @Test
    void anErasureUndoneByRestoringAnOlderBackupIsDoneAgainAtStart() throws Exception {
        String id;
        TestNode.Setup setup;
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            setup = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/support", SUPPORT);
            try (TestNode node = setup.start()) {
                id = finished(node, "max@example.com", "Backed up with max@example.com.");
            }
            Path db = dir.resolve("var/mainstay.db");
            Path backup = dir.resolve("backup.db");
            Files.copy(db, backup);
            try (TestNode node = setup.start()) {
                assertThat(erase(node, "{\"subject\": \"max@example.com\"}").json().path("counts").path("jobs").asLong()).isEqualTo(1);
            }
            assertThat(Files.readString(dir.resolve("var/erasures.log"))).contains("\"scope\":\"subject\"").doesNotContain("max@example.com");
            // The older backup comes back: it has the job's payloads and no record of the erasure.
            Files.copy(backup, db, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(Path.of(db + "-wal"));
            Files.deleteIfExists(Path.of(db + "-shm"));
            try (TestNode node = setup.start()) {
                JsonNode job = node.http.get("/v1/jobs/" + id, TestNode.DEMO_KEY).json();
                assertThat(job.path("result").isNull()).isTrue();
                assertThat(job.toString()).doesNotContain("max@example.com");
                JsonNode audit = node.http.get("/v1/admin/audit?action=data.erased", TestNode.ADMIN_KEY).json();
                assertThat(audit.path("records")).singleElement().satisfies(rec -> assertThat(rec.path("actor").asString()).isEqualTo("system:erasure-log"));
                assertThat(node.server.store().verifyAudit()).isInstanceOf(AuditCheck.Intact.class);
            }
        }
    }

    @Test
    void theAuditLogCutByRetentionStillVerifiesAndStillCatchesAnEdit() throws Exception {
        ManualClock clock = new ManualClock(T0);
        try (FakeProvider fake = FakeProvider.start(FaultScript.none());
             TestNode node = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/support", SUPPORT)
                     .section("retention:\n  audit: 60s\n  sweep_every: 1h\n").start(clock)) {
            finished(node, "old@example.com", "Old one.");
            clock.advance(Duration.ofSeconds(61));
            String recent = finished(node, "new@example.com", "New one.");
            erase(node, "{\"job\": \"" + recent + "\"}");
            JsonNode sweep = node.http.post("/v1/admin/retention/sweep", TestNode.ADMIN_KEY, "").json();
            assertThat(sweep.path("removed").path("audit").path("rows").asLong()).isPositive();
            assertThat(node.http.get("/v1/admin/retention", TestNode.ADMIN_KEY).json().path("policy").path("audit").asString()).isEqualTo("PT1M");
            JsonNode cut = node.http.get("/v1/admin/audit?action=audit.cut", TestNode.ADMIN_KEY).json();
            assertThat(cut.path("records")).singleElement().satisfies(rec -> assertThat(rec.path("details").path("through_seq").asLong()).isPositive());
            assertThat(node.server.store().verifyAudit()).isInstanceOf(AuditCheck.Intact.class);
        }
        String dataDir = dir.resolve("var").toString();
        Cli.Run ok = Cli.run("audit", "verify", "--data-dir", dataDir);
        assertThat(ok.code()).as(ok.out()).isZero();
        assertThat(ok.out()).contains("from the checkpoint at record");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("var/mainstay.db")); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE audit_log SET actor = 'key:key_someone_else' WHERE seq = (SELECT MIN(seq) FROM audit_log)");
        }
        Cli.Run edited = Cli.run("audit", "verify", "--data-dir", dataDir);
        assertThat(edited.code()).isEqualTo(1);
        assertThat(edited.out()).contains("(edited)");
    }
}
