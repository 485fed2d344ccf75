package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.Json;
import dev.mainstay.server.stream.SseClient;
import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/** Job and account event streams as Server-Sent Events over real HTTP. */
class EventStreamHttpTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final String BODY = "{\"text\": \"A job to follow.\"}";

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(s -> s.section("streams:\n  heartbeat: 200ms\n  per_account: 3\n"))
            .script(FaultScript.always(Fault.ok().latency(Duration.ofMillis(150))));

    private static URI uri(String path) {
        return node.server().baseUrl().resolve(path);
    }

    private static String submit() {
        Http.Response r = node.http.post("/v1/test/pipeline", KEY, BODY);
        assertThat(r.status()).isEqualTo(202);
        return r.json().path("id").asString();
    }

    private static List<Long> listed(String jobId) {
        List<Long> out = new ArrayList<>();
        node.http.get("/v1/jobs/" + jobId + "/events", KEY).json().path("events").forEach(e -> out.add(e.path("seq").asLong()));
        return out;
    }

    private static List<Long> ids(SseClient c) {
        return c.events().stream().map(e -> Long.parseLong(e.id())).toList();
    }

    @Test
    void jobStreamSendsEveryEventOfTheJobAndEndsAfterTheTerminalOne() throws Exception {
        String id = submit();
        try (SseClient stream = SseClient.open(uri("/v1/jobs/" + id + "/events"), KEY)) {
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.contentType()).startsWith("text/event-stream");
            assertThat(stream.awaitEnd(Duration.ofSeconds(30))).as("the stream ends after the job's last event").isTrue();
            List<SseClient.Event> events = stream.events();
            assertThat(ids(stream)).isEqualTo(listed(id));
            SseClient.Event last = events.getLast();
            assertThat(last.type()).isEqualTo("completed");
            JsonNode data = Json.parse(last.data());
            assertThat(data.path("status").asString()).isEqualTo("completed");
            assertThat(data.path("job_id").asString()).isEqualTo(id);
            assertThat(data.path("seq").asLong()).isEqualTo(Long.parseLong(last.id()));
            assertThat(events.getFirst().type()).isEqualTo("submitted");
        }
    }

    @Test
    void reconnectingWithLastEventIdOrAfterResumesWithNoGapAndNoRepeat() throws Exception {
        String id = submit();
        List<Long> seen = new ArrayList<>();
        try (SseClient first = SseClient.open(uri("/v1/jobs/" + id + "/events"), KEY)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> first.events().size() >= 2);
            first.close();
            seen.addAll(ids(first));
        }
        try (SseClient second = SseClient.open(uri("/v1/jobs/" + id + "/events"), KEY, "Last-Event-ID", Long.toString(seen.getLast()))) {
            assertThat(second.awaitEnd(Duration.ofSeconds(30))).isTrue();
            seen.addAll(ids(second));
        }
        assertThat(seen).isEqualTo(listed(id)).doesNotHaveDuplicates();

        List<Long> all = listed(id);
        try (SseClient third = SseClient.open(uri("/v1/jobs/" + id + "/events?after=" + all.get(1)), KEY)) {
            assertThat(third.awaitEnd(Duration.ofSeconds(30))).isTrue();
            assertThat(ids(third)).isEqualTo(all.subList(2, all.size()));
        }
    }

    @Test
    void aFinishedJobWithNothingAfterTheResumePointIs204SoBrowsersStopReconnecting() throws Exception {
        String id = submit();
        node.awaitTerminal(id);
        List<Long> all = listed(id);
        try (SseClient stream = SseClient.open(uri("/v1/jobs/" + id + "/events"), KEY, "Last-Event-ID", Long.toString(all.getLast()))) {
            assertThat(stream.status()).isEqualTo(204);
        }
    }

    @Test
    void aQuietStreamSendsHeartbeatComments() throws Exception {
        try (SseClient stream = SseClient.open(uri("/v1/events?workflow=test/echo"), KEY)) {
            assertThat(stream.status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> stream.comments().stream().filter("heartbeat"::equals).count() >= 2);
        }
    }

    @Test
    void accountStreamFiltersByWorkflowAndStatusAndResumesFromItsCursor() throws Exception {
        List<SseClient.Event> got = new ArrayList<>();
        String lastId;
        try (SseClient stream = SseClient.open(uri("/v1/events?workflow=test/pipeline&status=completed"), KEY)) {
            String a = submit();
            node.http.post("/v1/test/echo", KEY, BODY);
            await().atMost(Duration.ofSeconds(30)).until(() -> stream.events().size() >= 1);
            got.addAll(stream.events());
            assertThat(got).allSatisfy(e -> {
                JsonNode d = Json.parse(e.data());
                assertThat(d.path("workflow").asString()).isEqualTo("test/pipeline");
                assertThat(d.path("status").asString()).isEqualTo("completed");
            });
            assertThat(Json.parse(got.getFirst().data()).path("job_id").asString()).isEqualTo(a);
            lastId = got.getLast().id();
        }
        assertThat(lastId).matches("\\d+-\\d+");
        String b = submit();
        node.awaitTerminal(b);
        try (SseClient resumed = SseClient.open(uri("/v1/events?workflow=test/pipeline&status=completed"), KEY, "Last-Event-ID", lastId)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> resumed.events().stream().anyMatch(e -> Json.parse(e.data()).path("job_id").asString().equals(b)));
            assertThat(resumed.events()).noneMatch(e -> e.id().equals(lastId));
        }
    }

    @Test
    void oneStreamMoreThanTheAccountsCapIs429AndASlotComesBackWhenAStreamCloses() throws Exception {
        List<SseClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                SseClient c = SseClient.open(uri("/v1/events"), KEY);
                assertThat(c.status()).isEqualTo(200);
                open.add(c);
            }
            Http.Response refused = node.http.send(node.http.request("/v1/events").header("Authorization", "Bearer " + KEY)
                    .header("Accept", "text/event-stream").GET().build());
            assertProblem(refused, 429, "rate_limited");
            assertThat(refused.header("Retry-After")).isNotNull();
            assertThat(refused.json().path("detail").asString()).contains("3");
            open.removeFirst().close();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                SseClient c = SseClient.open(uri("/v1/events"), KEY);
                open.add(c);
                return c.status() == 200;
            });
        } finally {
            open.forEach(SseClient::close);
        }
    }

    @Test
    void badResumePointsAndRequestsAreProblems() throws Exception {
        String id = submit();
        try (SseClient bad = SseClient.open(uri("/v1/jobs/" + id + "/events"), KEY, "Last-Event-ID", "yesterday")) {
            assertThat(bad.status()).isEqualTo(400);
        }
        try (SseClient bad = SseClient.open(uri("/v1/events?after=12"), KEY)) {
            assertThat(bad.status()).isEqualTo(400);
        }
        try (SseClient bad = SseClient.open(uri("/v1/events?status=sleeping"), KEY)) {
            assertThat(bad.status()).isEqualTo(400);
        }
        assertProblem(node.http.get("/v1/events", KEY), 406, "invalid_input");
        try (SseClient none = SseClient.open(uri("/v1/jobs/job_01m82g1hms5bha8kad2h1f2am0/events"), KEY)) {
            assertThat(none.status()).isEqualTo(404);
        }
        try (SseClient anonymous = SseClient.open(uri("/v1/jobs/" + id + "/events"), null)) {
            assertThat(anonymous.status()).isEqualTo(401);
        }
    }

    @Test
    void anotherAccountsJobHasNoStreamAndItsEventsStayOutOfTheAccountStream() throws Exception {
        String otherKey = Accounts.create(node.http, "free");
        String id = submit();
        try (SseClient other = SseClient.open(uri("/v1/jobs/" + id + "/events"), otherKey)) {
            assertThat(other.status()).isEqualTo(404);
        }
        try (SseClient theirs = SseClient.open(uri("/v1/events"), otherKey)) {
            String mine = submit();
            node.awaitTerminal(mine);
            try (SseClient own = SseClient.open(uri("/v1/events?after=0-0"), KEY)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> own.events().stream().anyMatch(e -> e.data().contains(mine)));
            }
            assertThat(theirs.events()).isEmpty();
        }
    }

    @Test
    void theKeyMayComeAsAccessTokenForAStreamOnly() throws Exception {
        String id = submit();
        try (SseClient stream = SseClient.open(uri("/v1/jobs/" + id + "/events?access_token=" + KEY), null)) {
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.awaitEnd(Duration.ofSeconds(30))).isTrue();
        }
        assertProblem(node.http.get("/v1/jobs/" + id + "?access_token=" + KEY, null), 401, "unauthorized");
    }
}
