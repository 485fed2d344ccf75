package dev.mainstay.server.security;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.access.ApiKey;
import dev.mainstay.access.ApiKeys;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Keys over HTTP (create, list, revoke, expiry), per-workflow roles, and the security headers. */
class AccessTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup.workflow("test/restricted", """
            workflow: test/restricted
            version: 1
            latency: wait
            access:
              run: [runner]
              read: [runner, reader]
            input: { type: object, required: [text], properties: { text: { type: string } } }
            stages:
              - id: only
                model: { prompt: prompts/echo.mustache, route: [primary], timeout: 2s }
                output: { schema: { type: object, required: [summary], properties: { summary: { type: string } } } }
            """)
            // Roles named the older way, under eligibility: read as access.run.
            .workflow("test/eligible-roles", """
            workflow: test/eligible-roles
            version: 1
            eligibility: { roles: [runner] }
            input: { type: object, required: [text], properties: { text: { type: string } } }
            stages:
              - id: only
                model: { prompt: prompts/echo.mustache, route: [primary], timeout: 2s }
                output: { schema: { type: object, required: [summary], properties: { summary: { type: string } } } }
            """));
    static final Http http = node.http;
    static final String ADMIN = TestNode.ADMIN_KEY;

    /** Creates an account through the admin API; returns {account id, first key's secret}. */
    static String[] account(Http http, String name, String... roles) {
        String list = roles.length == 0 ? "" : ", \"roles\": [\"" + String.join("\", \"", roles) + "\"]";
        Http.Response r = http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"" + name + "\"" + list + "}");
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return new String[] {r.json().path("account").path("id").asString(), r.json().path("api_key").path("secret").asString()};
    }

    static JsonNode createKey(Http http, String accountId, String body) {
        Http.Response r = http.post("/v1/admin/accounts/" + accountId + "/keys", TestNode.ADMIN_KEY, body);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json();
    }

    @Test
    void rolesAreCheckedOnceByAccessAndEligibilityRolesAreAnsweredTheSameWay() {
        String[] acct = account(http, "Roles Co", "member");
        String runner = createKey(http, acct[0], "{\"roles\": [\"runner\"]}").path("secret").asString();

        // Refused before the body is read: even input that fails the schema gets the 403.
        Http.Response older = http.post("/v1/test/eligible-roles", acct[1], "{\"not\": \"the input\"}");
        assertProblem(older, 403, "forbidden");
        assertThat(older.json().path("detail").asString()).isEqualTo("this key may not run test/eligible-roles: it needs one of the roles [runner] and has [member]");
        Http.Response access = http.post("/v1/test/restricted", acct[1], "{\"not\": \"the input\"}");
        assertProblem(access, 403, "forbidden");
        assertThat(access.json().path("detail").asString()).isEqualTo("this key may not run test/restricted: it needs one of the roles [runner] and has [member]");

        Http.Response ran = http.post("/v1/test/eligible-roles", runner, "{\"text\": \"x\"}");
        assertThat(ran.status()).as(ran.text()).isIn(200, 202);
        assertProblem(http.post("/v1/test/eligible-roles", runner, "{\"not\": \"the input\"}"), 400, "invalid_input");
        // Cancel and replay of its jobs, and the usage page's list of what a key may run, follow the same rule.
        assertProblem(http.post("/v1/jobs/" + ran.json().path("id").asString() + "/cancel", acct[1], ""), 403, "forbidden");
        assertThat(http.get("/v1/usage", acct[1]).json().path("workflows").findValuesAsString("workflow")).doesNotContain("test/eligible-roles", "test/restricted");
        assertThat(http.get("/v1/usage", runner).json().path("workflows").findValuesAsString("workflow")).contains("test/eligible-roles", "test/restricted");
    }

    @Test
    void aKeyIsShownOnceListedWithoutItsSecretAndRevoked() {
        String[] acct = account(http, "Keys Co");
        String expires = Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS).toString();
        JsonNode created = createKey(http, acct[0], "{\"name\": \"ci\", \"roles\": [\"runner\", \"reader\"], \"expires_at\": \"" + expires + "\"}");
        String secret = created.path("secret").asString();
        String keyId = created.path("id").asString();
        assertThat(secret).startsWith("ms_live_").hasSize(40);
        assertThat(created.path("prefix").asString()).isEqualTo(secret.substring(0, 14));
        assertThat(created.path("name").asString()).isEqualTo("ci");
        assertThat(created.path("roles").values().stream().map(JsonNode::asString).toList()).containsExactly("reader", "runner");
        assertThat(created.path("expires_at").asString()).isEqualTo(expires);
        assertThat(created.path("status").asString()).isEqualTo("active");
        assertThat(created.has("hash")).isFalse();

        assertThat(http.get("/v1/jobs", secret).status()).isEqualTo(200);

        Http.Response listed = http.get("/v1/admin/accounts/" + acct[0] + "/keys", ADMIN);
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.json().path("keys").findValuesAsString("id")).hasSize(2).contains(keyId);
        assertThat(listed.text()).doesNotContain(secret).doesNotContain(ApiKeys.hash(secret)).doesNotContain(acct[1]).doesNotContain("\"secret\"");

        Http.Response revoked = http.delete("/v1/admin/accounts/" + acct[0] + "/keys/" + keyId, ADMIN);
        assertThat(revoked.status()).as(revoked.text()).isEqualTo(200);
        assertThat(revoked.json().path("status").asString()).isEqualTo("revoked");
        String revokedAt = revoked.json().path("revoked_at").asString();
        Http.Response refused = http.get("/v1/jobs", secret);
        assertProblem(refused, 401, "unauthorized");
        assertThat(refused.json().path("detail").asString()).contains("revoked");
        assertThat(http.delete("/v1/admin/accounts/" + acct[0] + "/keys/" + keyId, ADMIN).json().path("revoked_at").asString())
                .as("revoking again keeps the first time").isEqualTo(revokedAt);
        assertThat(http.get("/v1/jobs", acct[1]).status()).as("the account's other key still works").isEqualTo(200);

        // Both changes are in the audit log, by the admin key, once each, without the secret.
        JsonNode createdLog = http.get("/v1/admin/audit?action=key.created&account=" + acct[0], ADMIN).json().path("records");
        assertThat(createdLog.findValuesAsString("subject")).contains(keyId);
        JsonNode revokes = http.get("/v1/admin/audit?action=key.revoked&account=" + acct[0], ADMIN).json().path("records");
        assertThat(revokes.findValuesAsString("subject")).containsExactly(keyId);
        assertThat(revokes.get(0).path("actor").asString()).startsWith("key:key_admin");
        assertThat(createdLog.toString() + revokes).doesNotContain(secret).doesNotContain(ApiKeys.hash(secret));
        assertThat(http.get("/v1/admin/accounts/" + acct[0] + "/keys", ADMIN).json().path("keys").findValuesAsString("status"))
                .containsExactlyInAnyOrder("active", "revoked");
    }

    @Test
    void expiredKeysAreRefused() {
        String[] acct = account(http, "Expiring Co");
        Instant past = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS);
        String secret = ApiKeys.newSecret(false);
        node.server().store().addApiKey(new ApiKey("key_old", acct[0], ApiKeys.hash(secret), ApiKeys.prefix(secret), Set.of("member"), false,
                past.minusSeconds(3600), "old", past, null));
        Http.Response r = http.get("/v1/jobs", secret);
        assertProblem(r, 401, "unauthorized");
        assertThat(r.json().path("detail").asString()).contains("expired");
        assertThat(http.get("/v1/admin/accounts/" + acct[0] + "/keys", ADMIN).json().path("keys").findValuesAsString("status")).contains("expired");

        String soon = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.MILLIS).toString();
        String shortLived = createKey(http, acct[0], "{\"expires_at\": \"" + soon + "\"}").path("secret").asString();
        assertThat(http.get("/v1/jobs", shortLived).status()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> http.get("/v1/jobs", shortLived).status() == 401);
    }

    @Test
    void keyRequestsAreValidatedAndNeedAnAdminKey() {
        String[] acct = account(http, "Strict Co");
        String path = "/v1/admin/accounts/" + acct[0] + "/keys";
        assertProblem(http.post(path, acct[1], "{}"), 403, "forbidden");
        assertProblem(http.get(path, acct[1]), 403, "forbidden");
        assertProblem(http.get(path, null), 401, "unauthorized");
        assertProblem(http.get("/v1/admin/accounts/acct_nobody/keys", ADMIN), 404, "not_found");
        assertProblem(http.delete(path + "/key_nobody", ADMIN), 404, "not_found");
        assertProblem(http.send(http.request(path).PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{}"))
                .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json").build()), 405, "method_not_allowed");

        Http.Response bad = http.post(path, ADMIN, "{\"name\": 7, \"roles\": [\"Admin Role\"], \"expires_at\": \"2001-01-01T00:00:00Z\", \"scope\": 1}");
        assertProblem(bad, 400, "invalid_input");
        assertThat(bad.json().path("errors").findValuesAsString("pointer")).containsExactlyInAnyOrder("/name", "/roles/0", "/expires_at", "/scope");
        assertProblem(http.post(path, ADMIN, "{\"expires_at\": \"tomorrow\"}"), 400, "invalid_input");
        JsonNode plain = createKey(http, acct[0], "{}");
        assertThat(plain.path("roles").values().stream().map(JsonNode::asString).toList()).containsExactly("member");
        assertThat(plain.path("name").isNull()).isTrue();
        assertThat(plain.path("expires_at").isNull()).isTrue();
    }

    @Test
    void workflowRolesGateRunningAndReading() {
        String[] acct = account(http, "Roles Co", "member");
        String runner = createKey(http, acct[0], "{\"roles\": [\"runner\"]}").path("secret").asString();
        String reader = createKey(http, acct[0], "{\"roles\": [\"reader\"]}").path("secret").asString();
        String member = acct[1];

        Http.Response denied = http.post("/v1/test/restricted", member, "{\"text\": \"hello\"}");
        assertProblem(denied, 403, "forbidden");
        assertThat(denied.json().path("detail").asString()).contains("[runner]").contains("[member]");
        assertProblem(http.post("/v1/test/restricted", reader, "{\"text\": \"hello\"}"), 403, "forbidden");

        Http.Response ran = http.post("/v1/test/restricted", runner, "{\"text\": \"hello\"}");
        assertThat(ran.status()).as(ran.text()).isIn(200, 202);
        String jobId = ran.json().path("id").asString();
        TestNode.awaitTerminal(http, runner, jobId);

        assertThat(http.get("/v1/jobs/" + jobId, reader).status()).isEqualTo(200);
        assertThat(http.get("/v1/jobs/" + jobId + "/events", reader).status()).isEqualTo(200);
        assertThat(http.get("/v1/jobs", reader).json().path("jobs").findValuesAsString("id")).contains(jobId);

        assertProblem(http.get("/v1/jobs/" + jobId, member), 403, "forbidden");
        assertProblem(http.get("/v1/jobs/" + jobId + "/events", member), 403, "forbidden");
        assertProblem(http.get("/v1/jobs/" + jobId + "/diff/" + jobId, member), 403, "forbidden");
        assertProblem(http.get("/v1/jobs?workflow=test/restricted", member), 403, "forbidden");
        assertThat(http.get("/v1/jobs", member).json().path("jobs").findValuesAsString("id")).doesNotContain(jobId);
        assertProblem(http.post("/v1/jobs/" + jobId + "/replay", reader, ""), 403, "forbidden");
        assertProblem(http.post("/v1/jobs/" + jobId + "/cancel", member, ""), 403, "forbidden");

        // An open workflow (no access block) takes any key of the account.
        assertThat(http.post("/v1/test/echo", member, "{\"text\": \"open\"}").status()).isIn(200, 202);
    }

    @Test
    void everyAnswerCarriesTheSecurityHeaders() {
        for (Http.Response r : List.of(http.get("/health/live", null), http.get("/v1/jobs", TestNode.DEMO_KEY), http.get("/v1/nothing", null),
                http.get("/v1/jobs", "ms_live_wrong0000000000000000000000000"))) {
            assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(r.header("Cache-Control")).isEqualTo("no-store");
            assertThat(r.header("Referrer-Policy")).isEqualTo("no-referrer");
            assertThat(r.header("Content-Security-Policy")).startsWith("default-src 'none'");
        }
    }

    @Test
    void repeatedFailedAuthenticationIsThrottledPerAddress(@TempDir Path own) throws Exception {
        try (FakeProvider f = FakeProvider.start(FaultScript.none())) {
            try (TestNode small = TestNode.in(own).provider(f.baseUrl()).section("server:\n  auth_failures: { max: 3, window: 10m }\n").start()) {
                assertProblem(small.http.get("/v1/jobs", null), 401, "unauthorized");
                assertThat(small.http.get("/v1/jobs", TestNode.DEMO_KEY).status()).as("a missing key is no guess").isEqualTo(200);
                for (int i = 0; i < 3; i++) {
                    assertProblem(small.http.get("/v1/jobs", "ms_live_guess" + i + "0000000000000000000000000"), 401, "unauthorized");
                }
                Http.Response throttled = small.http.get("/v1/jobs", "ms_live_guess90000000000000000000000000");
                assertProblem(throttled, 429, "rate_limited");
                assertThat(Long.parseLong(throttled.header("Retry-After"))).isBetween(1L, 600L);
                assertProblem(small.http.get("/v1/jobs", TestNode.DEMO_KEY), 429, "rate_limited");
                assertThat(small.http.get("/health/live", null).status()).as("unauthenticated endpoints still answer").isEqualTo(200);
            }
        }
    }
}
