package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/** The HTTP contract of DESIGN §4 through real HTTP: statuses, envelopes and every refusal. */
class ApiContractTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();
    static final Http http = node.http;
    static final FakeProvider fake = node.fake;
    static final String KEY = TestNode.DEMO_KEY;
    static final String DOC = "{\"document\": \"Mainstay keeps jobs durable. Retries are bounded. Results carry provenance.\", \"max_points\": 2}";

    @BeforeEach
    void reset() {
        fake.script(FaultScript.none());
    }

    @Test
    void waitLatencyAnswers200WithTheFullEnvelopeWhenDoneInTime() {
        Http.Response r = http.post("/v1/briefs/extract-key-points", KEY, DOC, "Prefer", "wait=20");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Preference-Applied")).isEqualTo("wait=20");
        JsonNode job = r.json();
        assertThat(job.propertyNames()).contains("id", "workflow", "workflow_version", "status", "result_type", "result", "error",
                "retry_after", "provenance", "usage", "timings", "created_at", "updated_at", "completed_at", "links");
        assertThat(job.path("status").asString()).isEqualTo("completed");
        assertThat(job.path("result_type").asString()).isEqualTo("full");
        assertThat(job.path("result").path("points").size()).isBetween(1, 20);
        assertThat(job.path("result").path("points").get(0).asString()).isEqualTo("Mainstay keeps jobs durable.");
        JsonNode provenance = job.path("provenance");
        assertThat(provenance.path("provider").asString()).isEqualTo("fake");
        assertThat(provenance.path("model").asString()).isEqualTo("gpt-4o-mini-fake-0001");
        assertThat(provenance.path("prompt_version").asString()).startsWith("prompts/extract-key-points.v1.mustache@");
        assertThat(provenance.path("schema_version").asString()).hasSize(12);
        assertThat(provenance.path("validation").asString()).isEqualTo("passed");
        assertThat(job.path("usage").path("input_tokens").asLong()).isPositive();
        assertThat(job.path("usage").path("cost_usd").asString()).matches("\\d+\\.\\d{6}");
        assertThat(job.path("timings").path("total_ms").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(r.header("Location")).isEqualTo("/v1/jobs/" + job.path("id").asString());
        assertThat(fake.requests().getLast().body().path("response_format").path("type").asString()).isEqualTo("json_schema");
    }

    @Test
    void waitLatencyWithoutPreferAnswers202AndTheJobCompletesLater() {
        fake.script(FaultScript.always(Fault.ok().latency(Duration.ofMillis(300))));
        Http.Response r = http.post("/v1/briefs/extract-key-points", KEY, DOC);
        assertThat(r.status()).isEqualTo(202);
        assertThat(r.json().path("status").asString()).isIn("queued", "processing");
        JsonNode done = node.awaitTerminal(r.json().path("id").asString());
        assertThat(done.path("status").asString()).isEqualTo("completed");
    }

    @Test
    void asyncWorkflowAlways202EvenWithPrefer() {
        Http.Response r = http.post("/v1/support/draft-response", KEY,
                "{\"ticket\": {\"subject\": \"Refund\", \"body\": \"I was charged twice. Please refund one charge.\"}}", "Prefer", "wait=10");
        assertThat(r.status()).isEqualTo(202);
        JsonNode done = node.awaitTerminal(r.json().path("id").asString());
        assertThat(done.path("status").asString()).isEqualTo("completed");
        assertThat(done.path("stages").size()).isEqualTo(2);
        assertThat(done.path("result").path("reply").asString()).isNotBlank();
        assertThat(done.path("stages").get(0).path("id").asString()).isEqualTo("triage");
    }

    @Test
    void instantWorkflowAnswers200WithTheFinishedJob() {
        Http.Response r = http.post("/v1/leads/classify", KEY, "{\"message\": \"We want to buy 300 seats for our enterprise.\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("status").asString()).isEqualTo("completed");
        assertThat(r.json().path("result").path("intent").asString()).isEqualTo("buy");
    }

    @Test
    void missingOrInvalidKeyIs401Problem() {
        Http.Response none = http.post("/v1/briefs/extract-key-points", null, DOC);
        assertProblem(none, 401, "unauthorized");
        assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
        assertProblem(http.post("/v1/briefs/extract-key-points", "ms_live_wrongwrongwrongwrong", DOC), 401, "unauthorized");
        assertProblem(http.get("/v1/jobs", "not-a-key"), 401, "unauthorized");
        Http.Response basic = http.send(http.request("/v1/jobs").header("Authorization", "Basic abc").GET().build());
        assertProblem(basic, 401, "unauthorized");
    }

    @Test
    void unknownWorkflowIs404UnknownWorkflow() {
        assertProblem(http.post("/v1/briefs/no-such-thing", KEY, DOC), 404, "unknown_workflow");
    }

    @Test
    void schemaViolationsAre400WithJsonPointers() {
        Http.Response r = http.post("/v1/briefs/extract-key-points", KEY, "{\"max_points\": \"many\", \"extra\": 1}");
        assertProblem(r, 400, "invalid_input");
        Set<String> pointers = new HashSet<>();
        r.json().path("errors").forEach(e -> pointers.add(e.path("pointer").asString()));
        assertThat(pointers).contains("/document", "/max_points", "/extra");
        Http.Response nested = http.post("/v1/support/draft-response", KEY, "{\"ticket\": {\"subject\": \"\", \"body\": 5}}");
        assertProblem(nested, 400, "invalid_input");
        Set<String> nestedPointers = new HashSet<>();
        nested.json().path("errors").forEach(e -> nestedPointers.add(e.path("pointer").asString()));
        assertThat(nestedPointers).contains("/ticket/subject", "/ticket/body");
    }

    @Test
    void malformedBodiesAre400NeverA5xx() {
        assertProblem(http.post("/v1/briefs/extract-key-points", KEY, "{\"document\": "), 400, "invalid_input");
        assertProblem(http.post("/v1/briefs/extract-key-points", KEY, "{} trailing"), 400, "invalid_input");
        assertProblem(http.post("/v1/briefs/extract-key-points", KEY, "[1, 2]"), 400, "invalid_input");
        assertProblem(http.post("/v1/briefs/extract-key-points", KEY, "\"just a string\""), 400, "invalid_input");
        assertProblem(http.post("/v1/briefs/extract-key-points", KEY, ""), 400, "invalid_input");
        assertProblem(http.post("/v1/briefs/extract-key-points", KEY, "{\"document\": \"a\", \"document\": \"b\"}"), 400, "invalid_input");
        Http.Response deep = http.post("/v1/briefs/extract-key-points", KEY, "{\"document\": " + "[".repeat(5000) + "]".repeat(5000) + "}");
        assertProblem(deep, 400, "invalid_input");
        assertThat(deep.json().path("detail").asString()).contains("nested");
        byte[] badUtf8 = {'{', '"', 'd', 'o', 'c', 'u', 'm', 'e', 'n', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        Http.Response utf = http.send(http.request("/v1/briefs/extract-key-points").header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(badUtf8)).build());
        assertProblem(utf, 400, "invalid_input");
    }

    @Test
    void wrongContentTypeIs415() {
        assertProblem(http.post("/v1/briefs/extract-key-points", KEY, DOC, "Content-Type", "text/plain"), 415, "unsupported_media_type");
        assertProblem(http.post("/v1/briefs/extract-key-points", KEY, DOC, "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type");
    }

    @Test
    void oversizedBodyIs413() {
        String huge = "{\"document\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}";
        Http.Response r = http.post("/v1/briefs/extract-key-points", KEY, huge);
        assertProblem(r, 413, "payload_too_large");
        assertThat(http.get("/health/live", null).status()).isEqualTo(200);
    }

    @Test
    void wrongMethodIs405AndUnknownPathIs404() {
        Http.Response r = http.get("/v1/briefs/extract-key-points", KEY);
        assertProblem(r, 405, "method_not_allowed");
        assertThat(r.header("Allow")).isEqualTo("POST");
        assertProblem(http.get("/nope", KEY), 404, "not_found");
        assertProblem(http.post("/v1/jobs", KEY, "{}"), 405, "method_not_allowed");
    }

    @Test
    void anotherAccountsJobAnswersExactlyLikeAMissingOne() {
        Http.Response created = http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Other Co\", \"plan\": \"pro\"}");
        assertThat(created.status()).isEqualTo(201);
        String otherKey = created.json().path("api_key").path("secret").asString();
        String mine = http.post("/v1/briefs/extract-key-points", KEY, DOC, "Prefer", "wait=20").json().path("id").asString();

        Http.Response foreign = http.get("/v1/jobs/" + mine, otherKey);
        Http.Response missing = http.get("/v1/jobs/job_00000000000000000000000000", otherKey);
        assertProblem(foreign, 404, "not_found");
        assertProblem(missing, 404, "not_found");
        assertThat(foreign.json().path("detail").asString().replace(mine, "X"))
                .isEqualTo(missing.json().path("detail").asString().replace("job_00000000000000000000000000", "X"));
        assertProblem(http.post("/v1/jobs/" + mine + "/cancel", otherKey, null), 404, "not_found");
        assertProblem(http.post("/v1/jobs/" + mine + "/replay", otherKey, null), 404, "not_found");
        assertProblem(http.get("/v1/jobs/" + mine + "/events", otherKey), 404, "not_found");
        JsonNode list = http.get("/v1/jobs?limit=500", otherKey).json();
        list.path("jobs").forEach(j -> assertThat(j.path("id").asString()).isNotEqualTo(mine));
    }

    @Test
    void adminEndpointsNeedTheAdminKey() {
        assertProblem(http.post("/v1/admin/accounts", KEY, "{\"name\": \"x\"}"), 403, "forbidden");
        assertProblem(http.post("/v1/admin/accounts", null, "{\"name\": \"x\"}"), 401, "unauthorized");
        Http.Response bad = http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"plan\": \"Not Valid!\", \"colour\": \"red\"}");
        assertProblem(bad, 400, "invalid_input");
        Set<String> pointers = new HashSet<>();
        bad.json().path("errors").forEach(e -> pointers.add(e.path("pointer").asString()));
        assertThat(pointers).containsExactlyInAnyOrder("/name", "/plan", "/colour");
        Http.Response ok = http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Acme\"}");
        assertThat(ok.status()).isEqualTo(201);
        String key = ok.json().path("api_key").path("secret").asString();
        assertThat(http.get("/v1/workflows", key).status()).isEqualTo(200);
    }

    @Test
    void listsJobsNewestFirstWithFiltersAndCursor() {
        Http.Response created = http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Lister\"}");
        String key = created.json().path("api_key").path("secret").asString();
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(http.post("/v1/test/echo", key, "{\"text\": \"item " + i + ". done.\"}", "Prefer", "wait=20").json().path("id").asString());
        }
        http.post("/v1/briefs/extract-key-points", key, DOC, "Prefer", "wait=20");
        JsonNode page1 = http.get("/v1/jobs?workflow=test/echo&status=completed&limit=3", key).json();
        assertThat(page1.path("jobs").size()).isEqualTo(3);
        assertThat(page1.path("jobs").get(0).path("id").asString()).isEqualTo(ids.get(4));
        String cursor = page1.path("next_cursor").asString();
        JsonNode page2 = http.get("/v1/jobs?workflow=test/echo&limit=3&cursor=" + cursor, key).json();
        assertThat(page2.path("jobs").size()).isEqualTo(2);
        assertThat(page2.path("next_cursor").isNull()).isTrue();
        assertThat(page2.path("jobs").get(1).path("id").asString()).isEqualTo(ids.get(0));
        Http.Response bad = http.get("/v1/jobs?status=done&limit=0&dead_letter=maybe", key);
        assertProblem(bad, 400, "invalid_input");
        assertThat(bad.json().path("errors").size()).isEqualTo(3);
    }

    @Test
    void cancelStopsAQueuedJobAndRefusesAFinishedOne() {
        fake.script(FaultScript.always(Fault.ok().latency(Duration.ofSeconds(3))));
        String id = http.post("/v1/test/pipeline", KEY, "{\"text\": \"slow. job.\"}").json().path("id").asString();
        Http.Response cancelled = http.post("/v1/jobs/" + id + "/cancel", KEY, null);
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().path("status").asString()).isEqualTo("cancelled");
        assertThat(cancelled.json().path("error").path("code").asString()).isEqualTo("cancelled");
        assertThat(http.post("/v1/jobs/" + id + "/cancel", KEY, null).status()).isEqualTo(200);
        fake.script(FaultScript.none());
        String done = http.post("/v1/test/echo", KEY, "{\"text\": \"quick.\"}", "Prefer", "wait=20").json().path("id").asString();
        assertProblem(http.post("/v1/jobs/" + done + "/cancel", KEY, null), 409, "invalid_state");
        assertProblem(http.post("/v1/jobs/" + done + "/replay", KEY, null), 409, "invalid_state");
    }

    @Test
    void eventsTellTheJobsStory() {
        String id = http.post("/v1/test/echo", KEY, "{\"text\": \"story.\"}", "Prefer", "wait=20").json().path("id").asString();
        JsonNode events = http.get("/v1/jobs/" + id + "/events", KEY).json().path("events");
        List<String> types = new java.util.ArrayList<>();
        events.forEach(e -> types.add(e.path("type").asString()));
        assertThat(types).containsSubsequence("submitted", "processing", "completed");
    }

    @Test
    void healthAndWorkflowListing() {
        assertThat(http.get("/health/live", null).json().path("status").asString()).isEqualTo("live");
        assertThat(http.get("/health/ready", null).status()).isEqualTo(200);
        JsonNode workflows = http.get("/v1/workflows", KEY).json().path("workflows");
        Set<String> names = new HashSet<>();
        workflows.forEach(w -> names.add(w.path("name").asString()));
        assertThat(names).contains("briefs/extract-key-points", "support/draft-response", "leads/classify");
    }
}
