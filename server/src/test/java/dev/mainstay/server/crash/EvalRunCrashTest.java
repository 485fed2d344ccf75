package dev.mainstay.server.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * An eval run of 200 cases survives a SIGKILL of its node mid-run: started again on the same data
 * directory, the run completes with every case run as one job and scored exactly once.
 */
class EvalRunCrashTest {
    private static final String ADMIN = TestNode.ADMIN_KEY;
    private static final int CASES = 200;

    @TempDir
    Path dir;

    @Test
    void aRunOf200CasesKilledMidRunCompletesAfterARestartWithEachCaseScoredOnce() throws Exception {
        StringBuilder suite = new StringBuilder("""
                suite: crash-cases
                threshold: 0.9
                scorers:
                  - schema_valid
                  - contains: { field: summary, value: case }
                cases:
                """);
        for (int i = 0; i < CASES; i++) {
            suite.append("  - id: case-").append(i).append("\n    input: { text: \"case number ").append(i).append(" of the crash suite\" }\n");
        }
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(20), Duration.ofMillis(60))))) {
            TestNode.Setup setup = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples().withoutTestWorkflows()
                    .file("crash/summary.yaml", """
                            workflow: crash/summary
                            version: 1
                            latency: async
                            input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                            stages:
                              - id: only
                                model: { prompt: summary.mustache, route: [primary], timeout: 5s }
                                output: { schema: { type: object, required: [summary], properties: { summary: { type: string, minLength: 1 } } } }
                                retry: { attempts: 5, backoff: 50ms, max_backoff: 200ms }
                            evals: summary.evals.yaml
                            """)
                    .file("crash/summary.mustache", "Summarise.\n<text>{{input.text}}</text>\n")
                    .file("crash/summary.evals.yaml", suite.toString());
            int port = TestNode.freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            Process server = setup.launch(port, "eval-crash-server.log");
            try {
                Http.Response started = http.post("/v1/admin/evals/runs", ADMIN, "{\"workflow\": \"crash/summary\", \"concurrency\": 8}");
                assertThat(started.status()).as(started.text()).isEqualTo(202);
                String run = started.json().path("runs").get(0).path("id").asString();
                // Killed once some cases are scored and more are in flight.
                Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> scored(http.get("/v1/admin/evals/runs/" + run, ADMIN).json()) >= 40);
                server.destroyForcibly().waitFor();
                server = setup.launch(port, "eval-crash-server.log");
                JsonNode atKill = http.get("/v1/admin/evals/runs/" + run, ADMIN).json();
                System.out.printf("eval run %s: %d of %d cases scored when the node was killed%n", run, scored(atKill), CASES);
                assertThat(atKill.path("status").asString()).as("the kill came mid-run").isEqualTo("running");
                assertThat(scored(atKill)).isLessThan(CASES);

                JsonNode[] last = new JsonNode[1];
                Awaitility.await().atMost(Duration.ofSeconds(180)).until(() -> {
                    last[0] = http.get("/v1/admin/evals/runs/" + run, ADMIN).json();
                    return last[0].path("status").asString().equals("completed");
                });
                JsonNode done = last[0];
                assertThat(done.path("cases")).hasSize(CASES);
                Set<String> cases = new HashSet<>();
                Set<String> jobs = new HashSet<>();
                for (JsonNode c : done.path("cases")) {
                    assertThat(c.path("status").asString()).as(c.toString()).isEqualTo("completed");
                    cases.add(c.path("case").asString());
                    jobs.add(c.path("job").asString());
                }
                assertThat(cases).as("each case once").hasSize(CASES);
                assertThat(jobs).as("each case one job").hasSize(CASES);
                assertThat(done.path("summary").path("cases").asInt()).isEqualTo(CASES);
                assertThat(done.path("summary").path("passed").asInt()).as(done.path("summary").toString()).isEqualTo(CASES);
                // The eval account holds exactly one job per case, however often the sweep ran before and after the kill.
                JsonNode stats = http.get("/v1/admin/stats?account=acct_evals", ADMIN).json();
                assertThat(stats.path("jobs").path("submitted").asInt()).as(Json.write(stats.path("jobs"))).isEqualTo(CASES);
            } finally {
                server.destroyForcibly().waitFor();
            }
        }
    }

    private static int scored(JsonNode run) {
        int n = 0;
        for (JsonNode c : run.path("cases")) {
            if (c.has("scores")) {
                n++;
            }
        }
        return n;
    }
}
