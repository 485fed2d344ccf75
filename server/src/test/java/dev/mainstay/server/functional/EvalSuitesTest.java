package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.evals.CaseResult;
import dev.mainstay.evals.EvalCase;
import dev.mainstay.evals.EvalSuite;
import dev.mainstay.evals.EvalSuites;
import dev.mainstay.evals.Observation;
import dev.mainstay.evals.RunSummary;
import dev.mainstay.evals.ScorerResult;
import dev.mainstay.evals.Subject;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.workflow.WorkflowDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Eval suites at the edges of the server: {@code workflows validate} and the start check them,
 * naming file, line and field; and every case of the shipped example suites, submitted over HTTP
 * to a real node on the demo model, scores as its suite says.
 */
class EvalSuitesTest {
    private static final Path EXAMPLES = Path.of("..", "examples", "workflows");

    @TempDir
    Path dir;

    private Path brokenSuite() throws Exception {
        Path w = Files.createDirectories(dir.resolve("workflows/notes"));
        Files.writeString(w.resolve("summary.yaml"), """
                workflow: notes/summary
                version: 1
                input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                stages:
                  - id: only
                    model: { prompt: summary.mustache, route: [primary] }
                    output: { schema: { type: object, required: [summary], additionalProperties: false, properties: { summary: { type: string } } } }
                evals: summary.evals.yaml
                """);
        Files.writeString(w.resolve("summary.mustache"), "<text>{{input.text}}</text>");
        Files.writeString(w.resolve("summary.evals.yaml"), """
                suite: notes-summary
                threshold: 0.9
                scorers:
                  - schema_valid
                  - contains: { field: sumary, value: budget }
                cases:
                  - id: first
                    input: { text: The budget was approved. }
                """);
        return w.getParent();
    }

    @Test
    void validateListsTheSuitesOfTheShippedExamples() {
        Cli.Run r = Cli.run("workflows", "validate", EXAMPLES.toString(), "--data-dir", dir.resolve("var").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("\\n    evals leads-classify +20 case\\(s\\), threshold 0.9, gate  .*leads/classify.evals.yaml\\n")
                .containsPattern("\\n    evals leads-classify-regressions +3 case\\(s\\), threshold 1.0, gate  .*leads/classify.regressions.jsonl\\n")
                .containsPattern("\\n    evals briefs-injection-review +1 case\\(s\\), threshold 1.0  .*briefs/extract-key-points.injection.yaml\\n")
                .containsPattern("\\n5 eval suite\\(s\\) valid, \\d+ case\\(s\\)\\n");
        assertThat(r.err()).as("suite files draw no 'not a workflow' warning").isEmpty();
    }

    @Test
    void validateRefusesABrokenSuiteNamingFileLineAndField() throws Exception {
        Path workflows = brokenSuite();
        Cli.Run r = Cli.run("workflows", "validate", workflows.toString(), "--data-dir", dir.resolve("var").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("mainstay: ")
                .contains("notes/summary.evals.yaml:5: scorers[1].contains.field: the output of notes/summary v1 has no field 'sumary' (its fields: summary)")
                .doesNotContain("Exception");
    }

    @Test
    void validateRefusesASuiteFileThatIsNotThere() throws Exception {
        Path workflows = brokenSuite();
        Files.delete(workflows.resolve("notes/summary.evals.yaml"));
        Cli.Run r = Cli.run("workflows", "validate", workflows.toString(), "--data-dir", dir.resolve("var").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("notes/summary.yaml:8: evals: suite file 'summary.evals.yaml' not found next to the workflow or under ");
    }

    @Test
    void aBrokenSuiteStopsTheStartBeforeTheDatabaseIsOpened() throws Exception {
        Path workflows = brokenSuite();
        Map<String, String> env = new HashMap<>(TestNode.env(dir));
        env.put("MAINSTAY_WORKFLOWS", workflows.toString());
        assertThatThrownBy(() -> MainstayServer.start(ServerConfig.load(Optional.empty(), env), Clock.systemUTC()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("summary.evals.yaml:5: scorers[1].contains.field:");
        assertThat(dir.resolve("var/mainstay.db")).doesNotExist();
    }

    /** Where a case ended, as a run will see it: the job's own envelope, or the refusal. */
    private static Observation observe(Http http, WorkflowDefinition workflow, EvalCase kase) {
        Http.Response submitted = http.post(workflow.path(), TestNode.DEMO_KEY, Json.write(kase.input()), "Prefer", "wait=30");
        if (submitted.status() >= 400) {
            assertThat(submitted.code()).as(kase.id() + ": " + submitted.text()).isNotNull();
            return Observation.rejected(submitted.code(), Duration.ZERO);
        }
        String id = submitted.json().path("id").asString();
        JsonNode[] job = {submitted.json()};
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (!Observation.END_STATES.contains(job[0].path("status").asString())) {
                job[0] = http.get("/v1/jobs/" + id, TestNode.DEMO_KEY).json();
            }
            return Observation.END_STATES.contains(job[0].path("status").asString());
        });
        JsonNode j = job[0];
        JsonNode usage = j.path("usage");
        return new Observation(id, j.path("status").asString(), j.path("result_type").isString() ? ResultType.fromWire(j.path("result_type").asString()) : null,
                j.path("error").path("code").asString(null), j.path("result"), Duration.ofMillis(j.path("timings").path("total_ms").asLong(0)),
                new Usage(usage.path("input_tokens").asLong(), usage.path("output_tokens").asLong(), AccountLimits.Money.micros(usage.path("cost_usd").asString("0"))),
                Map.of());
    }

    @Test
    void theDemoModelPassesEveryShippedSuiteExceptTheFailingExample() throws Exception {
        Path config = dir.resolve("mainstay.yaml");
        // The demo model as shipped, minus its occasional simulated overload: its answers are then a function of the input.
        Files.writeString(config, "providers:\n  demo: { kind: demo, latency: 1ms..5ms, fault_rate: 0 }\n");
        Map<String, String> env = new HashMap<>(TestNode.env(dir));
        env.put("MAINSTAY_WORKFLOWS", EXAMPLES.toString());
        ServerConfig cfg = ServerConfig.load(Optional.of(config), env);
        try (MainstayServer node = MainstayServer.start(cfg, Clock.systemUTC())) {
            Http http = new Http(node.baseUrl());
            List<WorkflowDefinition> workflows = dev.mainstay.workflow.WorkflowLoader.scan(cfg.workflowDirs(), cfg.routes().keySet()).definitions();
            EvalSuites suites = EvalSuites.load(workflows, cfg.routes().keySet());
            int judged = 0;
            for (WorkflowDefinition workflow : workflows) {
                for (EvalSuite suite : suites.of(workflow.name(), workflow.version())) {
                    List<CaseResult> results = new ArrayList<>();
                    for (EvalCase kase : suite.cases()) {
                        results.add(suite.score(kase, observe(http, workflow, kase), Subject.of(workflow)));
                        judged++;
                    }
                    RunSummary summary = suite.summarize(results);
                    if (suite.name().equals("briefs-injection-review")) {
                        // The failing-case example: the demo model has no notion of injection and completes the job.
                        CaseResult only = results.getFirst();
                        assertThat(only.passed()).isFalse();
                        assertThat(only.failures()).extracting(ScorerResult::name).containsExactly("status");
                        assertThat(only.failures().getFirst().score().reason()).isEqualTo("ended completed; expected waiting_for_review");
                        assertThat(summary.meetsThreshold()).isFalse();
                        continue;
                    }
                    for (CaseResult r : results) {
                        assertThat(r.passed()).as(suite.name() + " / " + r.caseId() + ": " + r.failures().stream()
                                .map(f -> f.name() + ": " + f.score().reason()).toList() + " output " + r.observed().output()).isTrue();
                    }
                    assertThat(summary.quality()).as(suite.name()).isEqualTo(1.0);
                    assertThat(summary.passRate()).as(suite.name()).isEqualTo(1.0);
                    assertThat(summary.meetsThreshold()).as(suite.name()).isTrue();
                }
            }
            assertThat(judged).isEqualTo(suites.caseCount()).isGreaterThanOrEqualTo(60);
        }
    }

    /** The fenced blocks of the section of docs/evals.md that starts with {@code heading}, in order. */
    private static List<String> docBlocks(String heading) throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "evals.md"));
        int at = doc.indexOf("\n" + heading + "\n");
        assertThat(at).as(heading + " in docs/evals.md").isPositive();
        int end = doc.indexOf("\n## ", at + heading.length() + 2);
        java.util.regex.Matcher fence = java.util.regex.Pattern.compile("```[a-z]*\\n(.*?)```", java.util.regex.Pattern.DOTALL)
                .matcher(doc.substring(at, end < 0 ? doc.length() : end));
        List<String> blocks = new ArrayList<>();
        while (fence.find()) {
            blocks.add(fence.group(1));
        }
        return blocks;
    }

    @Test
    void theFirstSuiteOfTheDocsValidatesAsTheDocsShow() throws Exception {
        List<String> blocks = docBlocks("## A first suite");
        Path workflows = dir.resolve("examples/workflows");
        TestNode.copyTree(EXAMPLES, workflows);
        Files.writeString(workflows.resolve("leads/first.evals.yaml"), blocks.get(0));
        Path classify = workflows.resolve("leads/classify.yaml");
        String named = java.util.Arrays.stream(Files.readString(classify).split("\n", -1))
                .map(line -> line.startsWith("evals:") ? blocks.get(1).strip() : line).collect(java.util.stream.Collectors.joining("\n"));
        Files.writeString(classify, named);
        Cli.Run r = Cli.run("workflows", "validate", workflows.toString(), "--data-dir", dir.resolve("var").toString());
        assertThat(r.code()).as(r.err()).isZero();
        for (String shown : blocks.get(3).lines().filter(l -> l.startsWith("    evals ") || l.contains("eval suite(s)")).toList()) {
            // The docs ran in the repository; this runs in a directory of its own: the lines agree up to where the file is.
            int path = shown.indexOf("examples/workflows/");
            assertThat(r.out()).contains(path < 0 ? shown : shown.substring(0, path));
            if (path >= 0) {
                assertThat(r.out()).contains(shown.substring(path + "examples/workflows/".length()) + "\n");
            }
        }
        assertThat(r.out()).contains("leads-first                  2 case(s), threshold 0.9  ");
    }

    @Test
    void theJsonLinesSuiteOfTheDocsIsTheShippedOne() throws Exception {
        assertThat(docBlocks("## JSON Lines suites").getFirst()).isEqualTo(Files.readString(EXAMPLES.resolve("leads/classify.regressions.jsonl")));
    }

    @Test
    void aDevModeReloadWithABrokenSuiteKeepsServingTheLastWorkflowsThatLoaded() throws Exception {
        Path workflows = brokenSuite();
        Path suite = workflows.resolve("notes/summary.evals.yaml");
        String broken = Files.readString(suite);
        Files.writeString(suite, broken.replace("field: sumary", "field: summary"));
        Map<String, String> env = new HashMap<>(TestNode.env(dir));
        env.put("MAINSTAY_WORKFLOWS", workflows.toString());
        try (MainstayServer node = MainstayServer.start(ServerConfig.load(Optional.empty(), env), Clock.systemUTC(), true)) {
            int reloads = node.lastReload().count();
            Files.writeString(suite, broken);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> node.lastReload().count() > reloads && node.lastReload().problem() != null);
            assertThat(node.lastReload().problem()).contains("summary.evals.yaml:5: scorers[1].contains.field: the output of notes/summary v1 has no field 'sumary'");
            assertThat(node.lastReload().changes()).isEmpty();
            assertThat(new Http(node.baseUrl()).get("/v1/workflows", TestNode.ADMIN_KEY).text()).contains("notes/summary");
        }
    }
}
