package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.audit.AuditCheck;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Retention over real HTTP on the manual clock: each window removes what it says, and the envelope says so. */
class RetentionTest {
    private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
    private static final String RETENTION = """
            retention:
              payloads: 60s
              jobs: 120s
              events: 90s
              idempotency_keys: 30s
              sweep_every: 1h
              workflows:
                test/pipeline: { payloads: 100s, jobs: 200s }
            """;

    @TempDir
    Path dir;

    @Test
    void payloadsThenJobsGoByTheirWindowsPerWorkflowAndTheEnvelopeSaysExpired() throws Exception {
        ManualClock clock = new ManualClock(T0);
        try (FakeProvider fake = FakeProvider.start(FaultScript.none());
             TestNode node = TestNode.in(dir).provider(fake.baseUrl()).section(RETENTION).start(clock)) {
            String echo = submit(node, "/v1/test/echo", "expire me.");
            String pipeline = submit(node, "/v1/test/pipeline", "keep me longer.");
            JsonNode before = node.http.get("/v1/jobs/" + echo, TestNode.DEMO_KEY).json();
            assertThat(before.path("result").isObject()).isTrue();
            assertThat(before.path("expired").isNull()).isTrue();

            // Inside every window, a sweep removes nothing of these jobs.
            clock.advance(Duration.ofSeconds(59));
            JsonNode nothing = sweep(node);
            assertThat(nothing.path("swept").asBoolean()).isTrue();
            assertThat(nothing.path("removed").path("payloads").path("rows").asLong()).isZero();

            clock.advance(Duration.ofSeconds(2));
            JsonNode first = sweep(node);
            assertThat(first.path("removed").path("payloads").path("rows").asLong()).isEqualTo(1);
            assertThat(first.path("removed").path("payloads").path("characters").asLong()).isPositive();

            Http.Response expired = node.http.get("/v1/jobs/" + echo, TestNode.DEMO_KEY);
            assertThat(expired.status()).isEqualTo(200);
            JsonNode e = expired.json();
            assertThat(e.path("status").asString()).isEqualTo("completed");
            assertThat(e.path("result").isNull()).isTrue();
            assertThat(e.path("expired").path("at").asString()).isEqualTo(T0.plusSeconds(61).toString());
            assertThat(e.path("expired").path("fields").toString()).contains("result", "input");
            // Metadata, provenance, usage and timings stay.
            assertThat(e.path("provenance").path("model").asString()).isEqualTo(before.path("provenance").path("model").asString());
            assertThat(e.path("usage")).isEqualTo(before.path("usage"));
            assertThat(e.path("timings").path("total_ms")).isEqualTo(before.path("timings").path("total_ms"));
            // test/pipeline keeps its payloads for its own window.
            JsonNode kept = node.http.get("/v1/jobs/" + pipeline, TestNode.DEMO_KEY).json();
            assertThat(kept.path("result").isObject()).isTrue();
            assertThat(kept.path("expired").isNull()).isTrue();
            // A diff with an expired job does not claim two unknown results are the same.
            JsonNode diff = node.http.get("/v1/jobs/" + echo + "/diff/" + pipeline, TestNode.DEMO_KEY).json();
            assertThat(diff.path("same_result").isNull()).isTrue();

            clock.advance(Duration.ofSeconds(60)); // 121 s after the jobs finished: past jobs: 120s
            JsonNode second = sweep(node);
            assertThat(second.path("removed").path("jobs").path("rows").asLong()).isGreaterThanOrEqualTo(2); // the job and its stage at least
            assertThat(second.path("removed").path("payloads").path("rows").asLong()).isEqualTo(1); // test/pipeline's, past its 100 s
            assertThat(node.http.get("/v1/jobs/" + echo, TestNode.DEMO_KEY).status()).isEqualTo(404);
            JsonNode pipelineNow = node.http.get("/v1/jobs/" + pipeline, TestNode.DEMO_KEY).json();
            assertThat(pipelineNow.path("status").asString()).isEqualTo("completed");
            assertThat(pipelineNow.path("expired").path("at").asString()).isEqualTo(T0.plusSeconds(121).toString());
            // The aggregates stay: usage still counts both jobs' calls.
            JsonNode usage = node.http.get("/v1/usage?group_by=workflow&from=" + T0.minusSeconds(60) + "&to=" + T0.plusSeconds(600), TestNode.DEMO_KEY).json();
            assertThat(usage.toString()).contains("test/echo", "test/pipeline");

            JsonNode status = node.http.get("/v1/admin/retention", TestNode.ADMIN_KEY).json();
            assertThat(status.path("sweeps").asLong()).isEqualTo(3);
            assertThat(status.path("removed").path("payloads").path("rows").asLong()).isEqualTo(2);
            assertThat(status.path("policy").path("payloads").asString()).isEqualTo("PT1M");
            assertThat(status.path("policy").path("workflows").path("test/pipeline").path("payloads").asString()).isEqualTo("PT1M40S");
            assertThat(status.path("last_sweep").path("at").asString()).isEqualTo(T0.plusSeconds(121).toString());
            // The sweeps are audited by counts, and the chain still verifies.
            JsonNode audit = node.http.get("/v1/admin/audit?action=data.expired", TestNode.ADMIN_KEY).json();
            assertThat(audit.path("records")).hasSize(2);
            assertThat(audit.path("records").get(0).path("details").path("payloads").path("rows").asLong()).isEqualTo(1);
            assertThat(node.server.store().verifyAudit()).isInstanceOf(AuditCheck.Intact.class);
        }
    }

    @Test
    void anIdempotencyKeyIsHonouredInsideItsWindowAndFreeAfterIt() throws Exception {
        ManualClock clock = new ManualClock(T0);
        try (FakeProvider fake = FakeProvider.start(FaultScript.none());
             TestNode node = TestNode.in(dir).provider(fake.baseUrl()).section(RETENTION).start(clock)) {
            Http.Response first = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"once.\"}", "Idempotency-Key", "order-7");
            String id = first.json().path("id").asString();
            clock.advance(Duration.ofSeconds(29));
            Http.Response inside = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"once.\"}", "Idempotency-Key", "order-7");
            assertThat(inside.json().path("id").asString()).isEqualTo(id);
            assertProblem(node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"another.\"}", "Idempotency-Key", "order-7"), 422, "idempotency_conflict");

            clock.advance(Duration.ofSeconds(2)); // 31 s: past idempotency_keys: 30s, before any sweep
            Http.Response after = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"another.\"}", "Idempotency-Key", "order-7");
            assertThat(after.status()).isIn(200, 202);
            String second = after.json().path("id").asString();
            assertThat(second).isNotEqualTo(id);
            // The key now belongs to the new job for its own window.
            assertThat(node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"another.\"}", "Idempotency-Key", "order-7").json().path("id").asString())
                    .isEqualTo(second);
        }
    }

    @Test
    void aBadRetentionSettingStopsTheStartNamingTheField() throws Exception {
        Path file = dir.resolve("mainstay.yaml");
        Files.writeString(file, "retention:\n  payloads: 10d\n  jobs: 1d\n");
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), TestNode.env(dir)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("retention.jobs").hasMessageContaining("at least payloads");
        Files.writeString(file, "retention:\n  payload: 10d\n");
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), TestNode.env(dir)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("payload");
        Files.writeString(file, "retention:\n  sweep_every: 0s\n");
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), TestNode.env(dir)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sweep_every");
    }

    private static String submit(TestNode node, String path, String text) {
        String id = node.http.post(path, TestNode.DEMO_KEY, "{\"text\": \"" + text + "\"}").json().path("id").asString();
        assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
        return id;
    }

    private static JsonNode sweep(TestNode node) {
        Http.Response r = node.http.post("/v1/admin/retention/sweep", TestNode.ADMIN_KEY, "");
        assertThat(r.status()).isEqualTo(200);
        return r.json();
    }
}
