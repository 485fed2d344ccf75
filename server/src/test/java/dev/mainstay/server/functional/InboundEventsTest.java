package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import com.standardwebhooks.Webhook;
import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.webhook.SigningSecret;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inbound events over real HTTP, signed by the Standard Webhooks Java library as a sending system
 * would: one job per {@code webhook-id}, however often and whenever the event comes; refusals
 * store nothing.
 */
class InboundEventsTest {
    private static final String SECRET = SigningSecret.generate().reveal();

    @TempDir
    Path dir;

    private static TestNode start(Path dir, FakeProvider fake) {
        return TestNode.in(dir).provider(fake.baseUrl()).section("""
                inbound:
                  documents:
                    account: acct_demo
                    secret: {env: DOCUMENTS_SECRET}
                    events:
                      document.received: test/echo
                """).env("DOCUMENTS_SECRET", SECRET).start();
    }

    private static Http.Response post(TestNode node, String source, String secret, String id, Instant at, String body) throws Exception {
        String signature = new Webhook(secret).sign(id, at.getEpochSecond(), body);
        return node.http.send(node.http.request("/v1/inbound/" + source).header("Content-Type", "application/json").header("webhook-id", id)
                .header("webhook-timestamp", Long.toString(at.getEpochSecond())).header("webhook-signature", signature)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static int jobCount(TestNode node) {
        return node.http.get("/v1/jobs?limit=200", TestNode.DEMO_KEY).json().path("jobs").size();
    }

    @Test
    void oneEventPostedFiftyTimesAtOnceAndAgainAfterARestartStartsOneJob() throws Exception {
        String body = "{\"type\": \"document.received\", \"timestamp\": \"2026-12-01T09:00:00Z\", \"data\": {\"text\": \"a contract arrived\"}}";
        String id = "msg_2kq9DocumentReceived001";
        String jobId;
        try (FakeProvider fake = FakeProvider.start(FaultScript.none()); TestNode node = start(dir, fake)) {
            int before = jobCount(node);
            List<Callable<Http.Response>> posts = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                posts.add(() -> post(node, "documents", SECRET, id, Instant.now(), body));
            }
            List<Http.Response> answers = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(50)) {
                for (Future<Http.Response> f : pool.invokeAll(posts)) {
                    answers.add(f.get());
                }
            }
            Set<String> jobs = new HashSet<>();
            int created = 0;
            for (Http.Response r : answers) {
                assertThat(r.status()).as(r.text()).isIn(200, 202);
                jobs.add(r.json().path("job_id").asString());
                created += r.status() == 202 ? 1 : 0;
                assertThat(r.json().path("duplicate").asBoolean()).isEqualTo(r.status() == 200);
            }
            assertThat(jobs).hasSize(1);
            assertThat(created).isEqualTo(1);
            jobId = jobs.iterator().next();
            assertThat(jobCount(node)).isEqualTo(before + 1);
            assertThat(node.awaitTerminal(jobId).path("status").asString()).isEqualTo("completed");
            assertThat(node.awaitTerminal(jobId).path("workflow").asString()).isEqualTo("test/echo");
        }
        try (FakeProvider fake = FakeProvider.start(FaultScript.none()); TestNode node = start(dir, fake)) {
            int before = jobCount(node);
            Http.Response again = post(node, "documents", SECRET, id, Instant.now(), body);
            assertThat(again.status()).as(again.text()).isEqualTo(200);
            assertThat(again.json().path("job_id").asString()).isEqualTo(jobId);
            assertThat(again.json().path("duplicate").asBoolean()).isTrue();
            assertThat(jobCount(node)).isEqualTo(before);
        }
    }

    @Test
    void badSignaturesOldTimestampsAndUnknownSourcesAreProblemsThatStoreNothing() throws Exception {
        String body = "{\"type\": \"document.received\", \"data\": {\"text\": \"a forged contract\"}}";
        try (FakeProvider fake = FakeProvider.start(FaultScript.none()); TestNode node = start(dir, fake)) {
            int before = jobCount(node);

            Http.Response forged = post(node, "documents", SigningSecret.generate().reveal(), "msg_forged1", Instant.now(), body);
            assertThat(forged.status()).isEqualTo(401);
            assertThat(forged.code()).isEqualTo("invalid_signature");

            Http.Response old = post(node, "documents", SECRET, "msg_replayed1", Instant.now().minusSeconds(600), body);
            assertThat(old.status()).isEqualTo(401);
            assertThat(old.code()).isEqualTo("invalid_signature");
            assertThat(old.json().path("detail").asString()).contains("from now");

            Http.Response unknown = post(node, "payments", SECRET, "msg_unknown1", Instant.now(), body);
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.code()).isEqualTo("not_found");

            Http.Response unsigned = node.http.post("/v1/inbound/documents", null, body);
            assertThat(unsigned.status()).isEqualTo(401);

            Http.Response badType = post(node, "documents", SECRET, "msg_badtype1", Instant.now(), "{\"type\": \"document.deleted\", \"data\": {\"text\": \"x\"}}");
            assertThat(badType.status()).isEqualTo(400);
            assertThat(badType.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/type");

            Http.Response badInput = post(node, "documents", SECRET, "msg_badinput1", Instant.now(), "{\"type\": \"document.received\", \"data\": {\"text\": \"\"}}");
            assertThat(badInput.status()).as(badInput.text()).isEqualTo(400);
            assertThat(badInput.json().path("errors").get(0).path("pointer").asString()).isEqualTo("/data/text");

            assertThat(jobCount(node)).isEqualTo(before);
            for (String id : List.of("msg_forged1", "msg_replayed1", "msg_unknown1", "msg_badtype1", "msg_badinput1")) {
                assertThat(node.server.store().inboundJob("documents", id)).as(id).isEmpty();
                assertThat(node.server.store().inboundJob("payments", id)).as(id).isEmpty();
            }
            // The refused id is not burnt: the genuine event with it still starts its job.
            Http.Response genuine = post(node, "documents", SECRET, "msg_forged1", Instant.now(), body);
            assertThat(genuine.status()).as(genuine.text()).isEqualTo(202);
            assertThat(Json.write(genuine.json())).contains("job_");
        }
    }
}
