package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.RecordedRequest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Retries, the outcome classifier, repair, dead letters and replay, driven by scripted faults of
 * the fake provider over real HTTP. Each test uses a per-job script, so tests do not disturb each
 * other. test/echo allows 3 attempts with 20..100 ms backoff and a 1 s call timeout.
 */
class RetryAndFaultTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;

    private JsonNode run(FaultScript script, String text) {
        fake.script(script);
        Http.Response r = node.http.post("/v1/test/echo", KEY, "{\"text\": \"" + text + "\"}");
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        return node.awaitTerminal(r.json().path("id").asString());
    }

    private static List<RecordedRequest> callsOf(JsonNode job) {
        return fake.requests().stream().filter(r -> r.job().equals(job.path("id").asString())).toList();
    }

    private static JsonNode stage(JsonNode job) {
        return job.path("stages").get(0);
    }

    @Test
    void rateLimitThenServerErrorThenSuccessCompletesOnTheThirdAttempt() {
        JsonNode job = run(FaultScript.perJob(Fault.status(429).retryAfter(Duration.ofSeconds(1)), Fault.status(500)), "retry me.");
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(stage(job).path("attempts").asInt()).isEqualTo(3);
        assertThat(callsOf(job)).hasSize(3);
        JsonNode events = node.http.get("/v1/jobs/" + job.path("id").asString() + "/events", KEY).json().path("events");
        JsonNode firstRetry = null;
        for (JsonNode e : events) {
            if (e.path("type").asString().equals("retry_scheduled") && firstRetry == null) {
                firstRetry = e;
            }
        }
        assertThat(firstRetry).isNotNull();
        assertThat(firstRetry.path("data").path("code").asString()).isEqualTo("provider_rate_limited");
        // Retry-After: 1 is a floor even though the policy's max_backoff is 100 ms.
        assertThat(firstRetry.path("data").path("delay_ms").asLong()).isGreaterThanOrEqualTo(1000);
    }

    @Test
    void exhaustedRetriesDeadLetterTheJobAndReplayResumesIt() {
        JsonNode job = run(FaultScript.perJob(Fault.status(503), Fault.status(503), Fault.status(503)), "always down.");
        String id = job.path("id").asString();
        assertThat(job.path("status").asString()).isEqualTo("failed");
        assertThat(job.path("error").path("code").asString()).isEqualTo("provider_unavailable");
        assertThat(job.path("error").path("retryable").asBoolean()).isTrue();
        assertThat(job.path("dead_letter").asBoolean()).isTrue();
        assertThat(job.path("links").path("replay").asString()).isEqualTo("/v1/jobs/" + id + "/replay");
        assertThat(callsOf(job)).hasSize(3);
        JsonNode deadLetters = node.http.get("/v1/jobs?status=failed&dead_letter=true&limit=500", KEY).json().path("jobs");
        assertThat(deadLetters.findValuesAsString("id")).contains(id);

        Http.Response replay = node.http.post("/v1/jobs/" + id + "/replay", KEY, null);
        assertThat(replay.status()).isEqualTo(202);
        assertThat(replay.json().path("status").asString()).isIn("queued", "processing", "completed");
        if (!replay.json().path("status").asString().equals("completed")) {
            assertThat(replay.json().path("completed_at").isNull()).as("a replayed job is unfinished again").isTrue();
            assertThat(replay.json().path("error").isNull()).isTrue();
        }
        JsonNode done = node.awaitTerminal(id);
        assertThat(done.path("status").asString()).isEqualTo("completed");
        assertThat(done.path("dead_letter").asBoolean()).isFalse();
        assertThat(done.path("error").isNull()).isTrue();
        assertThat(callsOf(job)).hasSize(4);
    }

    @Test
    void replayResumesAtTheFailedStageAndKeepsCommittedOnes() {
        // pipeline: stage "first" succeeds, "second" fails for good (refusal), then replay.
        fake.script(FaultScript.perJob(Fault.ok(), Fault.refusal()));
        String id = node.http.post("/v1/test/pipeline", KEY, "{\"text\": \"two stages.\"}").json().path("id").asString();
        JsonNode failed = node.awaitTerminal(id);
        assertThat(failed.path("status").asString()).isEqualTo("failed");
        assertThat(failed.path("error").path("code").asString()).isEqualTo("provider_refused");
        assertThat(failed.path("dead_letter").asBoolean()).isFalse();
        node.http.post("/v1/jobs/" + id + "/replay", KEY, null);
        JsonNode done = node.awaitTerminal(id);
        assertThat(done.path("status").asString()).isEqualTo("completed");
        List<String> stages = fake.requests().stream().filter(r -> r.job().equals(id)).map(RecordedRequest::stage).toList();
        assertThat(stages).containsExactly("first", "second", "second");
    }

    @Test
    void refusalIsNotRetried() {
        JsonNode job = run(FaultScript.perJob(Fault.refusal()), "refuse me.");
        assertThat(job.path("status").asString()).isEqualTo("failed");
        assertThat(job.path("error").path("code").asString()).isEqualTo("provider_refused");
        assertThat(job.path("error").path("retryable").asBoolean()).isFalse();
        assertThat(callsOf(job)).hasSize(1);
    }

    @Test
    void clientErrorFromTheProviderIsNotRetried() {
        JsonNode job = run(FaultScript.perJob(Fault.status(400)), "bad request.");
        assertThat(job.path("error").path("code").asString()).isEqualTo("provider_rejected");
        assertThat(callsOf(job)).hasSize(1);
    }

    @Test
    void hangPastTheTimeoutIsRetriedAsATimeout() {
        JsonNode job = run(FaultScript.perJob(Fault.hang()), "slow provider.");
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(stage(job).path("attempts").asInt()).isEqualTo(2);
        JsonNode events = node.http.get("/v1/jobs/" + job.path("id").asString() + "/events", KEY).json().path("events");
        assertThat(events.findValuesAsString("code")).contains("provider_timeout");
    }

    @Test
    void resetsMalformedBodiesAndTruncationAreTransient() {
        JsonNode job = run(FaultScript.perJob(Fault.reset(), Fault.malformed()), "flaky network.");
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(stage(job).path("attempts").asInt()).isEqualTo(3);
        JsonNode truncated = run(FaultScript.perJob(Fault.truncated()), "cut short.");
        assertThat(truncated.path("status").asString()).isEqualTo("completed");
        assertThat(stage(truncated).path("attempts").asInt()).isEqualTo(2);
    }

    @Test
    void invalidOutputIsRepairedOnce() {
        JsonNode job = run(FaultScript.perJob(Fault.invalidOutput()), "repair me.");
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(job.path("provenance").path("validation").asString()).isEqualTo("repaired");
        List<RecordedRequest> calls = callsOf(job);
        assertThat(calls).hasSize(2);
        JsonNode repairMessages = calls.get(1).body().path("messages");
        assertThat(repairMessages.get(repairMessages.size() - 1).path("content").asString()).contains("does not satisfy").contains("summary");
    }

    @Test
    void outputStillInvalidAfterRepairFailsWithInvalidModelOutput() {
        JsonNode job = run(FaultScript.perJob(Fault.proseOutput(), Fault.invalidOutput()), "never valid.");
        assertThat(job.path("status").asString()).isEqualTo("failed");
        assertThat(job.path("error").path("code").asString()).isEqualTo("invalid_model_output");
        assertThat(job.path("error").path("message").asString()).contains("/summary");
        assertThat(stage(job).path("provenance").path("validation").asString()).isEqualTo("failed");
        assertThat(callsOf(job)).hasSize(2);
        assertThat(job.path("usage").path("input_tokens").asLong()).isPositive();
    }
}
