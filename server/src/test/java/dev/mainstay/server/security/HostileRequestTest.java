package dev.mainstay.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests a hostile or careless client sends that once reached a 500 or were accepted: absurd
 * timestamps, duplicated credentials and idempotency keys. (The 500 itself, which must never
 * promise that a retry helps, is {@code http.ReplyTest}'s.)
 */
class HostileRequestTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();
    static final Http http = node.http;
    static String account;

    @BeforeAll
    static void account() {
        account = AccessTest.account(http, "Hostile Inc")[0];
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"+999999999-12-31T23:59:59Z\"", "\"-999999999-01-01T00:00:00Z\"", "\"+10000-01-01T00:00:00Z\"", "\"2027-02-30T00:00:00Z\"",
            "\"2027-01-31T25:00:00Z\"", "\"2027-01-31\"", "\"2027-01-31T00:00:00\"", "\"\"", "12345", "true"})
    void anAbsurdKeyExpiryIsRefusedNamingTheField(String expiresAt) {
        Http.Response r = http.post("/v1/admin/accounts/" + account + "/keys", TestNode.ADMIN_KEY, "{\"expires_at\": " + expiresAt + "}");
        assertThat(r.status()).as(r.text()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("invalid_input");
        assertThat(r.json().path("retryable").asBoolean()).isFalse();
        assertThat(r.json().path("errors").findValuesAsString("pointer")).containsExactly("/expires_at");
    }

    @Test
    void aKeyExpiryWithAnOffsetIsAccepted() {
        Http.Response r = http.post("/v1/admin/accounts/" + account + "/keys", TestNode.ADMIN_KEY, "{\"expires_at\": \"2099-01-31T00:00:00+01:00\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        assertThat(r.json().path("expires_at").asString()).isEqualTo("2099-01-30T23:00:00Z");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/usage?from=", "/v1/usage?to=", "/v1/admin/usage?from=", "/v1/admin/audit?from=", "/v1/admin/audit?to="})
    void anAbsurdTimeInAQueryIsRefusedNamingTheParameter(String query) {
        String parameter = query.substring(query.indexOf('?') + 1, query.length() - 1);
        Http.Response r = http.get(query + URLEncoder.encode("+999999999-12-31T23:59:59Z", StandardCharsets.UTF_8), TestNode.ADMIN_KEY);
        assertThat(r.status()).as(r.text()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("invalid_input");
        assertThat(r.json().path("errors").findValuesAsString("parameter")).contains(parameter);
    }

    @Test
    void twoIdempotencyKeysAreRefused() {
        HttpRequest request = http.request("/v1/test/echo").POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"twice keyed\"}"))
                .header("Authorization", "Bearer " + TestNode.DEMO_KEY).header("Content-Type", "application/json")
                .header("Idempotency-Key", "first").header("Idempotency-Key", "second").build();
        Http.Response r = http.send(request);
        assertThat(r.status()).as(r.text()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("invalid_input");
        assertThat(r.json().path("errors").findValuesAsString("parameter")).containsExactly("Idempotency-Key");
        assertThat(http.get("/v1/jobs", TestNode.DEMO_KEY).json().path("jobs").findValuesAsString("idempotency_key")).doesNotContain("first", "second");
    }

    @Test
    void oneIdempotencyKeyWithACommaIsStillOneKey() {
        Http.Response r = http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"one key\"}", "Idempotency-Key", "order-1,attempt-2");
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        assertThat(r.json().path("idempotency_key").asString()).isEqualTo("order-1,attempt-2");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void twoAuthorizationHeadersAreRefused(boolean sameKey) {
        String[] admin = AccessTest.account(http, "Second " + sameKey);
        HttpRequest request = http.request("/v1/jobs").GET()
                .header("Authorization", "Bearer " + TestNode.DEMO_KEY)
                .header("Authorization", "Bearer " + (sameKey ? TestNode.DEMO_KEY : admin[1])).build();
        Http.Response r = http.send(request);
        assertThat(r.status()).as(r.text()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("invalid_input");
        assertThat(r.json().path("errors").findValuesAsString("parameter")).containsExactly("Authorization");
    }
}
