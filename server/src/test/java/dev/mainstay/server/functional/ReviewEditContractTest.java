package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * A reviewer's edit meets the same output contract as a model's answer: the schema, the stage's
 * CEL rules (here a relational one: every owner is an attendee) and the confidence field. A rule
 * may be overridden only explicitly, with a note, and the override is recorded in the audit log
 * and the job's provenance.
 */
class ReviewEditContractTest {
    private static final String RULE = "output.items.all(i, i.owner in input.attendees)";

    // Every answer breaks the schema: each job goes to review with nothing a person could approve.
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup
            .file("prompts/action-items.mustache", "List the action items.\n<transcript>\n{{input.transcript}}\n</transcript>\n")
            .workflow("test/action-items", """
            workflow: test/action-items
            version: 1
            latency: async
            input:
              type: object
              required: [transcript, attendees]
              properties:
                transcript: { type: string, minLength: 1 }
                attendees: { type: array, minItems: 1, items: { type: string } }
            stages:
              - id: extract
                model:
                  prompt: prompts/action-items.mustache
                  route: [primary]
                  timeout: 2s
                output:
                  schema:
                    type: object
                    required: [items]
                    properties:
                      items:
                        type: array
                        items: { type: object, required: [task, owner], properties: { task: { type: string }, owner: { type: string } } }
                      confidence: { type: number, minimum: 0, maximum: 1 }
                  rules:
                    - "%s"
                  confidence: { field: confidence, min: 0.6, below: review }
                retry: { attempts: 1 }
            fallback: [review]
            """.formatted(RULE)))
            .script(FaultScript.always(Fault.invalidOutput()));
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;

    @Test
    void anEditThatBreaksARuleIsRefusedNamingTheRuleAndTheReviewStaysPending() {
        String review = waitingReview("The deck goes out Friday.");
        Http.Response refused = decide(review, "{\"decision\": \"edit\", \"output\": {\"items\": [{\"task\": \"Send the deck\", \"owner\": \"Mallory\"}], \"confidence\": 0.9}}");
        assertProblem(refused, 400, "invalid_input");
        assertThat(refused.json().path("detail").asString()).contains("rule '" + RULE + "' is false").contains("\"override\": true");
        assertThat(refused.json().path("errors")).singleElement().satisfies(e -> {
            assertThat(e.path("pointer").asString()).isEqualTo("/output");
            assertThat(e.path("detail").asString()).isEqualTo("rule '" + RULE + "' is false");
        });
        assertThat(node.http.get("/v1/reviews/" + review, KEY).json().path("status").asString()).isEqualTo("pending");

        assertThat(decide(review, "{\"decision\": \"edit\", \"output\": {\"items\": [{\"task\": \"Send the deck\", \"owner\": \"Ada\"}], \"confidence\": 0.9}}").status())
                .isEqualTo(200);
        JsonNode done = jobOf(review);
        assertThat(done.path("status").asString()).isEqualTo("degraded");
        assertThat(done.path("result_type").asString()).isEqualTo("full");
        assertThat(done.path("result").path("items").get(0).path("owner").asString()).isEqualTo("Ada");
        assertThat(done.path("provenance").path("validation").asString()).isEqualTo("reviewed");
    }

    @Test
    void anEditWithoutTheConfidenceFieldIsRefusedAtItsPointerButALowConfidenceIsAPersonsCall() {
        String review = waitingReview("Grace books the room.");
        Http.Response missing = decide(review, "{\"decision\": \"edit\", \"output\": {\"items\": [{\"task\": \"Book the room\", \"owner\": \"Grace\"}]}}");
        assertProblem(missing, 400, "invalid_input");
        assertThat(missing.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/output/confidence");

        // Below the gate's minimum: the gate exists to ask a person, and a person has decided.
        assertThat(decide(review, "{\"decision\": \"edit\", \"output\": {\"items\": [{\"task\": \"Book the room\", \"owner\": \"Grace\"}], \"confidence\": 0.3}}").status())
                .isEqualTo(200);
        assertThat(jobOf(review).path("result").path("confidence").asDouble()).isEqualTo(0.3);
    }

    @Test
    void anOverrideNeedsANoteAndIsAuditedAndMarkedInProvenance() {
        String review = waitingReview("Mallory, a guest, sends the minutes.");
        String edit = "{\"task\": \"Send the minutes\", \"owner\": \"Mallory\"}";
        Http.Response noNote = decide(review, "{\"decision\": \"edit\", \"override\": true, \"output\": {\"items\": [" + edit + "], \"confidence\": 0.9}}");
        assertProblem(noNote, 400, "invalid_input");
        assertThat(noNote.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/note");
        assertProblem(decide(review, "{\"decision\": \"approve\", \"override\": true}"), 400, "invalid_input");
        assertProblem(decide(review, "{\"decision\": \"edit\", \"override\": \"yes\", \"output\": {\"items\": []}}"), 400, "invalid_input");
        // The schema is never overridden: downstream code relies on the shape.
        Http.Response shape = decide(review, "{\"decision\": \"edit\", \"override\": true, \"note\": \"x\", \"output\": {\"items\": [{\"task\": \"Send\"}]}}");
        assertProblem(shape, 400, "invalid_input");
        assertThat(shape.json().path("errors").get(0).path("pointer").asString()).startsWith("/output/items/0");

        Http.Response overridden = decide(review, "{\"decision\": \"edit\", \"override\": true, \"note\": \"Mallory attends as a guest\", \"output\": {\"items\": ["
                + edit + "], \"confidence\": 0.9}}");
        assertThat(overridden.status()).as(overridden.text()).isEqualTo(200);
        assertThat(overridden.json().path("status").asString()).isEqualTo("edited");
        JsonNode done = jobOf(review);
        assertThat(done.path("status").asString()).isEqualTo("degraded");
        assertThat(done.path("provenance").path("validation").asString()).isEqualTo("overridden");
        List<String> path = done.path("provenance").path("fallback_path").values().stream().map(JsonNode::asString).toList();
        assertThat(path.getLast()).startsWith("review: edited by key_demo_").contains("(Mallory attends as a guest)")
                .endsWith("output contract overridden: /output: rule '" + RULE + "' is false");

        JsonNode audit = node.http.get("/v1/admin/audit?job=" + done.path("id").asString() + "&action=review.decided", TestNode.ADMIN_KEY).json();
        assertThat(audit.path("records")).singleElement().satisfies(r -> {
            assertThat(r.path("actor").asString()).startsWith("key:key_demo_");
            assertThat(r.path("details").path("decision").asString()).isEqualTo("edit");
            assertThat(r.path("details").path("overridden").get(0).asString()).isEqualTo("/output: rule '" + RULE + "' is false");
        });
    }

    private String waitingReview(String transcript) {
        String id = node.http.post("/v1/test/action-items", KEY,
                "{\"transcript\": \"" + transcript + "\", \"attendees\": [\"Ada\", \"Grace\"]}").json().path("id").asString();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                node.http.get("/v1/jobs/" + id, KEY).json().path("status").asString().equals("waiting_for_review"));
        for (JsonNode r : node.http.get("/v1/reviews?limit=500", KEY).json().path("reviews")) {
            if (r.path("job_id").asString().equals(id)) {
                return r.path("id").asString();
            }
        }
        throw new AssertionError("no review for " + id);
    }

    private JsonNode jobOf(String reviewId) {
        return node.awaitTerminal(node.http.get("/v1/reviews/" + reviewId, KEY).json().path("job_id").asString());
    }

    private Http.Response decide(String reviewId, String body) {
        return node.http.post("/v1/reviews/" + reviewId + "/decision", KEY, body);
    }
}
