package dev.mainstay.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

/** Assertions on answers of the HTTP API. */
public final class ApiAssertions {
    private ApiAssertions() {
    }

    /** {@code r} is an RFC 9457 problem with {@code status} and {@code code}, a detail, and no stack trace. */
    public static void assertProblem(Http.Response r, int status, String code) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(r.json().path("code").asString()).isEqualTo(code);
        assertThat(r.json().path("status").asInt()).isEqualTo(status);
        assertThat(r.json().path("type").asString()).isEqualTo("urn:mainstay:problem:" + code);
        assertThat(r.json().path("detail").asString()).isNotBlank();
        assertThat(r.text()).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
