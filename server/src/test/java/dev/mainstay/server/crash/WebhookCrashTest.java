package dev.mainstay.server.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.WebhookReceiver;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server is killed with SIGKILL at random points while 200 jobs run with a webhook endpoint
 * registered. Afterwards every job's terminal event has reached the receiver at least once, every
 * repeat of an event carries its first delivery's {@code webhook-id}, every delivery verifies, and
 * no event reached it that did not happen.
 */
class WebhookCrashTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final int JOBS = 200;

    @TempDir
    Path dir;

    @Test
    void sigkillsWhileJobsRunLoseNoTerminalEventAndRepeatOnlyWithTheSameWebhookId() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        System.out.println("WebhookCrashTest seed " + seed);
        Map<String, String> env = Map.of("MAINSTAY_WEBHOOKS_ALLOW_PRIVATE", "true");
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(20), Duration.ofMillis(300))));
             WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.script(List.of(), WebhookReceiver.slow(200, 150));
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            int port = TestNode.freePort();
            Http http = new Http(URI.create("http://127.0.0.1:" + port));
            Map<String, String> accepted = new ConcurrentHashMap<>(); // idempotency key -> job id
            Map<String, String> status = new ConcurrentHashMap<>(); // job id -> its final status

            Process server = TestNode.launchProcess(dir, config, port, env, "webhook-crash-server.log");
            try {
                Http.Response endpoint = http.post("/v1/webhooks", KEY, "{\"url\": \"" + receiver.url + "\", \"events\": [\"job.completed\", "
                        + "\"job.partially_completed\", \"job.degraded\", \"job.failed\", \"job.cancelled\"]}");
                assertThat(endpoint.status()).as(endpoint.text()).isEqualTo(201);
                receiver.secrets(endpoint.json().path("secret").asString());

                for (int round = 1; round <= 3; round++) {
                    int from = (round - 1) * JOBS / 3;
                    int to = round == 3 ? JOBS : round * JOBS / 3;
                    Thread submitter = Thread.ofVirtual().start(() -> {
                        for (int i = from; i < to; i++) {
                            submit(http, i, accepted);
                        }
                    });
                    // A random point: some jobs running, some events on their way.
                    int deliveries = receiver.received().size() + 5 + random.nextInt(40);
                    Awaitility.await("deliveries before kill " + round).atMost(Duration.ofSeconds(60)).until(() -> receiver.received().size() >= deliveries);
                    server.destroyForcibly().waitFor();
                    submitter.join();
                    server = TestNode.launchProcess(dir, config, port, env, "webhook-crash-server.log");
                    // A client that saw no answer submits again under its key: nothing lost, nothing doubled.
                    for (int i = from; i < to; i++) {
                        submit(http, i, accepted);
                    }
                }
                assertThat(accepted).hasSize(JOBS);
                for (String id : accepted.values()) {
                    status.put(id, TestNode.awaitTerminal(http, KEY, id).path("status").asString());
                }
                Awaitility.await("a delivery of every terminal event").atMost(Duration.ofSeconds(120)).until(() -> receiver.received().stream()
                        .map(WebhookReceiver.Received::jobId).collect(Collectors.toSet()).containsAll(status.keySet()));
            } finally {
                server.destroyForcibly().waitFor();
            }

            List<WebhookReceiver.Received> got = receiver.received();
            Map<String, List<WebhookReceiver.Received>> byJob = got.stream().collect(Collectors.groupingBy(WebhookReceiver.Received::jobId));
            assertThat(byJob.keySet()).containsExactlyInAnyOrderElementsOf(accepted.values());
            int repeats = 0;
            for (Map.Entry<String, List<WebhookReceiver.Received>> e : byJob.entrySet()) {
                String job = e.getKey();
                Set<String> ids = e.getValue().stream().map(WebhookReceiver.Received::webhookId).collect(Collectors.toSet());
                assertThat(ids).as("job %s: every delivery of its one terminal event has one webhook-id", job).hasSize(1);
                for (WebhookReceiver.Received r : e.getValue()) {
                    assertThat(r.verified()).as("job %s: %s", job, r.error()).isTrue();
                    assertThat(r.type()).as("job %s happened as it ended", job).isEqualTo("job." + status.get(job));
                    assertThat(r.status()).isEqualTo(status.get(job));
                }
                repeats += e.getValue().size() - 1;
            }
            System.out.println("WebhookCrashTest: " + got.size() + " deliveries of " + JOBS + " terminal events (" + repeats + " repeated after a kill)");
        }
    }

    private static void submit(Http http, int i, Map<String, String> accepted) {
        String key = "crash-" + i;
        try {
            Http.Response r = http.post("/v1/test/pipeline", KEY, Json.write(Json.object().put("text", "document " + i + " of the crash test")),
                    "Idempotency-Key", key);
            if (r.status() == 202 || r.status() == 200) {
                String id = r.json().path("id").asString();
                String before = accepted.putIfAbsent(key, id);
                assertThat(before == null || before.equals(id)).as("key %s answered %s, then %s", key, before, id).isTrue();
            }
        } catch (IllegalStateException killed) {
            // The node died mid-request: the client tries again after the restart.
        }
    }
}
