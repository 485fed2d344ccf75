package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.WebhookReceiver;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.webhook.SigningSecret;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A workflow's own receiver ({@code notify:}): its jobs' endings reach it signed with the secret the environment holds. */
class WorkflowNotifyTest {
    @TempDir
    Path dir;

    @Test
    void aWorkflowsNotifyReceiverGetsItsJobsEndingsSigned() throws Exception {
        String secret = SigningSecret.generate().reveal();
        try (FakeProvider fake = FakeProvider.start(FaultScript.none()); WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.secrets(secret);
            String workflow = TestNode.ECHO.replace("workflow: test/echo", "workflow: test/notified")
                    .replace("latency: wait", "latency: wait\nnotify: { url: \"" + receiver.url + "\", events: [job.completed], secret: { env: NOTIFIED_SECRET } }");
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).env("MAINSTAY_WEBHOOKS_ALLOW_PRIVATE", "true").env("NOTIFIED_SECRET", secret)
                    .workflow("test/notified", workflow).start()) {
                Http.Response r = node.http.post("/v1/test/notified", TestNode.DEMO_KEY, Json.write(Json.object().put("text", "a notified document")));
                String job = r.json().path("id").asString();
                assertThat(node.awaitTerminal(job).path("status").asString()).isEqualTo("completed");
                String other = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, Json.write(Json.object().put("text", "not notified"))).json().path("id").asString();
                node.awaitTerminal(other);
                await().atMost(WebhookReceiver.PATIENCE).until(() -> receiver.received().stream().anyMatch(d -> job.equals(d.jobId())));
                List<WebhookReceiver.Received> got = receiver.received();
                assertThat(got).allSatisfy(d -> assertThat(d.verified()).as(d.error()).isTrue());
                assertThat(got).extracting(WebhookReceiver.Received::jobId).containsOnly(job).doesNotContain(other);
                assertThat(got.getFirst().type()).isEqualTo("job.completed");
                assertThat(node.http.get("/v1/webhooks", TestNode.DEMO_KEY).json().path("webhooks")).as("the workflow's receiver is no account's").isEmpty();
            }
        }
    }
}
