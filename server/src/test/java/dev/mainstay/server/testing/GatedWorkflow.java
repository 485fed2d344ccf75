package dev.mainstay.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;

/**
 * {@code notes/summary}, a workflow with an activation gate, in versions that the fake provider
 * answers well or badly: the fake answers from the text inside the prompt's tags, so a version whose
 * prompt keeps the note ({@link #GOOD}) says what the note said, and one whose prompt dropped it
 * ({@link #WORSE}) cannot, and misses every case that expects a word of the note.
 */
public final class GatedWorkflow {
    public static final String NAME = "notes/summary";
    public static final String GOOD = "Summarise.\n<text>{{input.text}}</text>\n";
    public static final String BETTER = "Summarise the note in one sentence.\n<text>{{input.text}}</text>\n";
    public static final String WORSE = "Summarise.\n<text>Nothing to report.</text>\n";
    /** The cases a version that drops the note regresses on, in suite order. */
    public static final String[] NOTE_CASES = {"budget", "hiring", "launch"};

    private GatedWorkflow() {
    }

    /** Writes version {@code version} of the workflow with {@code prompt}, and the gate's suite. */
    public static void write(Path workflows, int version, String prompt) throws IOException {
        write(workflows, version, prompt, true);
    }

    /** Writes version {@code version} of the workflow with {@code prompt} and its suite, with the gate or without it. */
    public static void write(Path workflows, int version, String prompt, boolean gated) throws IOException {
        Path dir = Files.createDirectories(workflows.resolve("notes"));
        Files.writeString(dir.resolve("summary-v" + version + ".yaml"), """
                workflow: notes/summary
                version: %d
                latency: async
                input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                stages:
                  - id: only
                    model: { prompt: summary-v%d.mustache, route: [primary] }
                    output: { schema: { type: object, required: [summary], additionalProperties: false, properties: { summary: { type: string } } } }
                evals: summary.evals.yaml
                """.formatted(version, version) + (gated ? "activation: { suite: notes-summary, min_score: 0.9, max_regression: 0.02 }\n" : ""));
        Files.writeString(dir.resolve("summary-v" + version + ".mustache"), prompt);
        Files.writeString(dir.resolve("summary.evals.yaml"), """
                suite: notes-summary
                threshold: 0.9
                gate: true
                scorers:
                  - schema_valid
                cases:
                  - id: budget
                    input: { text: The budget was approved on Monday. }
                    expect:
                      - contains: { field: summary, value: budget }
                  - id: hiring
                    input: { text: Hiring is paused until spring. }
                    expect:
                      - contains: { field: summary, value: Hiring }
                  - id: launch
                    input: { text: The launch moved to June. }
                    expect:
                      - contains: { field: summary, value: launch }
                  - id: empty-text-is-refused
                    input: { text: "" }
                    expect:
                      - status: [rejected]
                      - error_code: [invalid_input]
                """);
    }

    /** {@code GET /v1/admin/workflows/notes/summary}. */
    public static JsonNode view(Http http) {
        Http.Response r = http.get("/v1/admin/workflows/" + NAME, TestNode.ADMIN_KEY);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    /** The version's entry in {@link #view}. */
    public static JsonNode version(JsonNode view, int version) {
        for (JsonNode v : view.path("versions")) {
            if (v.path("version").asInt() == version) {
                return v;
            }
        }
        throw new AssertionError("no version " + version + " in " + view);
    }

    /** Awaits the decision of the version's gate, which the node opened by itself; returns the gate. */
    public static JsonNode awaitDecision(Http http, int version) {
        JsonNode[] gate = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            gate[0] = version(view(http), version).path("gate");
            return gate[0].isObject() && !gate[0].path("decision").asString().equals("pending");
        });
        return gate[0];
    }

    /** Submits a note with the customer key and returns the version the job was pinned to. */
    public static int submittedVersion(Http http) {
        Http.Response r = http.post("/v1/" + NAME, TestNode.DEMO_KEY, "{\"text\": \"The office moves in May.\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(202);
        return r.json().path("workflow_version").asInt();
    }
}
