package dev.mainstay.server.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ConfigException;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Graceful shutdown hands unfinished jobs back; the next start finishes them. Versions are immutable. */
class ShutdownAndRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void gracefulStopRequeuesInFlightJobsAndTheNextStartCompletesThem() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofSeconds(3))))) {
            List<String> ids = new ArrayList<>();
            TestNode first = TestNode.start(dir, fake);
            for (int i = 0; i < 10; i++) {
                ids.add(first.http.post("/v1/test/pipeline", TestNode.DEMO_KEY, "{\"text\": \"job " + i + ".\"}").json().path("id").asString());
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> fake.requestCount() >= 10);
            first.close(); // grace is 1 s; the fake takes 3 s, so every job is interrupted mid-call

            fake.script(FaultScript.none());
            try (TestNode second = TestNode.start(dir, fake)) {
                for (String id : ids) {
                    JsonNode job = second.awaitTerminal(id);
                    assertThat(job.path("status").asString()).isEqualTo("completed");
                    JsonNode events = second.http.get("/v1/jobs/" + id + "/events", TestNode.DEMO_KEY).json().path("events");
                    assertThat(events.findValuesAsString("type")).contains("requeued");
                }
            }
        }
    }

    @Test
    void aSecondNodeOnTheSameSqliteDatabaseIsRefusedWhileTheFirstRuns() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Process first = TestNode.launchProcess(dir, config, TestNode.freePort(), java.util.Map.of(), "second-node-test.log");
            try {
                // A restarted node takes every lease it finds as its own orphan: only true if no one else runs on the file.
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestNode.start(dir, config, java.util.Map.of()))
                        .isInstanceOf(dev.mainstay.store.StoreException.class)
                        .hasMessageContaining("in use by another Mainstay process (pid " + first.pid());
            } finally {
                first.destroyForcibly().waitFor();
            }
            // The lock went with the process, however it ended.
            TestNode.start(dir, config, java.util.Map.of()).close();
        }
    }

    @Test
    void editedWorkflowUnderAnExistingVersionIsRefusedAtStart() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            TestNode.start(dir, fake).close();
            Path prompt = dir.resolve("workflows/prompts/extract-key-points.v1.mustache");
            Files.writeString(prompt, Files.readString(prompt) + "\nBe brief.\n");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestNode.start(dir, fake))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("briefs/extract-key-points.yaml")
                    .hasMessageContaining("workflow briefs/extract-key-points version 1 is already registered")
                    .hasMessageContaining("raise 'version:'");
        }
    }

    @Test
    void badWorkflowFileFailsTheStartNamingFileLineAndField() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            TestNode.writeFiles(dir, fake, "2s", "1s");
            Files.writeString(dir.resolve("workflows/test/broken.yaml"), """
                    workflow: test/broken
                    version: 1
                    input: { type: object }
                    stages:
                      - id: one
                        model:
                          prompt: prompts/echo.mustache
                          route: [primary, fastest]
                        output: { schema: { type: object } }
                    """);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestNode.start(dir, fake))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("broken.yaml:8")
                    .hasMessageContaining("stages[0].model.route[1]")
                    .hasMessageContaining("unknown route 'fastest'");
        }
    }
}
