package dev.mainstay.server.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.retention.SubjectDigest;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.store.Erasure;
import dev.mainstay.store.ErasureScope;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A node killed (SIGKILL) in the middle of an erasure by subject over thousands of jobs: started
 * again, it finishes the erasure before it serves, with counts that add up to every job exactly
 * once, one {@code data.erased} record, and no byte of the subject left in the database's files.
 */
class ErasureCrashTest {
    private static final String EMAIL = "kill.mid-erasure@example.com";
    private static final int COPIES = 20_000;
    private static final String SUPPORT = """
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

    @Test
    void anErasureKilledMidwayIsFinishedAtRestartWithItsCountsRightAndAuditedOnce() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            TestNode.Setup setup = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/support", SUPPORT);
            Path config = setup.write();
            Path db = dir.resolve("var/mainstay.db");
            String template;
            try (TestNode node = setup.start()) {
                Http.Response r = node.http.post("/v1/test/support", TestNode.DEMO_KEY,
                        "{\"text\": \"Kill me while " + EMAIL + " is erased.\", \"customer\": {\"email\": \"" + EMAIL + "\"}}");
                assertThat(r.status()).as(r.text()).isEqualTo(202);
                template = r.json().path("id").asString();
                assertThat(node.awaitTerminal(template).path("status").asString()).isEqualTo("completed");
            }
            copyJob(db, template, COPIES);
            String erasureId = Erasure.idOf(new ErasureScope.Subject(new SubjectDigest(subjectKey(db)).of(EMAIL)));

            int port = TestNode.freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            Process server = TestNode.launchProcess(dir, config, port, setup.environment(), "erasure-crash-server.log");
            try {
                // The request blocks until the erasure is done; the process dies before that.
                CompletableFuture.runAsync(() -> {
                    try {
                        http.post("/v1/admin/erasures", TestNode.ADMIN_KEY, "{\"subject\": \"" + EMAIL + "\"}");
                    } catch (RuntimeException connectionLost) {
                        // killed mid-request, as intended
                    }
                });
                Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> {
                    Http.Response r = http.get("/v1/admin/erasures/" + erasureId, TestNode.ADMIN_KEY);
                    return r.status() == 200 && r.json().path("counts").path("jobs").asLong() > 0;
                });
            } finally {
                server.destroyForcibly().waitFor();
            }
            long erasedBeforeKill;
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT jobs, completed_at FROM erasures WHERE id = '" + erasureId + "'")) {
                assertThat(rs.next()).isTrue();
                erasedBeforeKill = rs.getLong(1);
                assertThat(rs.getObject(2)).as("the erasure was still running when the process was killed").isNull();
            }
            assertThat(erasedBeforeKill).isBetween(1L, (long) COPIES);

            server = TestNode.launchProcess(dir, config, port, setup.environment(), "erasure-crash-server.log");
            try {
                JsonNode e = http.get("/v1/admin/erasures/" + erasureId, TestNode.ADMIN_KEY).json();
                assertThat(e.path("completed_at").isNull()).as("finished before the node is ready").isFalse();
                assertThat(e.path("counts").path("jobs").asLong()).isEqualTo(COPIES + 1);
                JsonNode audit = http.get("/v1/admin/audit?action=data.erased", TestNode.ADMIN_KEY).json().path("records");
                assertThat(audit).singleElement().satisfies(r -> {
                    assertThat(r.path("details").path("resumed").asBoolean()).isTrue();
                    assertThat(r.path("details").path("jobs").asLong()).isEqualTo(COPIES + 1);
                    assertThat(r.path("actor").asString()).startsWith("key:");
                });
                assertThat(http.get("/v1/jobs/" + template, TestNode.DEMO_KEY).json().path("result").isNull()).isTrue();
                // Asked again: the same erasure, nothing new, and one more record.
                assertThat(http.post("/v1/admin/erasures", TestNode.ADMIN_KEY, "{\"subject\": \"" + EMAIL + "\"}").json().path("counts").path("jobs").asLong())
                        .isEqualTo(COPIES + 1);
                assertThat(Files.readString(dir.resolve("var/erasures.log"))).contains(erasureId);
            } finally {
                server.destroyForcibly().waitFor();
            }
            for (String suffix : new String[] {"", "-wal", "-shm"}) {
                Path file = Path.of(db + suffix);
                if (Files.isRegularFile(file)) {
                    assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).as(file.getFileName().toString()).doesNotContain(EMAIL);
                }
            }
        }
    }

    private static byte[] subjectKey(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT key FROM subject_key WHERE id = 1")) {
            assertThat(rs.next()).isTrue();
            return HexFormat.of().parseHex(rs.getString(1));
        }
    }

    /** {@code count} copies of finished job {@code template}, each with its subject index row, so an erasure by subject has them all to erase. */
    private static void copyJob(Path db, String template, int count) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 30000");
            java.util.List<String> columns = new java.util.ArrayList<>();
            try (ResultSet rs = s.executeQuery("PRAGMA table_info(jobs)")) {
                while (rs.next()) {
                    columns.add(rs.getString("name"));
                }
            }
            String exprs = String.join(", ", columns.stream().map(col -> switch (col) {
                case "id" -> "'job_copy' || printf('%020d', n.i)";
                case "idempotency_key" -> "NULL";
                default -> "t." + col;
            }).toList());
            String numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + count + ") ";
            s.executeUpdate(numbers + "INSERT INTO jobs (" + String.join(", ", columns) + ") SELECT " + exprs + " FROM n, (SELECT * FROM jobs WHERE id = '"
                    + template + "') t");
            s.executeUpdate(numbers + "INSERT INTO job_subjects (digest, job_id) SELECT s.digest, 'job_copy' || printf('%020d', n.i) FROM n, "
                    + "(SELECT digest FROM job_subjects WHERE job_id = '" + template + "') s");
        }
    }
}
