package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.standardwebhooks.Webhook;
import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.server.testing.WebhookReceiver;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Outbound webhooks end to end on one SQLite node: endpoints registered over the API, jobs run,
 * and every delivery received by a receiver on the Standard Webhooks Node.js library, which
 * verifies it, and checked again with the Java library.
 */
class WebhookDeliveryTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(s -> s.env("MAINSTAY_WEBHOOKS_ALLOW_PRIVATE", "true"));

    private static WebhookReceiver receiver;

    @BeforeAll
    static void startReceiver() throws IOException {
        receiver = WebhookReceiver.start();
    }

    @AfterAll
    static void stopReceiver() {
        receiver.close();
    }

    @AfterEach
    void deleteEndpoints() {
        node.fake.script(FaultScript.none());
        for (JsonNode e : node.http.get("/v1/webhooks", TestNode.DEMO_KEY).json().path("webhooks")) {
            node.http.delete("/v1/webhooks/" + e.path("id").asString(), TestNode.DEMO_KEY);
        }
    }

    private static JsonNode register(String body) {
        Http.Response r = node.http.post("/v1/webhooks", TestNode.DEMO_KEY, body);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        assertThat(r.json().path("secret").asString()).startsWith("whsec_");
        return r.json();
    }

    private static String submit(String text) {
        Http.Response r = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, Json.write(Json.object().put("text", text)));
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        return r.json().path("id").asString();
    }

    private static List<WebhookReceiver.Received> receivedFor(Set<String> jobs) {
        return receiver.received().stream().filter(d -> d.jobId() != null && jobs.contains(d.jobId())).toList();
    }

    @Test
    void everyDeliveryVerifiesWithTheStandardWebhooksLibrariesAndSaysWhatHappened() throws Exception {
        JsonNode endpoint = register("{\"url\": \"" + receiver.url + "\", \"events\": [\"job.completed\", \"job.failed\"], \"workflow\": \"test/echo\"}");
        String secret = endpoint.path("secret").asString();
        receiver.secrets(secret);

        Set<String> jobs = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            jobs.add(submit("a document to summarise, number " + i));
        }
        node.fake.script(FaultScript.always(Fault.status(400)));
        for (int i = 0; i < 2; i++) {
            jobs.add(submit("a document the provider refuses, number " + i));
        }
        Map<String, String> finalStatus = new HashMap<>();
        for (String job : jobs) {
            finalStatus.put(job, node.awaitTerminal(job).path("status").asString());
        }
        assertThat(finalStatus.values()).contains("completed", "failed");

        await().atMost(WebhookReceiver.PATIENCE).until(() -> receivedFor(jobs).size() >= jobs.size());
        List<WebhookReceiver.Received> got = receivedFor(jobs);
        assertThat(got).hasSize(jobs.size());
        Set<String> ids = new HashSet<>();
        Webhook java = new Webhook(secret);
        for (WebhookReceiver.Received d : got) {
            assertThat(d.verified()).as("delivery %s: %s", d.webhookId(), d.error()).isTrue();
            assertThat(d.type()).isEqualTo("job." + finalStatus.get(d.jobId()));
            assertThat(d.status()).isEqualTo(finalStatus.get(d.jobId()));
            assertThat(d.signatures()).isEqualTo(1);
            ids.add(d.webhookId());
            java.verify(d.body(), Map.of("webhook-id", List.of(d.webhookId()), "webhook-timestamp", List.of(Long.toString(d.timestamp())),
                    "webhook-signature", List.of(d.signature())));
        }
        assertThat(ids).hasSize(jobs.size());

        // The delivery log says the same, and no listing shows the secret again.
        String id = endpoint.path("id").asString();
        Http.Response log = node.http.get("/v1/webhooks/" + id + "/deliveries?status=delivered&limit=200", TestNode.DEMO_KEY);
        assertThat(log.status()).isEqualTo(200);
        List<String> logged = new ArrayList<>();
        log.json().path("deliveries").forEach(d -> logged.add(d.path("webhook_id").asString()));
        assertThat(logged).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(node.http.get("/v1/webhooks", TestNode.DEMO_KEY).text()).doesNotContain(secret.substring(6)).doesNotContain("\"secret\"");
        assertThat(node.http.get("/v1/webhooks/" + id, TestNode.DEMO_KEY).text()).doesNotContain(secret.substring(6));
    }

    @Test
    void aRotatedSecretSignsBesideTheOldOneUntilTheOverlapEnds() throws Exception {
        JsonNode endpoint = register("{\"url\": \"" + receiver.url + "\", \"events\": [\"job.completed\"], \"workflow\": \"test/echo\"}");
        String old = endpoint.path("secret").asString();
        Http.Response rotated = node.http.post("/v1/webhooks/" + endpoint.path("id").asString() + "/secret", TestNode.DEMO_KEY, "{\"overlap\": \"1h\"}");
        assertThat(rotated.status()).as(rotated.text()).isEqualTo(200);
        String fresh = rotated.json().path("secret").asString();
        assertThat(fresh).startsWith("whsec_").isNotEqualTo(old);
        receiver.secrets(fresh);

        String job = submit("a document after the rotation");
        node.awaitTerminal(job);
        await().atMost(WebhookReceiver.PATIENCE).until(() -> !receivedFor(Set.of(job)).isEmpty());
        WebhookReceiver.Received d = receivedFor(Set.of(job)).getFirst();
        assertThat(d.verified()).as(d.error()).isTrue();
        assertThat(d.signatures()).isEqualTo(2);
        Map<String, List<String>> headers = Map.of("webhook-id", List.of(d.webhookId()), "webhook-timestamp", List.of(Long.toString(d.timestamp())),
                "webhook-signature", List.of(d.signature()));
        new Webhook(old).verify(d.body(), headers); // a receiver that has not switched yet still verifies
        new Webhook(fresh).verify(d.body(), headers);
    }

    @Test
    void a410DisablesTheEndpointAndEnablingItSendsWhatWaited() {
        JsonNode endpoint = register("{\"url\": \"" + receiver.url + "\", \"events\": [\"job.completed\"], \"workflow\": \"test/echo\"}");
        String id = endpoint.path("id").asString();
        receiver.secrets(endpoint.path("secret").asString()).script(List.of(WebhookReceiver.status(410)), WebhookReceiver.status(200));

        String job = submit("a document for a receiver that is gone");
        node.awaitTerminal(job);
        await().atMost(WebhookReceiver.PATIENCE).until(() -> !node.http.get("/v1/webhooks/" + id, TestNode.DEMO_KEY).json().path("enabled").asBoolean());
        JsonNode disabled = node.http.get("/v1/webhooks/" + id, TestNode.DEMO_KEY).json();
        assertThat(disabled.path("disabled_reason").asString()).contains("410");

        Http.Response enabled = node.http.send(node.http.request("/v1/webhooks/" + id).header("Authorization", "Bearer " + TestNode.DEMO_KEY)
                .header("Content-Type", "application/json").method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{\"enabled\": true}")).build());
        assertThat(enabled.status()).as(enabled.text()).isEqualTo(200);
        assertThat(enabled.json().path("disabled_reason").isNull()).isTrue();
        await().atMost(WebhookReceiver.PATIENCE).until(() -> receivedFor(Set.of(job)).stream().anyMatch(r -> r.answered().equals("200")));
        List<WebhookReceiver.Received> got = receivedFor(Set.of(job));
        assertThat(got).extracting(WebhookReceiver.Received::answered).containsExactly("410", "200");
        assertThat(got).extracting(WebhookReceiver.Received::webhookId).containsOnly(got.getFirst().webhookId());
    }

    @Test
    void badEndpointsAreProblemsWithPointers() {
        Http.Response unknown = node.http.post("/v1/webhooks", TestNode.DEMO_KEY,
                "{\"url\": \"ftp://example.com/x\", \"events\": [\"job.finished\"], \"colour\": 1, \"max_concurrency\": 0}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.code()).isEqualTo("invalid_input");
        List<String> pointers = new ArrayList<>();
        unknown.json().path("errors").forEach(e -> pointers.add(e.path("pointer").asString()));
        assertThat(pointers).contains("/url", "/events/0", "/colour", "/max_concurrency");

        Http.Response missing = node.http.post("/v1/webhooks", TestNode.DEMO_KEY, "{}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(node.http.get("/v1/webhooks/whe_nosuchendpoint", TestNode.DEMO_KEY).status()).isEqualTo(404);
        assertThat(node.http.get("/v1/webhooks", null).status()).isEqualTo(401);
        assertThat(node.http.get("/v1/webhooks", TestNode.DEMO_KEY).json().path("webhooks")).isEmpty();
    }

}
