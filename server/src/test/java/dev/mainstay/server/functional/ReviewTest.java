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

/** The review rung: a job waits for a person, whose decision (or the expiry) finishes it. */
class ReviewTest {
    private static final String STAGE = """
              - id: %s
                model:
                  prompt: prompts/echo.mustache
                  route: [primary]
                  timeout: 2s
                output:
                  schema: { type: object, required: [summary], properties: { summary: { type: string, minLength: 3 } } }
                retry: { attempts: 1 }
            """;
    // The fake's answers satisfy the schema but never this rule: proposals a person may approve.
    private static final String RULED = STAGE.formatted("only").replace("    retry:", "      rules: [\"output.summary.startsWith('Checked')\"]\n    retry:");

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup
            .workflow("test/reviewed", """
                    workflow: test/reviewed
                    version: 1
                    input: { type: object, required: [text], properties: { text: { type: string } } }
                    stages:
                    """ + STAGE.formatted("only") + "fallback: [review]\n")
            .workflow("test/reviewed-pipeline", """
                    workflow: test/reviewed-pipeline
                    version: 1
                    deadline: 3s
                    input: { type: object, required: [text], properties: { text: { type: string } } }
                    stages:
                    """ + STAGE.formatted("first") + STAGE.formatted("second") + "fallback:\n  - review: { expires: 1h }\n")
            .workflow("test/reviewed-rules", """
                    workflow: test/reviewed-rules
                    version: 1
                    input: { type: object, required: [text], properties: { text: { type: string } } }
                    stages:
                    """ + RULED + "fallback: [review]\n")
            .workflow("test/reviewed-expiring", """
                    workflow: test/reviewed-expiring
                    version: 1
                    input: { type: object, required: [text], properties: { text: { type: string } } }
                    stages:
                    """ + RULED + "fallback:\n  - review: { expires: 1s, on_expiry: approve }\n"));
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;

    private JsonNode waitingJob(String workflow, String text, FaultScript script) {
        fake.script(script);
        String id = node.http.post("/v1/" + workflow, KEY, "{\"text\": \"" + text + "\"}").json().path("id").asString();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                node.http.get("/v1/jobs/" + id, KEY).json().path("status").asString().equals("waiting_for_review"));
        return node.http.get("/v1/jobs/" + id, KEY).json();
    }

    private JsonNode reviewOf(String jobId) {
        for (JsonNode r : node.http.get("/v1/reviews?limit=500", KEY).json().path("reviews")) {
            if (r.path("job_id").asString().equals(jobId)) {
                return r;
            }
        }
        throw new AssertionError("no review for " + jobId);
    }

    private Http.Response decide(String reviewId, String body) {
        return node.http.post("/v1/reviews/" + reviewId + "/decision", KEY, body);
    }

    @Test
    void approvingTheProposedAnswerFinishesTheJobWithTheReviewerRecorded() {
        JsonNode job = waitingJob("test/reviewed-rules", "approve me.", FaultScript.none());
        JsonNode review = reviewOf(job.path("id").asString());
        assertThat(review.path("status").asString()).isEqualTo("pending");
        String proposed = review.path("proposed").path("summary").asString();
        assertThat(proposed).isNotEmpty().doesNotStartWith("Checked");
        assertThat(node.http.get("/v1/reviews?status=pending", KEY).json().path("reviews").findValuesAsString("id")).contains(review.path("id").asString());

        Http.Response decided = decide(review.path("id").asString(), "{\"decision\": \"approve\", \"note\": \"fine as is\"}");
        assertThat(decided.status()).isEqualTo(200);
        assertThat(decided.json().path("status").asString()).isEqualTo("approved");
        assertThat(decided.json().path("reviewer").asString()).startsWith("key_demo_");
        JsonNode done = node.awaitTerminal(job.path("id").asString());
        assertThat(done.path("status").asString()).isEqualTo("degraded");
        assertThat(done.path("result").path("summary").asString()).isEqualTo(proposed);
        assertThat(done.path("provenance").path("validation").asString()).isEqualTo("reviewed");
        List<String> path = done.path("provenance").path("fallback_path").values().stream().map(JsonNode::asString).toList();
        assertThat(path.getLast()).startsWith("review: approved by key_demo_").endsWith("(fine as is)");

        assertProblem(decide(review.path("id").asString(), "{\"decision\": \"reject\"}"), 409, "invalid_state");
    }

    @Test
    void aProposalOutsideTheSchemaCannotBeApprovedOnlyEdited() {
        JsonNode job = waitingJob("test/reviewed", "not like this.", FaultScript.perJob(Fault.invalidOutput(), Fault.invalidOutput()));
        assertThat(job.path("error").path("code").asString()).isEqualTo("invalid_model_output");
        String reviewId = reviewOf(job.path("id").asString()).path("id").asString();
        Http.Response refused = decide(reviewId, "{\"decision\": \"approve\"}");
        assertProblem(refused, 409, "invalid_state");
        assertThat(refused.json().path("detail").asString()).contains("does not satisfy the output schema").contains("send decision 'edit'");
        assertThat(node.http.get("/v1/reviews/" + reviewId, KEY).json().path("status").asString()).isEqualTo("pending");
        assertThat(decide(reviewId, "{\"decision\": \"edit\", \"output\": {\"summary\": \"Fixed by hand.\"}}").status()).isEqualTo(200);
        assertThat(node.awaitTerminal(job.path("id").asString()).path("result").path("summary").asString()).isEqualTo("Fixed by hand.");
    }

    @Test
    void anEditIsCheckedAgainstTheStageContract() {
        JsonNode job = waitingJob("test/reviewed", "edit me.", FaultScript.perJob(Fault.refusal()));
        String reviewId = reviewOf(job.path("id").asString()).path("id").asString();
        assertProblem(decide(reviewId, "{\"decision\": \"approve\"}"), 409, "invalid_state");
        Http.Response bad = decide(reviewId, "{\"decision\": \"edit\", \"output\": {\"summary\": \"no\"}}");
        assertProblem(bad, 400, "invalid_input");
        assertThat(bad.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/output/summary");
        assertProblem(decide(reviewId, "{\"decision\": \"maybe\"}"), 400, "invalid_input");

        assertThat(decide(reviewId, "{\"decision\": \"edit\", \"output\": {\"summary\": \"Written by a person.\"}}").status()).isEqualTo(200);
        JsonNode done = node.awaitTerminal(job.path("id").asString());
        assertThat(done.path("status").asString()).isEqualTo("degraded");
        assertThat(done.path("result").path("summary").asString()).isEqualTo("Written by a person.");
    }

    @Test
    void rejectingFailsTheJobWithReviewRejected() {
        JsonNode job = waitingJob("test/reviewed", "reject me.", FaultScript.perJob(Fault.status(400)));
        String reviewId = reviewOf(job.path("id").asString()).path("id").asString();
        decide(reviewId, "{\"decision\": \"reject\", \"note\": \"wrong customer\"}");
        JsonNode done = node.awaitTerminal(job.path("id").asString());
        assertThat(done.path("status").asString()).isEqualTo("failed");
        assertThat(done.path("error").path("code").asString()).isEqualTo("review_rejected");
        assertThat(done.path("error").path("message").asString()).contains("wrong customer");
    }

    @Test
    void anEditedEarlyStageLetsTheJobGoOnToTheNextStage() {
        JsonNode job = waitingJob("test/reviewed-pipeline", "two steps.", FaultScript.perJob(Fault.refusal(), Fault.ok()));
        String reviewId = reviewOf(job.path("id").asString()).path("id").asString();
        // The person decides after the workflow's 3 s deadline: the next stage still gets its time.
        Awaitility.await().pollDelay(Duration.ofMillis(3500)).until(() -> true);
        decide(reviewId, "{\"decision\": \"edit\", \"output\": {\"summary\": \"First stage by hand.\"}}");
        JsonNode done = node.awaitTerminal(job.path("id").asString());
        assertThat(done.path("status").asString()).isEqualTo("completed");
        assertThat(done.path("stages").get(0).path("output").isMissingNode()).isTrue();
        assertThat(done.path("stages").get(1).path("status").asString()).isEqualTo("completed");
        assertThat(fake.requests().stream().filter(r -> r.job().equals(job.path("id").asString())).map(r -> r.stage()).toList())
                .containsExactly("first", "second");
    }

    @Test
    void anExpiredReviewTakesItsDeclaredOutcome() {
        JsonNode job = waitingJob("test/reviewed-expiring", "nobody looks.", FaultScript.none());
        JsonNode done = node.awaitTerminal(job.path("id").asString());
        assertThat(done.path("status").asString()).isEqualTo("degraded");
        JsonNode review = node.http.get("/v1/reviews/" + reviewOf(job.path("id").asString()).path("id").asString(), KEY).json();
        assertThat(review.path("status").asString()).isEqualTo("approved");
        assertThat(review.path("reviewer").asString()).isEqualTo("system:expiry");

        // A proposal outside the schema is never approved by expiry: the job is rejected instead.
        JsonNode invalid = waitingJob("test/reviewed-expiring", "still nobody.", FaultScript.perJob(Fault.invalidOutput(), Fault.invalidOutput()));
        JsonNode rejected = node.awaitTerminal(invalid.path("id").asString());
        assertThat(rejected.path("status").asString()).isEqualTo("failed");
        assertThat(rejected.path("error").path("code").asString()).isEqualTo("review_rejected");
    }

    @Test
    void reviewsAreAccountScopedAndCancellingClosesThem() {
        JsonNode job = waitingJob("test/reviewed", "private.", FaultScript.perJob(Fault.refusal()));
        String reviewId = reviewOf(job.path("id").asString()).path("id").asString();
        String other = node.http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Other\"}").json().path("api_key").path("secret").asString();
        assertProblem(node.http.get("/v1/reviews/" + reviewId, other), 404, "not_found");
        assertProblem(node.http.post("/v1/reviews/" + reviewId + "/decision", other, "{\"decision\": \"reject\"}"), 404, "not_found");
        assertThat(node.http.get("/v1/reviews", other).json().path("reviews").size()).isZero();

        assertThat(node.http.post("/v1/jobs/" + job.path("id").asString() + "/cancel", KEY, null).json().path("status").asString()).isEqualTo("cancelled");
        JsonNode closed = node.http.get("/v1/reviews/" + reviewId, KEY).json();
        assertThat(closed.path("status").asString()).isEqualTo("rejected");
        assertThat(closed.path("reviewer").asString()).isEqualTo("system:cancel");
    }
}
