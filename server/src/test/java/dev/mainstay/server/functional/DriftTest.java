package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Drift on live traffic over real HTTP, on the injected clock: the same version answered by a
 * provider that changed between two windows (its first answers now break the contract and its
 * confidence fell) shows as a change in the drift report; eval traffic is not counted.
 */
class DriftTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final String ADMIN = TestNode.ADMIN_KEY;

    @TempDir
    Path dir;

    @Test
    void aProviderThatChangedUnderAnUnchangedVersionShowsAsDriftBetweenWindows() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-02T09:00:00Z"));
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            TestNode.Setup setup = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples().withoutTestWorkflows()
                    .file("notes/rate.yaml", """
                            workflow: notes/rate
                            version: 1
                            latency: async
                            input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                            stages:
                              - id: only
                                model: { prompt: rate.mustache, route: [primary], timeout: 5s }
                                output:
                                  schema:
                                    type: object
                                    required: [summary, confidence]
                                    properties:
                                      summary: { type: string, minLength: 1 }
                                      confidence: { type: number, minimum: 0, maximum: 1 }
                                  confidence: { field: confidence, min: 0.5, below: review }
                            drift: { fields: [/confidence] }
                            """)
                    .file("notes/rate.mustache", "Rate.\n<text>{{input.text}}</text>\n");
            try (TestNode node = setup.start(clock)) {
                Http http = node.http;
                // The first hour: answers right at once, confidence 0.86.
                run(node, 10, "before");
                clock.advance(Duration.ofHours(1));
                // The next hour, same version: every first answer breaks the schema and its repair has confidence 0.62.
                fake.script(FaultScript.perJob(Fault.invalidOutput(), Fault.ok().numbers("0.62")));
                run(node, 6, "after");
                clock.advance(Duration.ofMinutes(1));

                Http.Response r = http.get("/v1/admin/evals/drift?workflow=notes/rate&window=1h", ADMIN);
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                JsonNode d = r.json();
                System.out.println("drift report: " + d);
                assertThat(d.path("window").asString()).isEqualTo("PT1H");
                assertThat(d.path("versions")).hasSize(1);
                JsonNode v = d.path("versions").get(0);
                assertThat(v.path("version").asInt()).isEqualTo(1);
                assertThat(v.path("previous").path("jobs").asInt()).as(d.toString()).isEqualTo(10);
                assertThat(v.path("current").path("jobs").asInt()).isEqualTo(6);
                assertThat(v.path("previous").path("schema_first_pass_rate").asDouble()).isEqualTo(1.0);
                assertThat(v.path("current").path("schema_first_pass_rate").asDouble()).isEqualTo(0.0);
                assertThat(v.path("current").path("gate_pass_rate").asDouble()).isEqualTo(1.0);
                assertThat(v.path("current").path("fallback_rate").asDouble()).isEqualTo(0.0);
                assertThat(v.path("current").path("review_rate").asDouble()).isEqualTo(0.0);
                assertThat(v.path("previous").path("fields").path("/confidence").path("mean").asDouble()).isEqualTo(0.86);
                assertThat(v.path("current").path("fields").path("/confidence").path("p95").asDouble()).isEqualTo(0.62);
                assertThat(v.path("change").path("schema_first_pass_rate").asDouble()).isEqualTo(-1.0);
                assertThat(v.path("change").path("fields").path("/confidence").path("mean").asDouble()).isEqualTo(-0.24);

                // Bad queries are refused with the parameter named.
                Http.Response bad = http.get("/v1/admin/evals/drift?workflow=notes/rate&window=forever", ADMIN);
                assertThat(bad.status()).isEqualTo(400);
                assertThat(bad.text()).contains("window");
                assertThat(http.get("/v1/admin/evals/drift", ADMIN).status()).isEqualTo(400);
                assertThat(http.get("/v1/admin/evals/drift?workflow=no/such", ADMIN).status()).isEqualTo(404);
                assertThat(http.get("/v1/admin/evals/drift?workflow=notes/rate", KEY).status()).isEqualTo(403);
                assertThat(http.get("/v1/admin/evals/shadow?workflow=notes/rate", ADMIN).json().path("sampled").asInt()).isZero();
            }
        }
    }

    private static void run(TestNode node, int jobs, String prefix) {
        for (int i = 0; i < jobs; i++) {
            Http.Response r = node.http.post("/v1/notes/rate", KEY, Json.write(Json.object().put("text", prefix + " note " + i + " is filed.")));
            assertThat(r.status()).as(r.text()).isEqualTo(202);
            assertThat(node.awaitTerminal(r.json().path("id").asString()).path("status").asString()).isEqualTo("completed");
        }
    }
}
