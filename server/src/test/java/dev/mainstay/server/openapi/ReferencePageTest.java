package dev.mainstay.server.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReferencePageTest {
    @Test
    void servesThePageAndSwaggerUiFromTheWebJarAndNothingElse() {
        String page = new String(ReferencePage.asset("").orElseThrow().bytes(), StandardCharsets.UTF_8);
        assertThat(page).contains("/docs/swagger-ui-bundle.js").doesNotContain("https://");
        assertThat(ReferencePage.asset("swagger-ui-bundle.js").orElseThrow().bytes().length).isGreaterThan(100_000);
        assertThat(ReferencePage.asset("swagger-ui.css").orElseThrow().contentType()).startsWith("text/css");
        assertThat(ReferencePage.asset("../../../../etc/passwd")).isEmpty();
        assertThat(ReferencePage.asset("swagger-initializer.js")).isEmpty();
    }
}
