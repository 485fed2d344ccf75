package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.WebhookReceiver;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import dev.mainstay.webhook.DeliverySchedule;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The retry schedule of docs/delivery.md, seen by a real receiver on the node's manual clock: each
 * wait is the documented one within its jitter (or the receiver's longer {@code Retry-After}),
 * every attempt carries the same {@code webhook-id}, and a dead letter replays with it.
 */
class WebhookScheduleTest {
    private static final Instant T0 = Instant.parse("2026-12-01T09:00:00Z");

    @TempDir
    Path dir;

    private static TestNode start(Path dir, FakeProvider fake, ManualClock clock) {
        return TestNode.in(dir).provider(fake.baseUrl()).env("MAINSTAY_WEBHOOKS_ALLOW_PRIVATE", "true").section("webhooks:\n  timeout: 1s\n").start(clock);
    }

    private static JsonNode register(TestNode node, WebhookReceiver receiver) {
        Http.Response r = node.http.post("/v1/webhooks", TestNode.DEMO_KEY, "{\"url\": \"" + receiver.url + "\", \"events\": [\"job.completed\"]}");
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        receiver.secrets(r.json().path("secret").asString());
        return r.json();
    }

    private static String completedJob(TestNode node, String text) {
        Http.Response r = node.http.post("/v1/test/echo", TestNode.DEMO_KEY, Json.write(Json.object().put("text", text)));
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        String id = r.json().path("id").asString();
        assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
        return id;
    }

    private static JsonNode delivery(TestNode node, String endpoint, String job) {
        JsonNode list = node.http.get("/v1/webhooks/" + endpoint + "/deliveries?job=" + job, TestNode.DEMO_KEY).json().path("deliveries");
        assertThat(list).hasSize(1);
        return list.get(0);
    }

    private static List<WebhookReceiver.Received> received(WebhookReceiver receiver, String job) {
        return receiver.received().stream().filter(r -> job.equals(r.jobId())).toList();
    }

    /** Waits until attempt {@code made} is recorded, then moves both clocks to the next attempt's time and returns it. */
    private static Instant nextAttempt(TestNode node, ManualClock clock, WebhookReceiver receiver, String endpoint, String job, int made) {
        await().atMost(WebhookReceiver.PATIENCE).until(() -> delivery(node, endpoint, job).path("attempts").asInt() == made);
        JsonNode d = delivery(node, endpoint, job);
        assertThat(d.path("status").asString()).isEqualTo("pending");
        Instant next = Instant.parse(d.path("next_attempt_at").asString());
        clock.set(next);
        receiver.clock(next);
        await().atMost(WebhookReceiver.PATIENCE).until(() -> received(receiver, job).size() == made + 1);
        return next;
    }

    @Test
    void aReceiverFailingThenTimingOutThenAnsweringSeesTheDocumentedSchedule() throws Exception {
        ManualClock clock = new ManualClock(T0);
        try (FakeProvider fake = FakeProvider.start(FaultScript.none()); WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = start(dir, fake, clock)) {
            receiver.clock(T0);
            String endpoint = register(node, receiver).path("id").asString();
            receiver.script(List.of(WebhookReceiver.status(500), WebhookReceiver.status(503, "900"), WebhookReceiver.status(500), WebhookReceiver.hang(),
                    WebhookReceiver.hang()), WebhookReceiver.status(200));
            String job = completedJob(node, "a document for a receiver that is having a bad day");
            await().atMost(WebhookReceiver.PATIENCE).until(() -> received(receiver, job).size() == 1);

            List<Instant> at = new ArrayList<>(List.of(T0));
            for (int made = 1; made <= 5; made++) {
                at.add(nextAttempt(node, clock, receiver, endpoint, job, made));
            }
            await().atMost(WebhookReceiver.PATIENCE).until(() -> delivery(node, endpoint, job).path("status").asString().equals("delivered"));

            // After a 500: the schedule's wait within ±10 %; after the 503 with Retry-After: 900 (longer than the 5 min due): exactly that.
            assertWithinJitter(Duration.between(at.get(0), at.get(1)), DeliverySchedule.DELAYS.get(0));
            assertThat(Duration.between(at.get(1), at.get(2))).isEqualTo(Duration.ofSeconds(900));
            assertWithinJitter(Duration.between(at.get(2), at.get(3)), DeliverySchedule.DELAYS.get(2));
            assertWithinJitter(Duration.between(at.get(3), at.get(4)), DeliverySchedule.DELAYS.get(3));
            assertWithinJitter(Duration.between(at.get(4), at.get(5)), DeliverySchedule.DELAYS.get(4));

            List<WebhookReceiver.Received> got = received(receiver, job);
            assertThat(got).extracting(WebhookReceiver.Received::answered).containsExactly("500", "503", "500", "hang", "hang", "200");
            assertThat(got).extracting(WebhookReceiver.Received::webhookId).containsOnly(got.getFirst().webhookId());
            assertThat(got).allSatisfy(r -> assertThat(r.verified()).as(r.error()).isTrue());
            assertThat(got).extracting(WebhookReceiver.Received::body).containsOnly(got.getFirst().body());
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i).timestamp()).as("attempt %d is signed at its own time", i + 1).isEqualTo(at.get(i).getEpochSecond());
            }

            JsonNode detail = node.http.get("/v1/webhooks/" + endpoint + "/deliveries/" + delivery(node, endpoint, job).path("id").asString(),
                    TestNode.DEMO_KEY).json();
            List<String> statuses = new ArrayList<>();
            detail.path("attempts").forEach(a -> statuses.add(a.path("status").isNull() ? "none" : a.path("status").asString()));
            assertThat(statuses).containsExactly("500", "503", "500", "none", "none", "200");
            assertThat(detail.path("attempts").get(3).path("error").asString()).contains("no answer within 1000 ms");
        }
    }

    @Test
    void aDeadLetterIsListedAndReplaysOneByOneOrAllWithItsWebhookId() throws Exception {
        ManualClock clock = new ManualClock(T0);
        try (FakeProvider fake = FakeProvider.start(FaultScript.none()); WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = start(dir, fake, clock)) {
            receiver.clock(T0).script(List.of(), WebhookReceiver.status(500));
            String endpoint = register(node, receiver).path("id").asString();
            String first = completedJob(node, "the first document nobody takes");
            String second = completedJob(node, "the second document nobody takes");
            await().atMost(WebhookReceiver.PATIENCE).until(() -> received(receiver, first).size() == 1 && received(receiver, second).size() == 1);

            // Every attempt fails: step both deliveries through the whole schedule.
            for (int made = 1; made < DeliverySchedule.ATTEMPTS; made++) {
                int m = made;
                await().atMost(WebhookReceiver.PATIENCE).until(() -> delivery(node, endpoint, first).path("attempts").asInt() == m
                        && delivery(node, endpoint, second).path("attempts").asInt() == m);
                Instant a = Instant.parse(delivery(node, endpoint, first).path("next_attempt_at").asString());
                Instant b = Instant.parse(delivery(node, endpoint, second).path("next_attempt_at").asString());
                Instant next = a.isAfter(b) ? a : b;
                clock.set(next);
                receiver.clock(next);
                await().atMost(WebhookReceiver.PATIENCE).until(() -> received(receiver, first).size() == m + 1 && received(receiver, second).size() == m + 1);
            }
            await().atMost(WebhookReceiver.PATIENCE).until(() -> delivery(node, endpoint, first).path("status").asString().equals("dead")
                    && delivery(node, endpoint, second).path("status").asString().equals("dead"));
            JsonNode dead = node.http.get("/v1/webhooks/" + endpoint + "/deliveries?status=dead", TestNode.DEMO_KEY).json().path("deliveries");
            assertThat(dead).hasSize(2);
            assertThat(delivery(node, endpoint, first).path("attempts").asInt()).isEqualTo(DeliverySchedule.ATTEMPTS);
            assertThat(delivery(node, endpoint, first).path("next_attempt_at").isNull()).isTrue();

            receiver.script(List.of(), WebhookReceiver.status(200));
            String firstId = delivery(node, endpoint, first).path("id").asString();
            Http.Response one = node.http.post("/v1/webhooks/" + endpoint + "/deliveries/" + firstId + "/replay", TestNode.DEMO_KEY, null);
            assertThat(one.status()).as(one.text()).isEqualTo(202);
            assertThat(one.json().path("replayed").asInt()).isEqualTo(1);
            await().atMost(WebhookReceiver.PATIENCE).until(() -> delivery(node, endpoint, first).path("status").asString().equals("delivered"));
            assertThat(delivery(node, endpoint, second).path("status").asString()).isEqualTo("dead");

            Http.Response all = node.http.post("/v1/webhooks/" + endpoint + "/replay", TestNode.DEMO_KEY, null);
            assertThat(all.status()).as(all.text()).isEqualTo(202);
            assertThat(all.json().path("replayed").asInt()).isEqualTo(1);
            await().atMost(WebhookReceiver.PATIENCE).until(() -> delivery(node, endpoint, second).path("status").asString().equals("delivered"));

            for (String job : List.of(first, second)) {
                List<WebhookReceiver.Received> got = received(receiver, job);
                assertThat(got).hasSize(DeliverySchedule.ATTEMPTS + 1);
                assertThat(got).extracting(WebhookReceiver.Received::webhookId).containsOnly(got.getFirst().webhookId());
                assertThat(got.getLast().answered()).isEqualTo("200");
                assertThat(got.getLast().verified()).as(got.getLast().error()).isTrue();
            }
            JsonNode attempts = node.http.get("/v1/webhooks/" + endpoint + "/deliveries/" + firstId, TestNode.DEMO_KEY).json().path("attempts");
            assertThat(attempts).hasSize(DeliverySchedule.ATTEMPTS + 1);
            assertThat(attempts.get(DeliverySchedule.ATTEMPTS).path("number").asInt()).isEqualTo(DeliverySchedule.ATTEMPTS + 1);
            Http.Response again = node.http.post("/v1/webhooks/" + endpoint + "/deliveries/" + firstId + "/replay", TestNode.DEMO_KEY, null);
            assertThat(again.json().path("replayed").asInt()).isZero();
        }
    }

    private static void assertWithinJitter(Duration actual, Duration scheduled) {
        assertThat(actual).isBetween(scheduled.multipliedBy(9).dividedBy(10), scheduled.multipliedBy(11).dividedBy(10));
    }
}
