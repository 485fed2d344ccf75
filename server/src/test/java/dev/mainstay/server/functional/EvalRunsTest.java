package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.GatedWorkflow;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Eval runs over real HTTP on a real node and SQLite file, on the demo model: every case a job of
 * the eval account, scored once, summed up; two versions compared case by case; the history of a
 * workflow's quality; and a run that goes on after its node stopped mid-run.
 */
class EvalRunsTest {
    private static final String ADMIN = TestNode.ADMIN_KEY;

    @TempDir
    Path dir;

    /**
     * {@code notes/summary} v1 puts the text in its prompt; v2 is an edit that dropped it, so the
     * demo model (which answers from the prompt's tagged text) can no longer say what the text said.
     */
    private Path workflows(String demoLatency) throws Exception {
        GatedWorkflow.write(dir.resolve("workflows"), 1, GatedWorkflow.GOOD, false);
        GatedWorkflow.write(dir.resolve("workflows"), 2, GatedWorkflow.WORSE, false);
        Path config = dir.resolve("mainstay.yaml");
        Files.writeString(config, "providers:\n  demo: { kind: demo, latency: " + demoLatency + ", fault_rate: 0 }\n");
        return config;
    }

    private MainstayServer start(Path config) throws Exception {
        Map<String, String> env = new HashMap<>(TestNode.env(dir));
        return MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC());
    }

    private static String startRun(Http http, String body) {
        Http.Response r = http.post("/v1/admin/evals/runs", ADMIN, body);
        assertThat(r.status()).as(r.text()).isEqualTo(202);
        assertThat(r.json().path("runs")).hasSize(1);
        return r.json().path("runs").get(0).path("id").asString();
    }

    private static JsonNode awaitCompleted(Http http, String run) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            last[0] = http.get("/v1/admin/evals/runs/" + run, ADMIN).json();
            return last[0].path("status").asString().equals("completed");
        });
        return last[0];
    }

    @Test
    void aRunScoresEveryCaseAsAnEvalJobAndTwoVersionsCompareCaseByCase() throws Exception {
        Path config = workflows("1ms..5ms");
        try (MainstayServer node = start(config)) {
            Http http = new Http(node.baseUrl());
            String good = startRun(http, "{\"workflow\": \"notes/summary\", \"version\": 1}");
            String worse = startRun(http, "{\"workflow\": \"notes/summary\", \"version\": 2, \"suite\": \"notes-summary\"}");

            JsonNode a = awaitCompleted(http, good);
            assertThat(a.path("version").asInt()).isEqualTo(1);
            assertThat(a.path("summary").path("cases").asInt()).isEqualTo(4);
            assertThat(a.path("summary").path("passed").asInt()).as(a.toString()).isEqualTo(4);
            assertThat(a.path("summary").path("quality").asDouble()).isEqualTo(1.0);
            assertThat(a.path("summary").path("meets_threshold").asBoolean()).isTrue();
            Set<String> jobs = new HashSet<>();
            for (JsonNode c : a.path("cases")) {
                if (c.path("case").asString().equals("empty-text-is-refused")) {
                    assertThat(c.path("status").asString()).isEqualTo("rejected");
                    assertThat(c.path("job").isNull()).isTrue();
                } else {
                    assertThat(c.path("status").asString()).isEqualTo("completed");
                    assertThat(c.path("output").path("summary").asString()).isNotBlank();
                    jobs.add(c.path("job").asString());
                }
            }
            assertThat(jobs).hasSize(3);
            // The eval jobs belong to the eval account: the customer's key does not see them, nor are they in its usage.
            for (String job : jobs) {
                assertThat(http.get("/v1/jobs/" + job, TestNode.DEMO_KEY).status()).isEqualTo(404);
            }
            JsonNode usage = http.get("/v1/usage", TestNode.DEMO_KEY).json();
            assertThat(usage.path("totals").path("calls").asInt()).as(usage.toString()).isZero();
            assertThat(usage.path("groups")).isEmpty();

            JsonNode b = awaitCompleted(http, worse);
            assertThat(b.path("summary").path("passed").asInt()).isEqualTo(1);
            assertThat(b.path("summary").path("meets_threshold").asBoolean()).isFalse();
            JsonNode budget = b.path("cases").get(0);
            assertThat(budget.path("passed").asBoolean()).isFalse();
            assertThat(budget.path("scores").toString()).contains("contains");

            Http.Response cmp = http.get("/v1/admin/evals/runs/" + good + "/compare/" + worse, ADMIN);
            assertThat(cmp.status()).as(cmp.text()).isEqualTo(200);
            List<String> regressed = new ArrayList<>();
            cmp.json().path("regressed").forEach(n -> regressed.add(n.asString()));
            assertThat(regressed).containsExactly("budget", "hiring", "launch");
            assertThat(cmp.json().path("counts").path("unchanged").asInt()).isEqualTo(1);
            assertThat(cmp.json().path("quality_after").asDouble()).isLessThan(cmp.json().path("quality_before").asDouble());
            JsonNode first = cmp.json().path("cases").get(0);
            assertThat(first.path("change").asString()).isEqualTo("regressed");
            assertThat(first.path("differences").toString()).contains("/output/summary");

            JsonNode history = http.get("/v1/admin/evals/history?workflow=notes/summary", ADMIN).json();
            List<String> versions = new ArrayList<>();
            history.path("runs").forEach(r -> versions.add(r.path("version").asInt() + ":" + r.path("quality").asDouble()));
            assertThat(versions).hasSize(2).contains("1:1.0");
            assertThat(history.path("runs").findValues("run")).extracting(JsonNode::asString).containsExactlyInAnyOrder(good, worse);
        }
    }

    @Test
    void badRunRequestsAreProblemsNamingTheirFields() throws Exception {
        Path config = workflows("1ms..5ms");
        try (MainstayServer node = start(config)) {
            Http http = new Http(node.baseUrl());
            // An explicit version, to try out one that does not serve: the admin key only.
            Http.Response pinned = http.post("/v1/notes/summary?version=1", ADMIN, "{\"text\": \"The budget was approved.\"}");
            assertThat(pinned.status()).as(pinned.text()).isEqualTo(202);
            assertThat(pinned.json().path("workflow_version").asInt()).as(pinned.text()).isEqualTo(1);
            Http.Response serving = http.post("/v1/notes/summary", TestNode.DEMO_KEY, "{\"text\": \"The budget was approved.\"}");
            assertThat(serving.json().path("workflow_version").asInt()).as(serving.text()).isEqualTo(2);
            assertThat(http.post("/v1/notes/summary?version=1", TestNode.DEMO_KEY, "{\"text\": \"x\"}").status()).isEqualTo(403);
            assertThat(http.post("/v1/notes/summary?version=9", ADMIN, "{\"text\": \"x\"}").status()).isEqualTo(404);
            assertThat(http.post("/v1/notes/summary?version=two", ADMIN, "{\"text\": \"x\"}").status()).isEqualTo(400);

            Http.Response bad = http.post("/v1/admin/evals/runs", ADMIN, "{\"workflow\": 3, \"version\": 0, \"concurrency\": 1000, \"extra\": true}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.code()).isEqualTo("invalid_input");
            assertThat(bad.text()).contains("/workflow", "/version", "/concurrency", "/extra");
            Http.Response unknown = http.post("/v1/admin/evals/runs", ADMIN, "{\"workflow\": \"notes/summary\", \"suite\": \"nope\"}");
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.text()).contains("notes-summary");
            assertThat(http.post("/v1/admin/evals/runs", TestNode.DEMO_KEY, "{\"workflow\": \"notes/summary\"}").status()).isEqualTo(403);
            assertThat(http.get("/v1/admin/evals/runs/evr_nothing", ADMIN).status()).isEqualTo(404);
        }
    }

    @Test
    void aRunGoesOnAfterItsNodeStopsMidRunAndScoresEachCaseOnce() throws Exception {
        Path config = workflows("300ms..300ms");
        String run;
        try (MainstayServer node = start(config)) {
            Http http = new Http(node.baseUrl());
            run = startRun(http, "{\"workflow\": \"notes/summary\", \"version\": 1, \"concurrency\": 1}");
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> node.store().evalRunCases(run).stream().anyMatch(c -> c.scored()));
            assertThat(node.store().evalRunCases(run).stream().filter(c -> c.scored()).count()).isLessThan(4);
        }
        try (MainstayServer node = start(config)) {
            Http http = new Http(node.baseUrl());
            JsonNode done = awaitCompleted(http, run);
            assertThat(done.path("summary").path("cases").asInt()).isEqualTo(4);
            assertThat(done.path("summary").path("passed").asInt()).isEqualTo(4);
            List<String> jobs = new ArrayList<>();
            done.path("cases").forEach(c -> {
                if (c.path("job").isString()) {
                    jobs.add(c.path("job").asString());
                }
            });
            assertThat(jobs).hasSize(3).doesNotHaveDuplicates();
        }
    }

    @Test
    void theCommandLineRunsSuitesWithoutAServerGatesOnTheThresholdAndWritesJunit() throws Exception {
        Path config = workflows("1ms..5ms");
        String[] common = {"--config", config.toString(), "--data-dir", dir.resolve("var").toString(), "--workflows", dir.resolve("workflows").toString()};
        Path junit = dir.resolve("evals.xml");
        List<String> args = new ArrayList<>(List.of("eval", "run", "notes/summary", "--version", "2", "--gate", "--junit", junit.toString()));
        args.addAll(List.of(common));
        Cli.Run worse = Cli.run(args.toArray(String[]::new));
        assertThat(worse.code()).as(worse.out() + worse.err()).isEqualTo(1);
        assertThat(worse.out()).containsPattern("notes/summary +2  notes-summary +4 +1 +0\\.625 +0\\.90  FAIL");
        assertThat(worse.out()).contains("failed  notes-summary / budget (completed): contains /summary: ");
        String xml = Files.readString(junit);
        assertThat(xml).contains("tests=\"4\" failures=\"3\"", "<testcase classname=\"notes-summary\" name=\"budget\"", "<failure message=");

        List<String> better = new ArrayList<>(List.of("eval", "run", "notes/summary", "--version", "1", "--gate"));
        better.addAll(List.of(common));
        Cli.Run good = Cli.run(better.toArray(String[]::new));
        assertThat(good.code()).as(good.out() + good.err()).isZero();
        assertThat(good.out()).containsPattern("notes/summary +1  notes-summary +4 +4 +1\\.000 +0\\.90  pass");

        // --all runs the version that serves, the highest: the worse v2, whose gating suite fails.
        List<String> everything = new ArrayList<>(List.of("eval", "run", "--all", "--gate"));
        everything.addAll(List.of(common));
        Cli.Run gated = Cli.run(everything.toArray(String[]::new));
        assertThat(gated.code()).as(gated.out() + gated.err()).isEqualTo(1);
        assertThat(gated.out()).containsPattern("notes/summary +2  notes-summary");
        Cli.Run none = Cli.run("eval", "run", "--data-dir", dir.resolve("var").toString());
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("name one workflow, or --all");
    }
}
