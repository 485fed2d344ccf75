package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Cases from production over real HTTP, on a real node and SQLite file, the testkit fake provider
 * answering: a job's input with its output or a checked correction stored under a suite, a
 * review's edit saved as a case in the same decision, runs that take the stored cases after the
 * file's, paging, removal, the audit log, and the export as JSON Lines.
 */
class EvalCasesTest {
    private static final String ADMIN = TestNode.ADMIN_KEY;
    private static final String SUITE = "test-notes";

    @TempDir
    Path dir;

    private FakeProvider fake;
    private TestNode node;
    private Http http;

    @BeforeEach
    void start() {
        fake = FakeProvider.start(FaultScript.always(Fault.ok().numbers("0.9")));
        node = setup().start();
        http = node.http;
    }

    private TestNode.Setup setup() {
        return TestNode.in(dir).provider(fake.baseUrl()).withoutExamples()
                .file("prompts/notes.mustache", "Summarise.\n<text>{{input.text}}</text>\n")
                .workflow("test/notes", """
                        workflow: test/notes
                        version: 1
                        latency: async
                        input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                        stages:
                          - id: summarise
                            model: { prompt: prompts/notes.mustache, route: [primary], timeout: 2s }
                            output:
                              schema:
                                type: object
                                required: [summary, confidence]
                                additionalProperties: false
                                properties:
                                  summary: { type: string, minLength: 1 }
                                  confidence: { type: number, minimum: 0, maximum: 1 }
                              confidence: { field: confidence, min: 0.6, below: review }
                            retry: { attempts: 1 }
                        fallback: [review]
                        evals: notes.evals.yaml
                        """)
                .file("test/notes.evals.yaml", """
                        suite: test-notes
                        threshold: 0.5
                        scorers:
                          - schema_valid
                          - equals: { field: summary }
                        cases:
                          - id: from-the-file
                            input: { text: The launch moved to June. }
                            expect:
                              - contains: { field: summary, value: launch }
                        """);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        fake.close();
    }

    private String completedJob(String text) {
        Http.Response r = http.post("/v1/test/notes", TestNode.DEMO_KEY, Json.object().put("text", text).toString());
        assertThat(r.status()).as(r.text()).isEqualTo(202);
        String id = r.json().path("id").asString();
        assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
        return id;
    }

    private Http.Response addCase(String body) {
        return http.post("/v1/admin/evals/" + SUITE + "/cases", ADMIN, body);
    }

    @Test
    void aJobsOutputOrACorrectionBecomesACaseThatRunsAfterTheFilesCases() {
        String budget = completedJob("The budget was approved on Monday.");
        JsonNode stored = node.awaitTerminal(budget);

        Http.Response added = addCase("{\"job\": \"" + budget + "\", \"expect\": \"output\", \"name\": \"budget-from-prod\", \"tags\": [\"prod\", \"café\"]}");
        assertThat(added.status()).as(added.text()).isEqualTo(201);
        JsonNode k = added.json();
        assertThat(k.path("id").asString()).isEqualTo("budget-from-prod");
        assertThat(k.path("input")).isEqualTo(stored.path("input").isMissingNode() ? Json.object().put("text", "The budget was approved on Monday.") : stored.path("input"));
        assertThat(k.path("expected")).isEqualTo(stored.path("result"));
        assertThat(k.path("tags").toString()).isEqualTo("[\"prod\",\"café\"]");
        assertThat(k.path("stored").path("job").asString()).isEqualTo(budget);
        assertThat(k.path("stored").path("expect").asString()).isEqualTo("output");
        assertThat(added.header("Location")).isEqualTo("/v1/admin/evals/test-notes/cases/" + k.path("stored").path("id").asString());

        // A correction a person typed: the run will find the model's answer differs from it.
        String hiring = completedJob("Hiring is paused until spring.");
        Http.Response corrected = addCase("{\"job\": \"" + hiring + "\", \"expect\": \"correction\", \"correction\": {\"summary\": \"Hiring resumes in spring.\", \"confidence\": 1}}");
        assertThat(corrected.status()).as(corrected.text()).isEqualTo(201);
        assertThat(corrected.json().path("id").asString()).as("named after its job when no name is given").isEqualTo(hiring);

        Http.Response started = http.post("/v1/admin/evals/runs", ADMIN, "{\"workflow\": \"test/notes\"}");
        assertThat(started.status()).as(started.text()).isEqualTo(202);
        String run = started.json().path("runs").get(0).path("id").asString();
        JsonNode[] done = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            done[0] = http.get("/v1/admin/evals/runs/" + run, ADMIN).json();
            return done[0].path("status").asString().equals("completed");
        });
        List<String> order = new ArrayList<>();
        done[0].path("cases").forEach(c -> order.add(c.path("case").asString() + ":" + c.path("passed").asBoolean()));
        assertThat(order).containsExactly("from-the-file:true", "budget-from-prod:true", hiring + ":false");
        assertThat(done[0].path("cases").get(2).path("scores").toString()).contains("Hiring resumes in spring.");
        assertThat(done[0].path("summary").path("cases").asInt()).isEqualTo(3);
    }

    @Test
    void badCapturesAreProblemsNamingTheirFieldsAndACorrectionMustFitTheOutputSchema() {
        String job = completedJob("The budget was approved on Monday.");
        Http.Response schema = addCase("{\"job\": \"" + job + "\", \"expect\": \"correction\", \"correction\": {\"summary\": 42, \"confidence\": 3}}");
        assertProblem(schema, 422, "validation_failed");
        List<String> pointers = new ArrayList<>();
        schema.json().path("errors").forEach(e -> pointers.add(e.path("pointer").asString()));
        assertThat(pointers).contains("/correction/summary", "/correction/confidence");

        Http.Response missing = addCase("{\"job\": \"" + job + "\", \"expect\": \"correction\"}");
        assertProblem(missing, 400, "invalid_input");
        assertThat(missing.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/correction");

        Http.Response fields = addCase("{\"job\": 7, \"expect\": \"maybe\", \"colour\": \"red\", \"tags\": [1]}");
        assertProblem(fields, 400, "invalid_input");
        pointers.clear();
        fields.json().path("errors").forEach(e -> pointers.add(e.path("pointer").asString()));
        assertThat(pointers).containsExactlyInAnyOrder("/colour", "/job", "/expect", "/tags/0");

        Http.Response noJob = addCase("{\"job\": \"job_nothere\", \"expect\": \"output\"}");
        assertProblem(noJob, 400, "invalid_input");
        assertThat(noJob.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/job");

        Http.Response fileName = addCase("{\"job\": \"" + job + "\", \"expect\": \"output\", \"name\": \"from-the-file\"}");
        assertProblem(fileName, 400, "invalid_input");
        assertThat(fileName.json().path("errors").get(0).path("detail").asString()).contains("already has a case 'from-the-file'");

        assertThat(addCase("{\"job\": \"" + job + "\", \"expect\": \"output\", \"name\": \"once\"}").status()).isEqualTo(201);
        Http.Response twice = addCase("{\"job\": \"" + job + "\", \"expect\": \"output\", \"name\": \"once\"}");
        assertProblem(twice, 400, "invalid_input");
        assertThat(twice.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/name");

        assertProblem(http.post("/v1/admin/evals/no-such-suite/cases", ADMIN, "{\"job\": \"" + job + "\", \"expect\": \"output\"}"), 404, "not_found");
        assertProblem(http.post("/v1/admin/evals/" + SUITE + "/cases", TestNode.DEMO_KEY, "{\"job\": \"" + job + "\", \"expect\": \"output\"}"), 403, "forbidden");
        assertProblem(http.post("/v1/admin/evals/" + SUITE + "/cases", ADMIN, "[1]"), 400, "invalid_input");
        assertThat(http.get("/v1/admin/evals/" + SUITE + "/cases", ADMIN).json().path("cases")).hasSize(1);
    }

    @Test
    void aReviewersEditIsSavedAsACaseInTheSameDecision() {
        Http.Response key = http.post("/v1/admin/accounts/acct_demo/keys", ADMIN, "{\"name\": \"evals reviewer\", \"roles\": [\"eval\"]}");
        assertThat(key.status()).as(key.text()).isEqualTo(201);
        String reviewer = key.json().path("secret").asString();
        fake.script(FaultScript.always(Fault.ok().numbers("0.2"))); // below the confidence gate: every job waits for a person
        String review = waitingReview("Ship the report on Friday.");
        String other = waitingReview("Call the supplier today.");

        // Whoever may not save cases is refused before anything is decided.
        Http.Response plain = http.post("/v1/reviews/" + review + "/decision", TestNode.DEMO_KEY,
                "{\"decision\": \"edit\", \"output\": {\"summary\": \"The report ships Friday.\", \"confidence\": 1}, \"save_as_case\": {\"suite\": \"test-notes\"}}");
        assertProblem(plain, 403, "forbidden");
        Http.Response approve = http.post("/v1/reviews/" + review + "/decision", reviewer, "{\"decision\": \"approve\", \"save_as_case\": {\"suite\": \"test-notes\"}}");
        assertProblem(approve, 400, "invalid_input");
        assertThat(approve.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/save_as_case");
        Http.Response unknownSuite = http.post("/v1/reviews/" + review + "/decision", reviewer,
                "{\"decision\": \"edit\", \"output\": {\"summary\": \"The report ships Friday.\", \"confidence\": 1}, \"save_as_case\": {\"suite\": \"nope\"}}");
        assertProblem(unknownSuite, 404, "not_found");
        assertThat(http.get("/v1/reviews/" + review, reviewer).json().path("status").asString()).isEqualTo("pending");

        Http.Response saved = http.post("/v1/reviews/" + review + "/decision", reviewer,
                "{\"decision\": \"edit\", \"output\": {\"summary\": \"The report ships Friday.\", \"confidence\": 1}, "
                        + "\"save_as_case\": {\"suite\": \"test-notes\", \"name\": \"report-edited\", \"tags\": [\"review\"]}}");
        assertThat(saved.status()).as(saved.text()).isEqualTo(200);
        assertThat(saved.json().path("status").asString()).isEqualTo("edited");
        JsonNode k = saved.json().path("case");
        assertThat(k.path("id").asString()).isEqualTo("report-edited");
        assertThat(k.path("expected").path("summary").asString()).isEqualTo("The report ships Friday.");
        assertThat(k.path("input").path("text").asString()).isEqualTo("Ship the report on Friday.");
        assertThat(k.path("stored").path("review").asString()).isEqualTo(review);
        assertThat(k.path("stored").path("expect").asString()).isEqualTo("correction");

        // The case's name taken: the decision is refused whole, and the review stays pending.
        Http.Response taken = http.post("/v1/reviews/" + other + "/decision", reviewer,
                "{\"decision\": \"edit\", \"output\": {\"summary\": \"Call them today.\", \"confidence\": 1}, \"save_as_case\": {\"suite\": \"test-notes\", \"name\": \"report-edited\"}}");
        assertProblem(taken, 400, "invalid_input");
        assertThat(taken.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/save_as_case/name");
        assertThat(http.get("/v1/reviews/" + other, reviewer).json().path("status").asString()).isEqualTo("pending");

        JsonNode audit = http.get("/v1/admin/audit?action=eval_case.added", ADMIN).json();
        assertThat(audit.toString()).contains("report-edited", review, "key:");
    }

    private String waitingReview(String text) {
        Http.Response r = http.post("/v1/test/notes", TestNode.DEMO_KEY, Json.object().put("text", text).toString());
        assertThat(r.status()).as(r.text()).isEqualTo(202);
        String job = r.json().path("id").asString();
        String[] review = new String[1];
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode list = http.get("/v1/reviews?status=pending", TestNode.DEMO_KEY).json();
            for (JsonNode rv : list.path("reviews")) {
                if (rv.path("job_id").asString().equals(job) || rv.toString().contains(job)) {
                    review[0] = rv.path("id").asString();
                    return true;
                }
            }
            return false;
        });
        return review[0];
    }

    @Test
    void storedCasesPageAreRemovedOneByOneAndExportAsJsonLinesASuiteTakes() throws Exception {
        for (String name : List.of("one", "two", "three")) {
            String job = completedJob("Case " + name + " happened.");
            assertThat(addCase("{\"job\": \"" + job + "\", \"expect\": \"output\", \"name\": \"" + name + "\"}").status()).isEqualTo(201);
        }
        JsonNode first = http.get("/v1/admin/evals/" + SUITE + "/cases?limit=2", ADMIN).json();
        assertThat(first.path("cases").findValues("id").stream().filter(JsonNode::isString).map(JsonNode::asString).toList()).contains("one", "two");
        String cursor = first.path("next_cursor").asString();
        JsonNode second = http.get("/v1/admin/evals/" + SUITE + "/cases?limit=2&cursor=" + cursor, ADMIN).json();
        assertThat(second.path("cases")).hasSize(1);
        assertThat(second.path("cases").get(0).path("id").asString()).isEqualTo("three");
        assertThat(second.path("next_cursor").isNull()).isTrue();
        assertProblem(http.get("/v1/admin/evals/" + SUITE + "/cases?limit=0", ADMIN), 400, "invalid_input");

        String twoId = first.path("cases").get(1).path("stored").path("id").asString();
        Http.Response deleted = http.delete("/v1/admin/evals/" + SUITE + "/cases/" + twoId, ADMIN);
        assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
        assertProblem(http.delete("/v1/admin/evals/" + SUITE + "/cases/" + twoId, ADMIN), 404, "not_found");
        assertThat(http.get("/v1/admin/audit?action=eval_case.deleted", ADMIN).json().toString()).contains(twoId);

        node.close();
        node = null;
        Cli.Run export = Cli.run("eval", "export-cases", SUITE, "--data-dir", dir.resolve("var").toString());
        assertThat(export.code()).as(export.err()).isZero();
        List<String> lines = export.out().lines().toList();
        assertThat(lines).hasSize(2);
        JsonNode line = Json.parse(lines.get(0));
        assertThat(line.path("id").asString()).isEqualTo("one");
        assertThat(line.path("input").path("text").asString()).isEqualTo("Case one happened.");
        assertThat(line.path("expected").path("summary").asString()).startsWith("Case one happened.");
        assertThat(Json.parse(lines.get(1)).path("id").asString()).isEqualTo("three");
        assertThat(export.err()).contains("2 stored case(s) of suite test-notes");

        // The lines are cases of a JSON Lines suite: a header before them loads and validates.
        java.nio.file.Files.writeString(dir.resolve("workflows/test/notes.exported.jsonl"),
                "{\"suite\": \"test-notes-exported\", \"threshold\": 1, \"scorers\": [\"schema_valid\", {\"equals\": {\"field\": \"summary\"}}]}\n" + export.out());
        String workflow = java.nio.file.Files.readString(dir.resolve("workflows/test/notes.yaml")).replace("evals: notes.evals.yaml", "evals: [notes.evals.yaml, notes.exported.jsonl]");
        java.nio.file.Files.writeString(dir.resolve("workflows/test/notes.yaml"), workflow);
        Cli.Run validate = Cli.run("workflows", "validate", dir.resolve("workflows").toString(), "--config", dir.resolve("mainstay.yaml").toString());
        assertThat(validate.code()).as(validate.out() + validate.err()).isZero();
        assertThat(validate.out()).contains("test-notes-exported", "2 case(s)");
    }
}
