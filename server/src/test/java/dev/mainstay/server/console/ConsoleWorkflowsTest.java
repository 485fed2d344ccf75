package dev.mainstay.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.server.testing.GatedWorkflow;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The workflows page over plain HTTP on a real node whose activation gate refused a worse version:
 * each version's state and gate decision, the comparison of the two runs the gate made (the
 * regressed cases named), and a promotion with a reason (admin only, CSRF, refused at its field
 * without a reason), audited as the API's activation is.
 */
class ConsoleWorkflowsTest {
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    private static final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    Path dir;
    private TestNode node;

    private record Session(String cookie, String csrf) {
    }

    @Test
    void versionsShowTheirStateAndGateRunsCompareAndAnAdminPromotesWithAReason() throws Exception {
        Path workflows = dir.resolve("workflows");
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            GatedWorkflow.write(workflows, 1, GatedWorkflow.GOOD);
            try (TestNode first = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples().start()) {
                assertThat(GatedWorkflow.view(first.http).path("active_version").asInt()).isEqualTo(1);
            }
            GatedWorkflow.write(workflows, 2, GatedWorkflow.WORSE);
            try (TestNode n = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples().start()) {
                node = n;
                JsonNode gate = GatedWorkflow.awaitDecision(n.http, 2);
                assertThat(gate.path("decision").asString()).isEqualTo("refused");
                Session admin = signIn(TestNode.ADMIN_KEY);

                String page = get("/console/workflows", admin.cookie()).body();
                assertThat(page).containsPattern("<tr id=\"version-1\"><td>v1</td><td><span class=\"badge good\">active</span>")
                        .containsPattern("<tr id=\"version-2\"><td>v2</td><td><span class=\"badge warn\">candidate</span></td>\\s*<td><span class=\"badge bad\">refused</span>")
                        .contains("regressed: budget, hiring, launch");

                // The gate's two runs compared: the note cases regressed.
                String base = gate.path("baseline_run").asString();
                String run = gate.path("run").asString();
                String compared = get("/console/workflows?workflow=" + enc(GatedWorkflow.NAME) + "&before=" + base + "&after=" + run, admin.cookie()).body();
                assertThat(compared).contains("id=\"comparison\"").contains("regressed: <strong>3</strong>");
                for (String c : GatedWorkflow.NOTE_CASES) {
                    assertThat(compared).containsPattern("<td>" + c + "</td><td><span class=\"badge bad\">regressed</span>");
                }
                assertThat(get("/console/workflows?workflow=" + enc(GatedWorkflow.NAME) + "&before=evr_nosuch&after=" + run, admin.cookie()).body())
                        .contains("id=\"compare-before-error-" + GatedWorkflow.NAME + "\"").contains("no eval run evr_nosuch").doesNotContain("id=\"comparison\"");

                // Promote v2 anyway: without a reason it is refused at the field, and nothing changes.
                String activate = "workflow=" + enc(GatedWorkflow.NAME) + "&version=2";
                HttpResponse<String> noReason = post("/console/workflows/activate", admin.cookie(), activate + "&reason=+&csrf=" + admin.csrf());
                assertThat(noReason.statusCode()).isEqualTo(422);
                assertThat(noReason.body()).contains("id=\"activate-reason-error-" + GatedWorkflow.NAME + "\"").contains("required: why this version serves now");
                assertThat(post("/console/workflows/activate", admin.cookie(), activate + "&reason=forged").statusCode()).isEqualTo(403);
                Session demo = signIn(TestNode.DEMO_KEY);
                assertThat(get("/console/workflows", demo.cookie()).statusCode()).isEqualTo(403);
                HttpResponse<String> notAdmin = post("/console/workflows/activate", demo.cookie(), activate + "&reason=mine&csrf=" + demo.csrf());
                assertThat(notAdmin.statusCode()).isEqualTo(403);
                assertThat(Json.parse(notAdmin.body()).path("code").asString()).isEqualTo("forbidden");
                assertThat(GatedWorkflow.view(n.http).path("active_version").asInt()).isEqualTo(1);

                HttpResponse<String> promoted = post("/console/workflows/activate", admin.cookie(), activate + "&reason=" + enc("support wants the shorter answers") + "&csrf=" + admin.csrf());
                assertThat(promoted.statusCode()).isEqualTo(303);
                assertThat(get(promoted.headers().firstValue("Location").orElseThrow(), admin.cookie()).body()).contains("id=\"activated\"")
                        .containsPattern("<tr id=\"version-2\"><td>v2</td><td><span class=\"badge good\">active</span>");
                assertThat(GatedWorkflow.view(n.http).path("active_version").asInt()).isEqualTo(2);
                assertThat(GatedWorkflow.submittedVersion(n.http)).isEqualTo(2);
                JsonNode audit = n.http.get("/v1/admin/audit?action=workflow.activated", TestNode.ADMIN_KEY).json();
                JsonNode last = null;
                for (JsonNode r : audit.path("records")) {
                    last = r;
                }
                assertThat(last).as(audit.toString()).isNotNull();
                assertThat(last.path("actor").asString()).startsWith("key:key_");
                assertThat(last.path("details").path("reason").asString()).isEqualTo("support wants the shorter answers");
                assertThat(last.path("details").path("kind").asString()).isEqualTo("promotion");
                assertThat(last.path("details").path("previous_version").asInt()).isEqualTo(1);
            }
        }
    }

    private Session signIn(String key) throws Exception {
        HttpResponse<String> form = get("/console/sign-in", null);
        Matcher token = CSRF.matcher(form.body());
        assertThat(token.find()).isTrue();
        String formCookie = form.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        HttpResponse<String> r = post("/console/sign-in", formCookie, "api_key=" + enc(key) + "&csrf=" + token.group(1));
        assertThat(r.statusCode()).isEqualTo(303);
        String cookie = r.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        Matcher m = CSRF.matcher(get(r.headers().firstValue("Location").orElseThrow(), cookie).body());
        assertThat(m.find()).isTrue();
        return new Session(cookie, m.group(1));
    }

    private HttpResponse<String> get(String path, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String cookie, String form) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return node.server.baseUrl().resolve(path);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
