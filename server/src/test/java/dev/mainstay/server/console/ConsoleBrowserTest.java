package dev.mainstay.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mainstay.server.stream.Browser;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * The console in Debian's headless Chromium against a running node and the fake provider: an
 * operator signs in, finds a failed job by its idempotency key, replays it and watches it complete
 * without reloading; decides reviews (an edit refused at its field first, nothing saved); changes
 * a budget and finds it in the audit log. Every page is captured into {@code docs/console/}, and
 * no page loads anything from another origin (the browser's own resource timing says so).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    private static final Path SHOTS = screenshots();

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup
            .workflow("test/flaky", """
                    workflow: test/flaky
                    version: 1
                    latency: async
                    deadline: 5m
                    input:
                      type: object
                      required: [text]
                      properties:
                        text: { type: string, minLength: 1 }
                    stages:
                      - id: summarise
                        model:
                          prompt: prompts/echo.mustache
                          route: [primary]
                          timeout: 10s
                        output:
                          schema: { type: object, required: [summary], properties: { summary: { type: string } } }
                        retry: { attempts: 1 }
                    evals: flaky.evals.yaml
                    """)
            .file("test/flaky.evals.yaml", """
                    suite: test-flaky
                    threshold: 0.5
                    scorers:
                      - schema_valid
                    cases:
                      - id: a-note
                        input: { text: The launch moved to June. }
                    """)
            .workflow("test/scored", """
                    workflow: test/scored
                    version: 1
                    latency: async
                    deadline: 5m
                    input:
                      type: object
                      required: [text]
                      properties:
                        text: { type: string, minLength: 1 }
                    stages:
                      - id: score
                        model:
                          prompt: prompts/echo.mustache
                          route: [primary]
                          timeout: 5s
                        output:
                          schema:
                            type: object
                            required: [summary, score, confidence]
                            properties:
                              summary: { type: string, minLength: 1 }
                              score: { type: integer, minimum: 0, maximum: 10 }
                              confidence: { type: number, minimum: 0, maximum: 1 }
                          confidence: { field: confidence, min: 0.9, below: review }
                        retry: { attempts: 1 }
                    """));

    private static Browser browser;
    private static final List<String> pagesSeen = new ArrayList<>();

    @BeforeAll
    static void startBrowser() throws Exception {
        assumeTrue(Browser.installed(), "chromium and chromium-driver are not installed");
        browser = Browser.start();
    }

    @AfterAll
    static void stopBrowser() throws Exception {
        if (browser != null) {
            browser.close();
        }
    }

    private static String base() {
        return node.node().server.baseUrl().toString().replaceAll("/$", "");
    }

    @Test
    @Order(1)
    void signsInFindsAFailedJobByItsIdempotencyKeyAndWatchesItsReplayCompleteLive() throws Exception {
        node.fake.script(FaultScript.always(Fault.status(500)));
        String failed = submit("test/flaky", "{\"text\": \"The quarterly report is late.\"}", "order-4711").path("id").asString();
        TestNode.awaitTerminal(node.http, TestNode.DEMO_KEY, failed);

        browser.open(base() + "/console/jobs");
        assertThat(browser.driver().getCurrentUrl()).contains("/console/sign-in");
        shot("sign-in");
        signIn(TestNode.ADMIN_KEY);
        assertThat(browser.driver().getCurrentUrl()).endsWith("/console/jobs");
        browser.open(base() + "/console");
        assertThat(browser.text("workflows")).contains("test/flaky");
        shot("overview");

        browser.open(base() + "/console/jobs");
        browser.type("f-idem", "order-4711");
        browser.click("filter");
        assertThat(browser.text("jobs")).contains(failed).contains("failed");
        shot("jobs");
        browser.clickLink(failed);
        assertThat(browser.text("job-status")).isEqualTo("failed");
        shot("job-failed");

        // Slow enough that the page is open before the replayed job finishes.
        node.fake.script(FaultScript.always(new Fault(Fault.Kind.OK, Duration.ofMillis(1500), Duration.ofMillis(1500), 200, Optional.empty())));
        browser.click("replay");
        assertThat(browser.driver().getCurrentUrl()).endsWith("/console/jobs/" + failed);
        assertThat(browser.text("job-status")).isNotEqualTo("completed");
        // A mark on the window survives only if the page is not loaded again.
        browser.run("window.__notReloaded = true;");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "completed".equals(browser.text("job-status")));
        assertThat(browser.run("return window.__notReloaded === true;")).isEqualTo(true);
        assertThat(browser.text("events")).contains("replayed").contains("completed");
        assertThat(browser.text("result")).contains("\"summary\"");
        assertThat(browser.run("return document.getElementById('cancel') === null && document.getElementById('replay') === null;")).isEqualTo(true);
        shot("job-completed");

        // The job against another job, and the job saved as a case of the suite its workflow names.
        String other = submit("test/flaky", "{\"text\": \"Another report.\"}", null).path("id").asString();
        TestNode.awaitTerminal(node.http, TestNode.DEMO_KEY, other);
        browser.type("case-name", "late-report");
        browser.click("save-case");
        assertThat(browser.text("case-saved")).contains("late-report").contains("test-flaky");
        browser.type("diff", other);
        browser.click("diff-submit");
        assertThat(browser.text("diff-result")).contains("input_hash").contains("their inputs differ");
        browser.run("document.getElementById('diff-section').scrollIntoView();");
        shot("job-actions");

        // Two eval runs of the suite, compared on the workflows page.
        for (int i = 0; i < 2; i++) {
            String run = node.http.post("/v1/admin/evals/runs", TestNode.ADMIN_KEY, "{\"workflow\": \"test/flaky\"}").json().path("runs").get(0).path("id").asString();
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> node.http.get("/v1/admin/evals/runs/" + run, TestNode.ADMIN_KEY).json()
                    .path("status").asString().equals("completed"));
        }
        browser.open(base() + "/console/workflows");
        browser.click("compare-submit-test/flaky");
        assertThat(browser.text("comparison")).contains("unchanged").contains("late-report");
        browser.run("document.getElementById('comparison').scrollIntoView(); window.scrollBy(0, -330);");
        shot("workflows-compare");

        browser.open(base() + "/console/dead-letters");
        shot("dead-letters");
        browser.open(base() + "/console/workflows");
        assertThat(browser.text("wf-test/flaky")).contains("summarise").contains("prompts/echo.mustache");
        shot("workflows");
        browser.open(base() + "/console/providers");
        assertThat(browser.text("main")).contains("closed");
        shot("providers");
    }

    @Test
    @Order(2)
    void approvesOneReviewAndEditsAnotherAfterAnInvalidValueIsRefusedAtItsField() throws Exception {
        // The fake's answers satisfy the schema with a confidence of 0.86, below the gate's 0.9: each goes to a person.
        node.fake.script(FaultScript.none());
        String first = submit("test/scored", "{\"text\": \"first\"}", null).path("id").asString();
        String second = submit("test/scored", "{\"text\": \"second\"}", null).path("id").asString();
        String approveReview = awaitReview(first);
        String editReview = awaitReview(second);

        browser.open(base() + "/console/reviews");
        assertThat(browser.text("reviews")).contains(approveReview).contains(editReview);
        shot("reviews");

        browser.open(base() + "/console/reviews/" + approveReview);
        shot("review");
        browser.click("approve");
        assertThat(browser.text("review-status")).isEqualTo("approved");
        assertThat(browser.text("reviewer")).startsWith("key_");

        browser.open(base() + "/console/reviews/" + editReview);
        browser.type("field-summary", "A summary a person wrote.");
        browser.type("field-score", "11");
        browser.click("save-edit");
        assertThat(browser.text("field-score-error")).contains("maximum value of 10");
        assertThat(browser.text("form-error")).contains("Nothing was saved");
        shot("review-edit-refused");
        assertThat(node.http.get("/v1/reviews/" + editReview, TestNode.DEMO_KEY).json().path("status").asString()).isEqualTo("pending");

        browser.type("field-score", "7");
        browser.click("save-edit");
        assertThat(browser.text("review-status")).isEqualTo("edited");
        JsonNode decided = node.http.get("/v1/reviews/" + editReview, TestNode.DEMO_KEY).json();
        assertThat(decided.path("output").path("score").asInt()).isEqualTo(7);
        assertThat(decided.path("output").path("summary").asString()).isEqualTo("A summary a person wrote.");
        assertThat(decided.path("reviewer").asString()).startsWith("key_");
        TestNode.awaitTerminal(node.http, TestNode.DEMO_KEY, second);
    }

    @Test
    @Order(3)
    void changesABudgetAndFindsTheChangeInTheAuditLog() throws Exception {
        browser.open(base() + "/console/usage?account=" + TestNode.DEMO_ACCOUNT);
        browser.type("limit-cost_per_month_usd", "a lot");
        browser.click("save-limits");
        assertThat(browser.text("limit-cost_per_month_usd-error")).isNotBlank();
        shot("usage-refused");
        browser.type("limit-cost_per_month_usd", "123.45");
        browser.click("save-limits");
        assertThat(node.http.get("/v1/admin/accounts/" + TestNode.DEMO_ACCOUNT + "/limits", TestNode.ADMIN_KEY).json().path("limits")
                .path("cost_per_month_usd").asString()).startsWith("123.45");
        shot("usage");

        browser.open(base() + "/console/webhooks?account=" + TestNode.DEMO_ACCOUNT);
        shot("webhooks");

        browser.open(base() + "/console/audit?account=" + TestNode.DEMO_ACCOUNT + "&action=limits.changed");
        assertThat(browser.text("audit")).contains("limits.changed").contains("123.45").contains(TestNode.DEMO_ACCOUNT);
        browser.click("verify");
        assertThat(browser.text("chain")).startsWith("Chain intact");
        shot("audit");
    }

    @Test
    @Order(4)
    void noPageLoadsAnythingFromAnotherOrigin() {
        URI origin = URI.create(base());
        for (String page : pagesSeen) {
            browser.open(page);
            @SuppressWarnings("unchecked")
            List<String> loaded = (List<String>) browser.run("return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);");
            assertThat(loaded).as("resources of %s", page).isNotEmpty()
                    .allSatisfy(u -> assertThat(URI.create(u).getAuthority()).as(u).isEqualTo(origin.getAuthority()));
        }
        assertThat(pagesSeen).hasSizeGreaterThanOrEqualTo(10);
    }

    @Test
    @Order(5)
    void signsOutAndThePagesAskForASignInAgain() throws Exception {
        // A phone's width: the page reflows (the table scrolls inside its box, the page does not).
        browser.driver().manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        browser.open(base() + "/console/jobs");
        assertThat(browser.run("return document.documentElement.scrollWidth <= window.innerWidth + 1;")).isEqualTo(true);
        browser.screenshot(SHOTS.resolve("jobs-phone.png"));
        browser.driver().manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
        browser.open(base() + "/console/jobs");
        browser.click("sign-out");
        assertThat(browser.driver().getCurrentUrl()).contains("/console/sign-in");
        browser.open(base() + "/console/audit");
        assertThat(browser.driver().getCurrentUrl()).contains("/console/sign-in");
        assertThat(browser.driver().manage().getCookieNamed(Sessions.COOKIE)).isNull();
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private static void signIn(String key) {
        browser.type("api_key", key);
        browser.click("sign-in");
    }

    private static JsonNode submit(String workflow, String body, String idempotencyKey) {
        Http.Response r = idempotencyKey == null ? node.http.post("/v1/" + workflow, TestNode.DEMO_KEY, body)
                : node.http.post("/v1/" + workflow, TestNode.DEMO_KEY, body, "Idempotency-Key", idempotencyKey);
        assertThat(r.status()).as(r.text()).isIn(200, 202);
        return r.json();
    }

    private static String awaitReview(String jobId) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> node.http.get("/v1/jobs/" + jobId, TestNode.DEMO_KEY).json().path("status").asString()
                .equals("waiting_for_review"));
        for (JsonNode r : node.http.get("/v1/reviews?status=pending", TestNode.DEMO_KEY).json().path("reviews")) {
            if (r.path("job_id").asString().equals(jobId)) {
                return r.path("id").asString();
            }
        }
        throw new AssertionError("no pending review of job " + jobId);
    }

    private static void shot(String name) throws Exception {
        pagesSeen.add(browser.driver().getCurrentUrl());
        browser.screenshot(SHOTS.resolve(name + ".png"));
    }

    /** docs/console/ of the repository: the tests run in server/. */
    private static Path screenshots() {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.isDirectory(here.resolve("docs")) ? here : here.getParent();
        return root.resolve("docs").resolve("console");
    }
}
