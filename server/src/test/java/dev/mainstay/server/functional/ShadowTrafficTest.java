package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.WebhookReceiver;
import dev.mainstay.store.ShadowRun;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.webhook.SigningSecret;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Shadow traffic over real HTTP on a real node and SQLite file, with the testkit fake provider:
 * {@code notes/brief} v2 serves and samples a quarter of its live jobs to run again on v1, whose
 * prompt drops the text. The shadows run, are compared and scored, and no client sees them: not in
 * the live envelope, the live job's events, the account's usage, its jobs, nor the workflow's own
 * webhook receiver. The live latency with and without shadow is printed, measured back to back.
 */
class ShadowTrafficTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final String ADMIN = TestNode.ADMIN_KEY;
    private static final int LIVE_JOBS = 400;
    private static final int WARM_UP = 100;

    @TempDir
    Path dir;

    private static String workflow(String name, int version, String prompt, String extra) {
        return """
                workflow: %s
                version: %d
                latency: instant
                deadline: 30s
                input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                stages:
                  - id: only
                    model: { prompt: %s, route: [primary], max_output_tokens: 200, timeout: 5s }
                    output:
                      schema:
                        type: object
                        required: [summary, label]
                        additionalProperties: false
                        properties:
                          summary: { type: string, minLength: 1 }
                          label: { type: string, enum: [note] }
                %s
                """.formatted(name, version, prompt, extra);
    }

    @Test
    void aSampledQuarterOfLiveJobsRunsAgainOnTheShadowVersionUnseenByTheClient() throws Exception {
        String secret = SigningSecret.generate().reveal();
        try (FakeProvider fake = FakeProvider.start(FaultScript.none()); WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.secrets(secret);
            String notify = "notify: { url: \"" + receiver.url + "\", events: [job.completed], secret: { env: BRIEF_SECRET } }\nevals: brief.evals.yaml";
            TestNode.Setup setup = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples().withoutTestWorkflows()
                    .env("MAINSTAY_WEBHOOKS_ALLOW_PRIVATE", "true").env("BRIEF_SECRET", secret)
                    .file("notes/brief.yaml", workflow("notes/brief", 1, "brief-v1.mustache", notify))
                    .file("notes/brief-v2.yaml", workflow("notes/brief", 2, "brief-v2.mustache",
                            notify + "\nshadow: { version: 1, sample: 0.25, agree_on: [/summary, /label] }"))
                    .file("notes/plain.yaml", workflow("notes/plain", 1, "brief-v2.mustache", ""))
                    .file("notes/brief-v1.mustache", "Summarise.\n<text>Nothing to report.</text>\n")
                    .file("notes/brief-v2.mustache", "Summarise.\n<text>{{input.text}}</text>\n")
                    .file("notes/brief.evals.yaml", """
                            suite: notes-brief
                            threshold: 0.9
                            scorers:
                              - schema_valid
                              - not_contains: { field: summary, value: Nothing to report }
                                name: says-something
                              - equals: { field: label }
                            cases:
                              - id: budget
                                input: { text: The budget was approved on Monday. }
                                expected: { label: note }
                            """);
            try (TestNode node = setup.start()) {
                Http http = node.http;
                // Back to back, after a warm-up: the same live traffic on a workflow without shadow, then on the one with it.
                submit(http, "/v1/notes/plain", "warm-up", WARM_UP, Collections.synchronizedList(new ArrayList<>()));
                List<Long> plain = submit(http, "/v1/notes/plain", "plain");
                Set<String> live = ConcurrentHashMap.newKeySet();
                List<Long> shadowed = new ArrayList<>();
                List<JsonNode> envelopes = Collections.synchronizedList(new ArrayList<>());
                shadowed.addAll(submit(http, "/v1/notes/brief", "brief", LIVE_JOBS, envelopes));
                envelopes.forEach(e -> live.add(e.path("id").asString()));
                assertThat(live).hasSize(LIVE_JOBS);
                System.out.printf("live latency over %d jobs: p95 %d ms without shadow, %d ms with shadow (p50 %d / %d ms)%n", LIVE_JOBS,
                        percentile(plain, 95), percentile(shadowed, 95), percentile(plain, 50), percentile(shadowed, 50));

                // Every sampled job's shadow runs and is scored.
                JsonNode[] report = new JsonNode[1];
                Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> {
                    report[0] = http.get("/v1/admin/evals/shadow?workflow=notes/brief", ADMIN).json();
                    return report[0].path("sampled").asInt() > 0 && report[0].path("pending").asInt() == 0;
                });
                JsonNode r = report[0];
                System.out.println("shadow report: " + r);
                int sampled = r.path("sampled").asInt();
                assertThat(sampled).as(r.toString()).isBetween(70, 130);
                assertThat(r.path("shadow_runs").asInt()).isEqualTo(sampled);
                assertThat(r.path("shadow").path("version").asInt()).isEqualTo(1);
                assertThat(r.path("versions").get(0).path("live_version").asInt()).isEqualTo(2);
                // v1 always says the same thing and never the live text: it agrees on the label alone.
                assertThat(r.path("agreement").path("/label").path("rate").asDouble()).isEqualTo(1.0);
                assertThat(r.path("agreement").path("/label").path("compared").asInt()).isEqualTo(sampled);
                assertThat(r.path("agreement").path("/summary").path("rate").asDouble()).isEqualTo(0.0);
                assertThat(r.path("scores").path("notes-brief/schema_valid").path("shadow_mean").asDouble()).isEqualTo(1.0);
                assertThat(r.path("scores").path("notes-brief/says-something").path("live_mean").asDouble()).isEqualTo(1.0);
                assertThat(r.path("scores").path("notes-brief/says-something").path("shadow_mean").asDouble()).isEqualTo(0.0);
                assertThat(r.path("scores").has("notes-brief/equals /label")).as("a reference scorer cannot judge live traffic").isFalse();

                List<ShadowRun> runs = node.server.store().shadowRuns("notes/brief", Instant.EPOCH, 1_000);
                assertThat(runs).hasSize(sampled).allSatisfy(s -> assertThat(live).contains(s.liveJobId()));
                assertThat(runs.stream().map(ShadowRun::shadowJobId).collect(Collectors.toSet())).hasSize(sampled).doesNotContainAnyElementsOf(live);
                assertThat(fake.requestCount()).isEqualTo(WARM_UP + 2 * LIVE_JOBS + sampled);

                // None of it is visible to the client.
                for (JsonNode e : envelopes) {
                    assertThat(e.path("workflow_version").asInt()).isEqualTo(2);
                    assertThat(e.path("result").path("summary").asString()).startsWith("brief ");
                    assertThat(Json.write(e)).doesNotContain("shadow");
                }
                ShadowRun one = runs.getFirst();
                assertThat(http.get("/v1/jobs/" + one.shadowJobId(), KEY).status()).isEqualTo(404);
                JsonNode liveJob = http.get("/v1/jobs/" + one.liveJobId(), KEY).json();
                assertThat(liveJob.path("result").path("summary").asString()).startsWith("brief ");
                assertThat(liveJob.path("usage")).isEqualTo(envelopes.stream().filter(e -> e.path("id").asString().equals(one.liveJobId())).findFirst()
                        .orElseThrow().path("usage"));
                JsonNode events = http.get("/v1/jobs/" + one.liveJobId() + "/events", KEY).json();
                assertThat(Json.write(events)).doesNotContain(one.shadowJobId()).doesNotContain("shadow");
                JsonNode usage = http.get("/v1/usage", KEY).json();
                assertThat(usage.path("totals").path("calls").asInt()).as(usage.toString()).isEqualTo(WARM_UP + 2 * LIVE_JOBS);
                Awaitility.await().atMost(WebhookReceiver.PATIENCE).until(() -> receiver.received().size() >= LIVE_JOBS);
                assertThat(receiver.received()).extracting(WebhookReceiver.Received::jobId).containsOnlyOnceElementsOf(live).hasSize(LIVE_JOBS);
            }
        }
    }

    private static List<Long> submit(Http http, String path, String prefix) throws Exception {
        return submit(http, path, prefix, LIVE_JOBS, Collections.synchronizedList(new ArrayList<>()));
    }

    /** Submits {@code jobs} jobs from 4 clients; the latency of each answer, in milliseconds. */
    private static List<Long> submit(Http http, String path, String prefix, int jobs, List<JsonNode> envelopes) throws Exception {
        List<Long> millis = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService clients = Executors.newFixedThreadPool(4)) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                String text = prefix + " number " + i + " was filed today.";
                all.add(clients.submit(() -> {
                    long t0 = System.nanoTime();
                    Http.Response resp = http.post(path, KEY, Json.write(Json.object().put("text", text)));
                    millis.add((System.nanoTime() - t0) / 1_000_000);
                    assertThat(resp.status()).as(resp.text()).isEqualTo(200);
                    assertThat(resp.json().path("status").asString()).isEqualTo("completed");
                    envelopes.add(resp.json());
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        return millis;
    }

    private static long percentile(List<Long> values, int p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}
