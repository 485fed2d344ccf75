package dev.mainstay.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.stream.Browser;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The usage page over plain HTTP on a real node with a settable clock: a burst refused by an
 * account's request rate shows as that many refusals for that account (and none for another), on
 * the page and in {@code GET /v1/usage}; each budget's chart draws the budget line and the spend
 * series with the figures the ledger holds, day by day, and says them again in a table.
 */
class ConsoleUsageTest {
    private static final Instant DAY_ONE = Instant.parse("2026-11-20T12:00:00Z");
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    private static final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    static Path dir;
    private static final ManualClock clock = new ManualClock(DAY_ONE);
    private static FakeProvider fake;
    private static TestNode node;

    @BeforeAll
    static void start() {
        fake = FakeProvider.start(FaultScript.always(Fault.ok().numbers("0.9").usage("1000", "500")));
        node = TestNode.in(dir).provider(fake.baseUrl()).withoutExamples()
                .file("prompts/notes.mustache", "Summarise.\n<text>{{input.text}}</text>\n")
                .workflow("test/notes", """
                        workflow: test/notes
                        version: 1
                        latency: async
                        input: { type: object, required: [text], properties: { text: { type: string, minLength: 1 } } }
                        limits: { cost_per_month_usd: "0.004" }
                        stages:
                          - id: summarise
                            model: { prompt: prompts/notes.mustache, route: [primary], timeout: 2s, max_output_tokens: 600 }
                            output:
                              schema:
                                type: object
                                required: [summary, confidence]
                                properties:
                                  summary: { type: string, minLength: 1 }
                                  confidence: { type: number, minimum: 0, maximum: 1 }
                        """)
                .start(clock);
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        fake.close();
    }

    @Test
    void aRefusedBurstCountsForItsAccountAloneAndEachBudgetsChartShowsTheLedgersFigures() throws Exception {
        String keyA = Accounts.create(node.http, "team");
        String a = Accounts.id(node.http, keyA);
        String keyB = Accounts.create(node.http, "team");
        String b = Accounts.id(node.http, keyB);
        assertThat(Accounts.putLimits(node.http, a, "{\"requests_per_minute\": 3, \"cost_per_month_usd\": \"0.005\", \"tokens_per_day\": 10000}").status())
                .isEqualTo(200);
        assertThat(Accounts.putLimits(node.http, b, "{\"requests_per_minute\": null, \"tokens_per_day\": null, \"cost_per_month_usd\": null, "
                + "\"max_concurrent_jobs\": null}").status()).isEqualTo(200);

        // Day one: a burst of ten; the clock stands still, so the bucket of three refills not at all.
        List<String> accepted = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < 10; i++) {
            Http.Response r = node.http.post("/v1/test/notes", keyA, "{\"text\": \"Burst " + i + " of the launch notes.\"}");
            if (r.status() == 202) {
                accepted.add(r.json().path("id").asString());
            } else {
                assertThat(r.status()).as(r.text()).isEqualTo(429);
                assertThat(r.json().path("code").asString()).isEqualTo("rate_limited");
                refused++;
            }
        }
        assertThat(accepted).hasSize(3);
        assertThat(refused).isEqualTo(7);
        for (int i = 0; i < 2; i++) {
            Http.Response r = node.http.post("/v1/test/notes", keyB, "{\"text\": \"Another account's note " + i + ".\"}");
            assertThat(r.status()).as(r.text()).isEqualTo(202);
            TestNode.awaitTerminal(node.http, keyB, r.json().path("id").asString());
        }
        accepted.forEach(id -> TestNode.awaitTerminal(node.http, keyA, id));

        // Day two: two more jobs of account A.
        clock.advance(Duration.ofDays(1));
        for (int i = 0; i < 2; i++) {
            Http.Response r = node.http.post("/v1/test/notes", keyA, "{\"text\": \"Next day " + i + ".\"}");
            assertThat(r.status()).as(r.text()).isEqualTo(202);
            TestNode.awaitTerminal(node.http, keyA, r.json().path("id").asString());
        }

        // The refusals reach the store within a few seconds, counted for A alone.
        int burst = refused;
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> node.http.get("/v1/usage", keyA).json().path("refusals").path("total").asLong() == burst);
        JsonNode refusalsA = node.http.get("/v1/usage", keyA).json().path("refusals");
        assertThat(refusalsA.path("groups").size()).isEqualTo(1);
        assertThat(refusalsA.path("groups").get(0).path("day").asString()).isEqualTo("2026-11-20");
        assertThat(refusalsA.path("groups").get(0).path("kind").asString()).isEqualTo("requests_per_minute");
        assertThat(refusalsA.path("groups").get(0).path("count").asLong()).isEqualTo(burst);
        assertThat(node.http.get("/v1/usage", keyB).json().path("refusals").path("total").asLong()).isZero();
        assertThat(node.http.get("/v1/usage?from=2026-11-21T00:00:00Z", keyA).json().path("refusals").path("total").asLong())
                .as("the refusals were on day one").isZero();
        JsonNode all = node.http.get("/v1/admin/usage?group_by=account", TestNode.ADMIN_KEY).json().path("refusals");
        assertThat(all.path("total").asLong()).isEqualTo(burst);
        assertThat(all.path("groups").get(0).path("account").asString()).isEqualTo(a);

        String admin = signIn(TestNode.ADMIN_KEY);
        String pageA = get("/console/usage?account=" + a, admin).body();
        assertThat(pageA).contains("id=\"refusals-total\">" + burst + "<").contains("data-kind=\"requests_per_minute\">" + burst + "<")
                .contains("<td>2026-11-20</td><td>requests_per_minute</td><td>" + burst + "</td>");
        String pageB = get("/console/usage?account=" + b, admin).body();
        assertThat(pageB).contains("id=\"refusals-total\">0<").contains("No submit of this account was refused");
        assertThat(get("/console/usage", signIn(keyA)).body()).as("the account's own key sees its refusals").contains("id=\"refusals-total\">" + burst + "<");

        // The ledger by day, as the API answers it.
        Map<String, Long> costByDay = new LinkedHashMap<>();
        Map<String, Long> tokensByDay = new LinkedHashMap<>();
        for (JsonNode g : node.http.get("/v1/usage?group_by=day", keyA).json().path("groups")) {
            costByDay.put(g.path("key").asString(), micros(g.path("cost_usd").asString()));
            tokensByDay.put(g.path("key").asString(), g.path("tokens").asLong());
        }
        assertThat(costByDay.keySet()).containsExactly("2026-11-20", "2026-11-21");
        assertThat(costByDay.values()).allSatisfy(c -> assertThat(c).isPositive());

        // The monthly budget: a line at 0.005 USD, and the month's spend added up day by day from the 1st.
        String month = section(pageA, "budget-month");
        assertThat(budgetLine(month)).isEqualTo("0.005000 USD");
        Map<String, String> monthDots = dots(month);
        assertThat(monthDots).hasSize(21).containsEntry("2026-11-01", "0.000000 USD").containsEntry("2026-11-19", "0.000000 USD")
                .containsEntry("2026-11-20", usd(costByDay.get("2026-11-20")) + " USD")
                .containsEntry("2026-11-21", usd(costByDay.get("2026-11-20") + costByDay.get("2026-11-21")) + " USD");
        assertThat(month).contains("<td>2026-11-21</td><td>" + usd(costByDay.get("2026-11-21")) + "</td><td>"
                + usd(costByDay.get("2026-11-20") + costByDay.get("2026-11-21")) + "</td>");
        assertThat(month).contains("id=\"budget-month-limit\">monthly budget 0.005000 USD<");

        // The daily token budget: a line at 10000, and each of the last fourteen days' tokens.
        String day = section(pageA, "budget-day");
        assertThat(budgetLine(day)).isEqualTo("10000 tokens");
        Map<String, String> dayDots = dots(day);
        assertThat(dayDots).hasSize(UsagePages.DAYS).containsEntry("2026-11-08", "0 tokens")
                .containsEntry("2026-11-20", tokensByDay.get("2026-11-20") + " tokens").containsEntry("2026-11-21", tokensByDay.get("2026-11-21") + " tokens");
        assertThat(day).contains(tokensByDay.get("2026-11-21") + " tokens today");

        // The workflow's own monthly budget for the account: its line, and the same spend (it is the only workflow).
        String workflow = section(pageA, "budget-wf-test-notes-month");
        assertThat(budgetLine(workflow)).isEqualTo("0.004000 USD");
        assertThat(dots(workflow)).isEqualTo(monthDots);

        // Account B has no budget: its month chart has its own spend, and no line.
        long spentB = micros(node.http.get("/v1/usage", keyB).json().path("totals").path("cost_usd").asString());
        assertThat(spentB).isPositive();
        String monthB = section(pageB, "budget-month");
        assertThat(monthB).doesNotContain("budget-line").contains("no monthly budget is set");
        assertThat(dots(monthB)).containsEntry("2026-11-20", usd(spentB) + " USD").containsEntry("2026-11-21", usd(spentB) + " USD");

        // In a browser: the charts are drawn where the page says, with the same figures; the screenshots are docs/console/usage-*.png.
        Assumptions.assumeTrue(Browser.installed(), "chromium and chromium-driver are not installed");
        try (Browser browser = Browser.start()) {
            browser.open(uri("/console/usage?account=" + a).toString());
            browser.type("api_key", TestNode.ADMIN_KEY);
            browser.click("sign-in");
            assertThat(browser.text("refusals-total")).isEqualTo(Integer.toString(burst));
            assertThat(browser.run("return document.querySelector('#budget-month-chart .budget-line').getAttribute('data-value');")).isEqualTo("0.005000 USD");
            assertThat(browser.run("return Array.from(document.querySelectorAll('#budget-month-chart circle.spend')).map(c => c.getAttribute('data-value')).join('|');"))
                    .isEqualTo(String.join("|", monthDots.values()));
            Object drawn = browser.run("const b = document.querySelector('#budget-month-chart').getBoundingClientRect(); return b.width > 300 && b.height > 60;");
            assertThat(drawn).as("the chart is drawn at a readable size").isEqualTo(true);
            browser.run("document.getElementById('budget-month').scrollIntoView();");
            browser.screenshot(screenshots().resolve("usage-budgets.png"));
            browser.run("document.getElementById('refusals').scrollIntoView({block: 'center'});");
            browser.screenshot(screenshots().resolve("usage-refusals.png"));
        }
    }

    /** docs/console/ of the repository: the tests run in server/. */
    private static Path screenshots() {
        Path here = Path.of("").toAbsolutePath();
        Path root = java.nio.file.Files.isDirectory(here.resolve("docs")) ? here : here.getParent();
        return root.resolve("docs").resolve("console");
    }

    private static String section(String page, String id) {
        int start = page.indexOf("<section class=\"card budget\" id=\"" + id + "\"");
        assertThat(start).as("section " + id).isNotNegative();
        return page.substring(start, page.indexOf("</section>", start));
    }

    private static String budgetLine(String section) {
        Matcher m = Pattern.compile("<line class=\"budget-line\" data-value=\"([^\"]+)\"").matcher(section);
        assertThat(m.find()).as("a budget line").isTrue();
        return m.group(1);
    }

    private static Map<String, String> dots(String section) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("<circle class=\"spend\" data-day=\"([^\"]+)\" data-value=\"([^\"]+)\"").matcher(section);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    private static long micros(String usd) {
        return new BigDecimal(usd).movePointRight(6).longValueExact();
    }

    private static String usd(long micros) {
        return BigDecimal.valueOf(micros).movePointLeft(6).setScale(6).toPlainString();
    }

    private static String signIn(String key) throws Exception {
        HttpResponse<String> form = get("/console/sign-in", null);
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

    private static HttpResponse<String> get(String path, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return node.server.baseUrl().resolve(path);
    }
}
