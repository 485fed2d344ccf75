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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job page's actions over plain HTTP on a real node: the trace id linked to the configured
 * trace backend, the difference against another job (what {@code GET /v1/jobs/{a}/diff/{b}}
 * computes), and "save as eval case" (admin only, refused at its field, stored and audited as
 * {@code POST /v1/admin/evals/{suite}/cases} does).
 */
class ConsoleJobActionsTest {
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    static Path dir;
    private static FakeProvider fake;
    private static TestNode node;
    private static dev.mainstay.server.testing.OtlpReceiver receiver;

    @BeforeAll
    static void start() {
        fake = FakeProvider.start(FaultScript.always(Fault.ok().numbers("0.9")));
        receiver = dev.mainstay.server.testing.OtlpReceiver.start();
        node = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples()
                .env("MAINSTAY_CONSOLE_TRACE_URL", "http://traces.internal/trace/{trace_id}")
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
                        evals: notes.evals.yaml
                        """)
                .file("test/notes.evals.yaml", """
                        suite: test-notes
                        threshold: 0.5
                        scorers:
                          - schema_valid
                        cases:
                          - id: from-the-file
                            input: { text: The launch moved to June. }
                        """)
                .start(java.time.Clock.systemUTC(), dev.mainstay.server.tracing.OtelTracer.fromEnvironment(receiver.env()));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        fake.close();
        receiver.close();
    }

    private record Session(String cookie, String csrf) {
    }

    @Test
    void aJobsPageLinksItsTraceDiffsAgainstAnotherJobAndSavesItAsAnEvalCase() throws Exception {
        Http.Response traced = node.http.post("/v1/test/notes", TestNode.DEMO_KEY, "{\"text\": \"The launch moved to June.\"}",
                "traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01");
        assertThat(traced.status()).as(traced.text()).isEqualTo(202);
        String a = traced.json().path("id").asString();
        String b = node.http.post("/v1/test/notes", TestNode.DEMO_KEY, "{\"text\": \"Another note.\"}").json().path("id").asString();
        assertThat(node.awaitTerminal(a).path("status").asString()).isEqualTo("completed");
        assertThat(node.awaitTerminal(b).path("status").asString()).isEqualTo("completed");

        Session admin = signIn(TestNode.ADMIN_KEY);
        String page = get("/console/jobs/" + a, admin.cookie()).body();
        assertThat(page).contains("id=\"trace-link\" href=\"http://traces.internal/trace/" + TRACE_ID + "\"");
        assertThat(get("/console/jobs/" + b, admin.cookie()).body()).doesNotContain(TRACE_ID);

        // The diff is the API's: the inputs differ, and the page says so.
        String apiDiff = node.http.get("/v1/jobs/" + a + "/diff/" + b, TestNode.DEMO_KEY).json().path("explanation").get(0).asString();
        HttpResponse<String> diffed = get("/console/jobs/" + a + "?diff=" + b, admin.cookie());
        assertThat(diffed.statusCode()).isEqualTo(200);
        assertThat(diffed.body()).contains("id=\"diff-result\"").contains("<code>input_hash</code>").contains(apiDiff);
        assertThat(get("/console/jobs/" + a + "?diff=job_nosuch", admin.cookie()).body()).contains("id=\"diff-error\"").contains("no job job_nosuch");

        // Save as eval case: a taken name is refused at its field and nothing is stored; a new one is stored and audited.
        assertThat(page).contains("id=\"save-case\"").contains("<option value=\"test-notes\"");
        HttpResponse<String> refused = post("/console/jobs/" + a + "/eval-case", admin.cookie(), "suite=test-notes&name=from-the-file&csrf=" + admin.csrf());
        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(refused.body()).contains("id=\"case-name-error\"").contains("already has a case").contains("aria-invalid=\"true\" aria-describedby=\"case-name-error\"");
        HttpResponse<String> wrongSuite = post("/console/jobs/" + a + "/eval-case", admin.cookie(), "suite=other-suite&csrf=" + admin.csrf());
        assertThat(wrongSuite.statusCode()).isEqualTo(422);
        assertThat(wrongSuite.body()).contains("id=\"case-suite-error\"");
        assertThat(cases().path("cases").size()).isZero();

        Session demo = signIn(TestNode.DEMO_KEY);
        assertThat(get("/console/jobs/" + a, demo.cookie()).body()).doesNotContain("save-case");
        HttpResponse<String> notAdmin = post("/console/jobs/" + a + "/eval-case", demo.cookie(), "suite=test-notes&name=by-account&csrf=" + demo.csrf());
        assertThat(notAdmin.statusCode()).isEqualTo(403);
        assertThat(Json.parse(notAdmin.body()).path("code").asString()).isEqualTo("forbidden");
        assertThat(post("/console/jobs/" + a + "/eval-case", admin.cookie(), "suite=test-notes&name=no-csrf").statusCode()).isEqualTo(403);
        assertThat(cases().path("cases").size()).isZero();

        HttpResponse<String> saved = post("/console/jobs/" + a + "/eval-case", admin.cookie(), "suite=test-notes&name=launch-june&csrf=" + admin.csrf());
        assertThat(saved.statusCode()).isEqualTo(200);
        assertThat(saved.body()).contains("id=\"case-saved\"").contains("launch-june");
        var stored = cases().path("cases");
        assertThat(stored.size()).isEqualTo(1);
        assertThat(stored.get(0).toString()).contains("launch-june").contains(a);
        String audit = node.http.get("/v1/admin/audit?action=eval_case.added", TestNode.ADMIN_KEY).text();
        assertThat(audit).contains("launch-june").contains("key:");
    }

    @Test
    void aTraceLinkThatIsNotAnHttpUrlWithTheTraceIdIsAConfigurationError() {
        for (String bad : new String[] {"ftp://traces/{trace_id}", "http://traces/trace"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.mainstay.server.ServerConfig.load(java.util.Optional.empty(),
                    java.util.Map.of("MAINSTAY_CONSOLE_TRACE_URL", bad))).hasMessageContaining("MAINSTAY_CONSOLE_TRACE_URL").hasMessageContaining("{trace_id}");
        }
        assertThat(dev.mainstay.server.ServerConfig.load(java.util.Optional.empty(), java.util.Map.of("MAINSTAY_CONSOLE_TRACE_URL", "https://t/{trace_id}"))
                .consoleTraceUrl()).hasValue("https://t/{trace_id}");
    }

    private static tools.jackson.databind.JsonNode cases() {
        return node.http.get("/v1/admin/evals/test-notes/cases", TestNode.ADMIN_KEY).json();
    }

    private static Session signIn(String key) throws Exception {
        HttpResponse<String> form = get("/console/sign-in", null);
        Matcher token = CSRF.matcher(form.body());
        assertThat(token.find()).isTrue();
        String formCookie = form.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        HttpResponse<String> r = post("/console/sign-in", formCookie, "api_key=" + URLEncoder.encode(key, StandardCharsets.UTF_8) + "&csrf=" + token.group(1));
        assertThat(r.statusCode()).isEqualTo(303);
        String cookie = r.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        Matcher m = CSRF.matcher(get(r.headers().firstValue("Location").orElseThrow(), cookie).body());
        assertThat(m.find()).isTrue();
        return new Session(cookie, m.group(1));
    }

    private static HttpResponse<String> get(String path, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String cookie, String form) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return node.server.baseUrl().resolve(path);
    }
}
