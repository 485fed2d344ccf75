package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * What a new user does, scripted: write a workflow of their own from docs/workflows.md alone
 * ({@code meetings/action-items}: transcript and attendees in, action items with owners out, a CEL
 * rule that every owner is an attendee, a ladder ending in review, a per-job budget), keep it in a
 * directory of their own beside the shipped examples, validate it, and run it on the demo model and
 * on the fake provider over real HTTP: completed on the happy path, and degraded as the page says
 * when the provider fails.
 */
class NewUserPathTest {
    static final String KEY = TestNode.DEMO_KEY;
    static final Path DOC = Path.of("..", "docs", "workflows.md");
    static final String RULE = "output.action_items.all(item, item.owner in input.attendees)";
    static final JsonNode ATTENDEES = Json.parse("[\"Ana Lopez\", \"Ben Okafor\", \"Chen Wei\"]");

    @TempDir
    Path dir;

    /** The fenced blocks of the docs' example: the workflow, its prompt, the request and the answer it shows. */
    record Example(String workflow, String prompt, String body, JsonNode answer) {
        static Example fromDocs() throws IOException {
            String doc = Files.readString(DOC);
            int at = doc.indexOf("### Example: owners drawn from the attendees");
            assertThat(at).as("the example section in docs/workflows.md").isPositive();
            List<String> blocks = new java.util.ArrayList<>();
            Matcher fence = Pattern.compile("```[a-z]*\\n(.*?)```", Pattern.DOTALL).matcher(doc.substring(at));
            while (fence.find() && blocks.size() < 4) {
                blocks.add(fence.group(1));
            }
            Matcher body = Pattern.compile("-d '(\\{.*?\\})'", Pattern.DOTALL).matcher(blocks.get(2));
            assertThat(body.find()).as("the curl of the example").isTrue();
            return new Example(blocks.get(0), blocks.get(1), body.group(1), Json.parse(blocks.get(3)));
        }
    }

    /** The user's own directory, as the docs lay it out. */
    private Path mine(Example example) throws IOException {
        Path mine = dir.resolve("my-workflows");
        Files.createDirectories(mine.resolve("meetings"));
        Files.createDirectories(mine.resolve("prompts"));
        Files.writeString(mine.resolve("meetings/action-items.yaml"), example.workflow());
        Files.writeString(mine.resolve("prompts/meetings-action-items.v1.mustache"), example.prompt());
        return mine;
    }

    private static String dirs(Path... dirs) {
        return String.join(java.io.File.pathSeparator, java.util.Arrays.stream(dirs).map(Path::toString).toList());
    }

    private static String transcriptBody() {
        return Json.write(Json.object().<tools.jackson.databind.node.ObjectNode>set("attendees", ATTENDEES)
                .put("transcript", "Quarterly planning. Ben Okafor will send the revised budget by Friday. Chen books the venue for the offsite. "
                        + "Ana Lopez drafts the hiring plan."));
    }

    @Test
    void theDocsWorkflowValidatesBesideTheExamplesAndCompletesOnTheDemoModelAsTheDocsShow() throws Exception {
        Example example = Example.fromDocs();
        Path mine = mine(example);
        Path examples = Path.of("..", "examples", "workflows");
        Cli.Run validate = Cli.run("workflows", "validate", examples.toString(), mine.toString(), "--data-dir", dir.resolve("var").toString());
        assertThat(validate.code()).as(validate.err()).isZero();
        assertThat(validate.out()).contains("ok  meetings/action-items", "4 workflow(s) valid in ");
        assertThat(validate.err()).as("nothing in either directory is passed over").isEmpty();

        Path config = dir.resolve("mainstay.yaml");
        // The demo model as shipped, minus its occasional simulated overload, so that the happy path is the only path.
        Files.writeString(config, "providers:\n  demo: { kind: demo, latency: 10ms..50ms, fault_rate: 0 }\n");
        Map<String, String> env = new HashMap<>(TestNode.env(dir));
        env.put("MAINSTAY_WORKFLOWS", dirs(examples, mine));
        try (MainstayServer node = MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC())) {
            Http http = new Http(node.baseUrl());
            assertThat(node.workflowWarnings()).isEmpty();

            Http.Response documented = http.post("/v1/meetings/action-items", KEY, example.body(), "Prefer", "wait=30");
            assertThat(documented.status()).as(documented.text()).isEqualTo(200);
            JsonNode job = documented.json();
            assertThat(job.path("status").asString()).isEqualTo(example.answer().path("status").asString()).isEqualTo("completed");
            assertThat(job.path("result_type").asString()).isEqualTo("full");
            assertThat(job.path("result")).as("the answer docs/workflows.md shows").isEqualTo(example.answer().path("result"));
            assertThat(job.path("provenance").path("provider").asString()).isEqualTo("demo");
            assertThat(job.path("provenance").path("validation").asString()).as("right the first time, no repair").isEqualTo("passed");

            JsonNode another = http.post("/v1/meetings/action-items", KEY, transcriptBody(), "Prefer", "wait=30").json();
            assertThat(another.path("status").asString()).isEqualTo("completed");
            assertThat(another.path("result").path("action_items").findValuesAsString("owner")).isNotEmpty()
                    .isSubsetOf("Ana Lopez", "Ben Okafor", "Chen Wei").contains("Ben Okafor", "Chen Wei", "Ana Lopez");
        }
    }

    @Test
    void overTheFakeProviderItCompletesAndDegradesAsDocumentedWhenTheProviderFails() throws Exception {
        Example example = Example.fromDocs();
        Path mine = mine(example);
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            try (TestNode node = TestNode.start(dir, config, Map.of("MAINSTAY_WORKFLOWS", dirs(dir.resolve("workflows"), mine)))) {
                // Happy path: the fake reads the rule in the system message and the attendees in their block.
                Http.Response ok = node.http.post("/v1/meetings/action-items", KEY, transcriptBody(), "Prefer", "wait=30");
                assertThat(ok.status()).as(ok.text()).isEqualTo(200);
                assertThat(ok.json().path("status").asString()).isEqualTo("completed");
                assertThat(ok.json().path("provenance").path("provider").asString()).isEqualTo("fake");
                assertThat(ok.json().path("provenance").path("validation").asString()).isEqualTo("passed");
                assertThat(ok.json().path("result").path("action_items").findValuesAsString("owner")).isSubsetOf("Ana Lopez", "Ben Okafor", "Chen Wei");
                JsonNode sent = fake.requests().getLast().body();
                assertThat(sent.toString()).contains(RULE.replace("\"", "\\\"")).contains("- Ben Okafor");

                // Two answers that break the schema (the first and its repair): the draft rung hands over the last one.
                fake.script(FaultScript.perJob(Fault.invalidOutput(), Fault.invalidOutput()));
                String drafted = node.http.post("/v1/meetings/action-items", KEY, transcriptBody()).json().path("id").asString();
                JsonNode draft = node.awaitTerminal(drafted);
                assertThat(draft.path("status").asString()).isEqualTo("degraded");
                assertThat(draft.path("result_type").asString()).isEqualTo("draft");
                assertThat(draft.path("error").isNull()).isTrue();
                assertThat(draft.path("provenance").path("fallback_path").valueStream().map(JsonNode::asString).toList())
                        .anySatisfy(step -> assertThat(step).startsWith("draft"));

                // The provider down through both attempts: nothing to hand over, so a person decides.
                fake.script(FaultScript.perJob(Fault.status(503), Fault.status(503)));
                String reviewed = node.http.post("/v1/meetings/action-items", KEY, transcriptBody()).json().path("id").asString();
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> node.http.get("/v1/jobs/" + reviewed, KEY).json().path("status").asString().equals("waiting_for_review"));
                JsonNode waiting = node.http.get("/v1/jobs/" + reviewed, KEY).json();
                assertThat(waiting.path("provenance").path("fallback_path").valueStream().map(JsonNode::asString).toList())
                        .anySatisfy(step -> assertThat(step).startsWith("fake/gpt-4o-mini: provider_unavailable"));
                String review = null;
                for (JsonNode r : node.http.get("/v1/reviews?limit=500", KEY).json().path("reviews")) {
                    if (r.path("job_id").asString().equals(reviewed)) {
                        review = r.path("id").asString();
                    }
                }
                assertThat(review).as("a review for " + reviewed).isNotNull();
                Http.Response decided = node.http.post("/v1/reviews/" + review + "/decision", KEY,
                        "{\"decision\": \"edit\", \"output\": {\"action_items\": [{\"task\": \"Send the revised budget\", \"owner\": \"Ben Okafor\"}]}}");
                assertThat(decided.status()).as(decided.text()).isEqualTo(200);
                JsonNode done = node.awaitTerminal(reviewed);
                assertThat(done.path("status").asString()).isEqualTo("degraded");
                assertThat(done.path("result_type").asString()).isEqualTo("full");
                assertThat(done.path("result").path("action_items").get(0).path("owner").asString()).isEqualTo("Ben Okafor");
            }
        }
    }
}
