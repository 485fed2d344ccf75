package dev.mainstay.providers.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonEndpointTest {
    @Test
    void errorDetailsNeverKeepASecretTheProviderQuotedBack() {
        String body = "{\"error\": {\"message\": \"Incorrect API key provided: sk-proj-abcDEF1234567890ghijKLMNopqr. You can find your API key at https://example.com.\"}}";
        assertThat(JsonEndpoint.abbreviate(body)).doesNotContain("abcDEF1234567890").contains("Incorrect API key provided: [SECRET]");
        // Cut after scrubbing: a key straddling the cut leaves no prefix behind.
        String longBody = "x".repeat(290) + " Bearer abcdefghijklmnopqrstuvwxyz0123456789";
        assertThat(JsonEndpoint.abbreviate("Authorization:" + longBody)).doesNotContain("abcdefghij");
    }
}
