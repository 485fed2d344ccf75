package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The opt-in result cache: the same input on the same target reuses the stored output and costs nothing. */
class ResultCacheTest {
    @TempDir
    Path dir;

    @Test
    void aRepeatedInputIsServedFromTheCacheWithoutAModelCall() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            String cached = TestNode.ECHO.replace("workflow: test/echo", "workflow: test/cached") + "cache: { ttl: 1h }\n";
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/cached", cached).start()) {
                JsonNode first = node.http.post("/v1/test/cached", TestNode.DEMO_KEY, "{\"text\": \"Cache me.\"}", "Prefer", "wait=20").json();
                JsonNode second = node.http.post("/v1/test/cached", TestNode.DEMO_KEY, "{ \"text\" : \"Cache me.\" }", "Prefer", "wait=20").json();
                JsonNode other = node.http.post("/v1/test/cached", TestNode.DEMO_KEY, "{\"text\": \"Something else.\"}", "Prefer", "wait=20").json();

                assertThat(first.path("provenance").path("cached_from").isNull()).isTrue();
                assertThat(first.path("usage").path("input_tokens").asLong()).isPositive();
                assertThat(second.path("status").asString()).isEqualTo("completed");
                assertThat(second.path("result")).isEqualTo(first.path("result"));
                assertThat(second.path("provenance").path("cached_from").asString()).isEqualTo(first.path("id").asString());
                assertThat(second.path("provenance").path("model").asString()).isEqualTo(first.path("provenance").path("model").asString());
                assertThat(second.path("usage").path("input_tokens").asLong()).isZero();
                assertThat(second.path("usage").path("cost_usd").asString()).isEqualTo("0.000000");
                assertThat(other.path("provenance").path("cached_from").isNull()).isTrue();
                assertThat(fake.requests().stream().filter(r -> r.job().equals(second.path("id").asString())).count()).isZero();
                assertThat(fake.requestCount()).isEqualTo(2);

                // Workflows that do not opt in never reuse an output.
                JsonNode plain1 = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"Cache me.\"}", "Prefer", "wait=20").json();
                JsonNode plain2 = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, "{\"text\": \"Cache me.\"}", "Prefer", "wait=20").json();
                assertThat(plain2.path("provenance").path("cached_from").isNull()).isTrue();
                assertThat(plain1.path("usage").path("input_tokens").asLong()).isPositive();
                assertThat(fake.requestCount()).isEqualTo(4);
            }
        }
    }
}
