package dev.mainstay.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job page's live part over plain HTTP on a real node: it follows the node's event hub (the
 * same reader of the event feed as {@code GET /v1/jobs/{id}/events}), so it is pushed the job's
 * change as it happens, ends with {@code done} when the job finishes, and holds one of the
 * account's stream slots while it is open.
 */
class ConsoleLiveTest {
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    private static final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    static Path dir;
    private static FakeProvider fake;
    private static TestNode node;

    @BeforeAll
    static void start() {
        // Every answer's confidence is below the gate: each job waits for a person, unfinished, until decided.
        fake = FakeProvider.start(FaultScript.always(Fault.ok().numbers("0.3")));
        node = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples()
                .section("streams:\n  heartbeat: 200ms\n  per_account: 2\n")
                .file("prompts/notes.mustache", "Summarise.\n<text>{{input.text}}</text>\n")
                .workflow("test/notes", """
                        workflow: test/notes
                        version: 1
                        latency: async
                        input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                        stages:
                          - id: summarise
                            model: { prompt: prompts/notes.mustache, route: [primary], timeout: 2s }
                            output:
                              schema:
                                type: object
                                required: [summary, confidence]
                                properties:
                                  summary: { type: string, minLength: 1 }
                                  confidence: { type: number, minimum: 0, maximum: 1 }
                              confidence: { field: confidence, min: 0.9, below: review }
                        """)
                .start();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        fake.close();
    }

    @Test
    void theLivePartIsPushedTheJobsChangeAndEndsWhenItFinishesHoldingOneOfTheAccountsStreamSlots() throws Exception {
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Http.Response r = node.http.post("/v1/test/notes", TestNode.DEMO_KEY, "{\"text\": \"Note " + i + " of the launch.\"}");
            assertThat(r.status()).as(r.text()).isEqualTo(202);
            jobs.add(r.json().path("id").asString());
        }
        List<String> reviews = new ArrayList<>();
        for (String job : jobs) {
            reviews.add(awaitReview(job));
        }
        String cookie = signIn(TestNode.DEMO_KEY);

        Live first = open(jobs.get(0), cookie);
        assertThat(first.next("event:job")).isNotNull();
        assertThat(first.next("data-status=\"waiting_for_review\"")).as("the first event shows the job as it stands").isNotNull();
        Live second = open(jobs.get(1), cookie);
        assertThat(second.next("event:job")).isNotNull();

        // Two streams are the account's cap: a third page's stream is refused until one ends.
        HttpResponse<String> third = client.send(HttpRequest.newBuilder(uri("/console/jobs/" + jobs.get(2) + "/live")).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(Json.parse(third.body()).path("code").asString()).isEqualTo("rate_limited");
        assertThat(third.headers().firstValue("Retry-After")).isPresent();

        // Deciding the review finishes the job: the open stream shows it finished, then says done and ends.
        Http.Response decided = node.http.post("/v1/reviews/" + reviews.get(0) + "/decision", TestNode.DEMO_KEY, "{\"decision\": \"approve\"}");
        assertThat(decided.status()).as(decided.text()).isEqualTo(200);
        String finished = TestNode.awaitTerminal(node.http, TestNode.DEMO_KEY, jobs.get(0)).path("status").asString();
        assertThat(first.next("data-status=\"" + finished + "\"")).as("%s", first.seen).isNotNull();
        assertThat(first.next("event:done")).isNotNull();
        assertThat(first.next("data:" + finished)).isNotNull();
        assertThat(first.ended()).isTrue();

        // Its slot is free again: the third page's stream opens.
        Live opened = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> tryOpen(jobs.get(2), cookie), java.util.Objects::nonNull);
        assertThat(opened.next("data-status=\"waiting_for_review\"")).isNotNull();
        opened.close();
        second.close();

        // A finished job's stream says so at once and ends.
        Live again = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> tryOpen(jobs.get(0), cookie), java.util.Objects::nonNull);
        assertThat(again.next("data-status=\"" + finished + "\"")).isNotNull();
        assertThat(again.next("data:" + finished)).isNotNull();
        assertThat(again.ended()).isTrue();
    }

    /** One open live stream, read line by line on its own thread. */
    private static final class Live implements AutoCloseable {
        private static final String END = "\u0000end";
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Thread reader;
        private final Stream<String> body;

        Live(Stream<String> body) {
            this.body = body;
            reader = Thread.ofVirtual().start(() -> {
                try (body) {
                    body.forEach(l -> lines.add(l.replaceFirst("^(event|data|id): ", "$1:")));
                } catch (RuntimeException e) {
                    // closed by the test
                }
                lines.add(END);
            });
        }

        /** The first line from here on that contains {@code text}, waiting up to 20 s; null if the stream ended first. */
        String next(String text) throws InterruptedException {
            while (true) {
                String l = lines.poll(20, TimeUnit.SECONDS);
                assertThat(l).as("a line with '" + text + "' within 20 s").isNotNull();
                if (l.equals(END)) {
                    lines.add(END);
                    return null;
                }
                seen.add(l.length() > 300 ? l.substring(0, 300) : l);
                if (l.contains(text)) {
                    return l;
                }
            }
        }

        /** Whether the server ended the stream within 20 s. */
        boolean ended() throws InterruptedException {
            return next(END) == null;
        }

        @Override
        public void close() {
            body.close();
            reader.interrupt();
        }
    }

    /** The stream of {@code jobId}, or null while the account holds its cap of streams. */
    private static Live tryOpen(String jobId, String cookie) throws Exception {
        HttpResponse<Stream<String>> r = client.send(HttpRequest.newBuilder(uri("/console/jobs/" + jobId + "/live")).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() == 429) {
            r.body().close();
            return null;
        }
        assertThat(r.statusCode()).isEqualTo(200);
        return new Live(r.body());
    }

    private static Live open(String jobId, String cookie) throws Exception {
        HttpResponse<Stream<String>> r = client.send(HttpRequest.newBuilder(uri("/console/jobs/" + jobId + "/live")).header("Cookie", cookie)
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        return new Live(r.body());
    }

    private static String awaitReview(String jobId) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> node.http.get("/v1/jobs/" + jobId, TestNode.DEMO_KEY).json().path("status").asString()
                .equals("waiting_for_review"));
        for (var r : node.http.get("/v1/reviews?status=pending", TestNode.DEMO_KEY).json().path("reviews")) {
            if (r.path("job_id").asString().equals(jobId)) {
                return r.path("id").asString();
            }
        }
        throw new AssertionError("no pending review of job " + jobId);
    }

    private static String signIn(String key) throws Exception {
        HttpResponse<String> form = client.send(HttpRequest.newBuilder(uri("/console/sign-in")).build(), HttpResponse.BodyHandlers.ofString());
        Matcher token = CSRF.matcher(form.body());
        assertThat(token.find()).isTrue();
        String formCookie = form.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/console/sign-in")).header("Cookie", formCookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("api_key=" + URLEncoder.encode(key, StandardCharsets.UTF_8) + "&csrf=" + token.group(1))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(303);
        return r.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    }

    private static URI uri(String path) {
        return node.server.baseUrl().resolve(path);
    }
}
