package dev.mainstay.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The SSRF guard on webhook endpoints of a node that does not allow private receivers (the default). */
class WebhookSafetyTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();

    @Test
    void loopbackPrivateAndMetadataReceiversAreRefusedWithoutAllowPrivate() {
        for (String url : List.of("http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data",
                "http://[::1]/hook", "https://user:pw@example.com/hook")) {
            Http.Response r = node.http.post("/v1/webhooks", TestNode.DEMO_KEY, "{\"url\": \"" + url + "\", \"events\": [\"job.completed\"]}");
            assertThat(r.status()).as(url + ": " + r.text()).isEqualTo(400);
            assertThat(r.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/url");
        }
        Http.Response loopback = node.http.post("/v1/webhooks", TestNode.DEMO_KEY, "{\"url\": \"http://127.0.0.1:9/hook\", \"events\": [\"job.completed\"]}");
        assertThat(loopback.json().path("errors").get(0).path("detail").asString()).contains("loopback").contains("allow_private");
        assertThat(node.http.get("/v1/webhooks", TestNode.DEMO_KEY).json().path("webhooks")).isEmpty();
    }
}
