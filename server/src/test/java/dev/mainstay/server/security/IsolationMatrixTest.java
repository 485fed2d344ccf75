package dev.mainstay.server.security;

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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every endpoint that takes an id, called by account B with account A's ids: 404 (ids of another
 * account do not exist for B) or 403 (admin endpoints with an account key), and no answer ever
 * carries A's ids, input or account.
 */
class IsolationMatrixTest {
    static final String A_SECRET_TEXT = "confidential-text-of-account-a";

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup.workflow("test/reviewed", """
            workflow: test/reviewed
            version: 1
            input: { type: object, required: [text], properties: { text: { type: string } } }
            stages:
              - id: only
                model: { prompt: prompts/echo.mustache, route: [primary], timeout: 2s }
                output: { schema: { type: object, required: [summary], properties: { summary: { type: string, minLength: 3 } } } }
                retry: { attempts: 1 }
            fallback: [review]
            """));
    static final Http http = node.http;
    static final FakeProvider fake = node.fake;
    static String a = TestNode.DEMO_KEY;
    static String aAccount = TestNode.DEMO_ACCOUNT;
    static String aJob;
    static String aOtherJob;
    static String aReview;
    static String aKeyId;
    static String b;
    static String bAccount;
    static String bJob;

    /** Account A's job, second job, review and key; account B with a job of its own. */
    @BeforeAll
    static void data() {
        aJob = http.post("/v1/test/echo", a, "{\"text\": \"" + A_SECRET_TEXT + "\"}", "Idempotency-Key", "shared-key-1").json().path("id").asString();
        node.awaitTerminal(aJob);
        aOtherJob = http.post("/v1/test/echo", a, "{\"text\": \"" + A_SECRET_TEXT + " again\"}").json().path("id").asString();
        node.awaitTerminal(aOtherJob);
        fake.script(FaultScript.always(Fault.invalidOutput()));
        String reviewed = http.post("/v1/test/reviewed", a, "{\"text\": \"" + A_SECRET_TEXT + "\"}").json().path("id").asString();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                http.get("/v1/jobs/" + reviewed, a).json().path("status").asString().equals("waiting_for_review"));
        fake.script(FaultScript.none());
        aReview = http.get("/v1/reviews?status=pending", a).json().path("reviews").get(0).path("id").asString();
        aKeyId = http.get("/v1/admin/accounts/" + aAccount + "/keys", TestNode.ADMIN_KEY).json().path("keys").get(0).path("id").asString();

        String[] other = AccessTest.account(http, "Other Co");
        bAccount = other[0];
        b = other[1];
        bJob = http.post("/v1/test/echo", b, "{\"text\": \"b's own\"}").json().path("id").asString();
        TestNode.awaitTerminal(http, b, bJob);
    }

    private static HttpRequest.Builder as(String path, String key) {
        return http.request(path).header("Authorization", "Bearer " + key);
    }

    private static HttpRequest get(String path) {
        return as(path, b).GET().build();
    }

    private static HttpRequest post(String path, String body) {
        return as(path, b).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    static Stream<Arguments> crossAccountCalls() {
        List<Arguments> out = new ArrayList<>();
        out.add(call("GET job", 404, () -> get("/v1/jobs/" + aJob)));
        out.add(call("GET events", 404, () -> get("/v1/jobs/" + aJob + "/events")));
        out.add(call("GET events as SSE", 404, () -> as("/v1/jobs/" + aJob + "/events", b).header("Accept", "text/event-stream").GET().build()));
        out.add(call("GET events after", 404, () -> get("/v1/jobs/" + aJob + "/events?after=0")));
        out.add(call("POST cancel", 404, () -> post("/v1/jobs/" + aJob + "/cancel", "")));
        out.add(call("POST replay", 404, () -> post("/v1/jobs/" + aJob + "/replay", "")));
        out.add(call("GET diff of two of A's jobs", 404, () -> get("/v1/jobs/" + aJob + "/diff/" + aOtherJob)));
        out.add(call("GET diff of B's job against A's", 404, () -> get("/v1/jobs/" + bJob + "/diff/" + aJob)));
        out.add(call("GET review", 404, () -> get("/v1/reviews/" + aReview)));
        out.add(call("POST review decision", 404, () -> post("/v1/reviews/" + aReview + "/decision", "{\"decision\": \"approve\"}")));
        out.add(call("GET A's keys", 403, () -> get("/v1/admin/accounts/" + aAccount + "/keys")));
        out.add(call("POST a key into A", 403, () -> post("/v1/admin/accounts/" + aAccount + "/keys", "{}")));
        out.add(call("DELETE A's key", 403, () -> as("/v1/admin/accounts/" + aAccount + "/keys/" + aKeyId, b).DELETE().build()));
        out.add(call("GET A's limits", 403, () -> get("/v1/admin/accounts/" + aAccount + "/limits")));
        out.add(call("GET A's usage", 403, () -> get("/v1/admin/usage?account=" + aAccount)));
        out.add(call("GET targets", 403, () -> get("/v1/admin/targets")));
        return out.stream();
    }

    private static Arguments call(String name, int status, java.util.function.Supplier<HttpRequest> request) {
        return Arguments.of(Named.of(name, request), status);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("crossAccountCalls")
    void anotherAccountsIdsAreNotFoundOrForbidden(java.util.function.Supplier<HttpRequest> request, int status) {
        HttpRequest req = request.get();
        Http.Response r = http.send(req);
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.json().path("code").asString()).isEqualTo(status == 404 ? "not_found" : "forbidden");
        assertNothingOfA(r, req.uri().getRawPath() + "?" + req.uri().getRawQuery());
    }

    @Test
    void aNotFoundForAnotherAccountsJobReadsLikeOneForAJobThatNeverExisted() {
        String missing = "job_" + "0".repeat(aJob.length() - 4);
        Http.Response theirs = http.get("/v1/jobs/" + aJob, b);
        Http.Response none = http.get("/v1/jobs/" + missing, b);
        assertThat(theirs.status()).isEqualTo(none.status());
        assertThat(theirs.json().path("detail").asString().replace(aJob, "ID")).isEqualTo(none.json().path("detail").asString().replace(missing, "ID"));
    }

    @Test
    void listsAndUsageShowOnlyTheCallersAccount() {
        for (String path : List.of("/v1/jobs", "/v1/jobs?limit=200", "/v1/jobs?workflow=test/echo", "/v1/reviews", "/v1/reviews?status=pending",
                "/v1/usage", "/v1/usage?group_by=workflow", "/v1/workflows")) {
            Http.Response r = http.get(path, b);
            assertThat(r.status()).as(path + ": " + r.text()).isEqualTo(200);
            assertNothingOfA(r, path);
        }
        assertThat(http.get("/v1/jobs", b).json().path("jobs").findValuesAsString("id")).contains(bJob).doesNotContain(aJob, aOtherJob);
    }

    @Test
    void theSameIdempotencyKeyInAnotherAccountMakesItsOwnJob() {
        Http.Response r = http.post("/v1/test/echo", b, "{\"text\": \"b reuses a key\"}", "Idempotency-Key", "shared-key-1");
        assertThat(r.status()).isIn(200, 202);
        assertThat(r.header("Idempotent-Replayed")).isNull();
        assertThat(r.json().path("id").asString()).isNotEqualTo(aJob);
    }

    @Test
    void anAdminCannotRevokeOneAccountsKeyThroughAnother() {
        Http.Response r = http.delete("/v1/admin/accounts/" + bAccount + "/keys/" + aKeyId, TestNode.ADMIN_KEY);
        assertProblem(r, 404, "not_found");
        assertThat(http.get("/v1/jobs", a).status()).as("A's key still works").isEqualTo(200);
    }

    @Test
    void aStillSeesItsOwnData() {
        assertThat(http.get("/v1/jobs/" + aJob, a).text()).contains(A_SECRET_TEXT);
        assertThat(http.get("/v1/reviews/" + aReview, a).status()).isEqualTo(200);
        assertThat(http.get("/v1/jobs/" + bJob, a).status()).isEqualTo(404);
    }

    /**
     * Nothing of A in the answer: A's input, account, review, key or job ids, except for ids B itself
     * put in the request path (which a problem's detail and instance echo back).
     */
    private static void assertNothingOfA(Http.Response r, String requestPath) {
        String body = r.text();
        for (String sent : requestPath.split("[/?=&]")) {
            if (sent.length() > 6) {
                body = body.replace(sent, "<sent>");
            }
        }
        assertThat(body).doesNotContain(A_SECRET_TEXT).doesNotContain(aJob).doesNotContain(aOtherJob).doesNotContain(aReview)
                .doesNotContain(aKeyId).doesNotContain("Exception");
        if (!requestPath.contains(aAccount)) {
            assertThat(body).doesNotContain(aAccount);
        }
    }
}
