package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * An exhausted budget is refused at the door, over real HTTP: once what is left of an account's
 * monthly budget cannot cover the workflow's cheapest possible first call, a submit gets
 * {@code 429 budget_exceeded} with {@code Retry-After} at the month's end, no job is queued and no
 * review is opened, even though the workflow's ladder ends in review; {@code GET /v1/usage} shows
 * the numbers behind it.
 */
class BudgetAdmissionTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    @TempDir
    Path dir;

    private static void writeWorkflow(Path dir, String name, String review) throws Exception {
        Files.writeString(dir.resolve("workflows/test/" + name + ".yaml"), """
                workflow: test/%s
                version: 1
                latency: async
                deadline: 5m
                input:
                  type: object
                  required: [text]
                  properties:
                    text: { type: string, minLength: 1 }
                stages:
                  - id: notes
                    model:
                      prompt: prompts/echo.mustache
                      route: [primary]
                      max_output_tokens: 600
                    output:
                      schema: { type: object, required: [summary], properties: { summary: { type: string, minLength: 1 } } }
                    retry: { attempts: 1 }
                fallback:
                  - %s
                """.formatted(name, review));
    }

    @Test
    void aTinyBudgetIsRefusedAtAdmissionWithNoReviewCreated() throws Exception {
        ManualClock clock = new ManualClock(NOW);
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            writeWorkflow(dir, "meetings", "review");
            try (MainstayServer server = MainstayServer.start(ServerConfig.load(Optional.of(config), TestNode.env(dir)), clock)) {
                Http http = new Http(server.baseUrl());
                String key = Accounts.create(http, "free");
                String acct = Accounts.id(http, key);
                assertThat(Accounts.putLimits(http, acct, "{\"cost_per_month_usd\": \"0.0005\"}").status()).isEqualTo(200);

                JsonNode before = workflow(http.get("/v1/usage", key).json(), "test/meetings");
                long worstCase = micros(before.path("first_call").path("worst_case_usd").asString());
                // 600 output tokens at gpt-4o-mini's $0.60 per million, plus the smallest prompt at $0.15.
                assertThat(worstCase).isGreaterThan(360).isLessThan(500);
                assertThat(before.path("first_call").path("target").asString()).isEqualTo("fake/gpt-4o-mini");
                assertThat(before.path("first_call").path("max_output_tokens").asInt()).isEqualTo(600);
                assertThat(before.path("admitted").asBoolean()).isTrue();

                // Jobs run while what is left covers a first call; then the door closes.
                List<JsonNode> finished = new ArrayList<>();
                Http.Response refused = null;
                for (int i = 0; i < 40 && refused == null; i++) {
                    Http.Response r = http.post("/v1/test/meetings", key, "{\"text\": \"Standup " + i + ": ship it.\"}");
                    if (r.status() == 202) {
                        finished.add(TestNode.awaitTerminal(http, key, r.json().path("id").asString()));
                    } else {
                        refused = r;
                    }
                }
                assertThat(finished).as("some jobs ran before the budget ran short").isNotEmpty();
                assertThat(refused).as("a submit was refused within forty").isNotNull();
                assertProblem(refused, 429, "budget_exceeded");
                assertThat(refused.json().path("limit").asString()).isEqualTo("cost_per_month_usd");
                assertThat(refused.json().path("scope").asString()).isEqualTo("account " + acct);
                assertThat(refused.json().path("detail").asString()).contains("left of its cost_per_month_usd of $0.000500")
                        .contains("needed for the cheapest possible first call of test/meetings");
                long untilMonthEnd = Duration.between(NOW, Instant.parse("2026-12-01T00:00:00Z")).toSeconds();
                assertThat(refused.header("Retry-After")).isEqualTo(Long.toString(untilMonthEnd));
                assertThat(refused.json().path("retry_after").asLong()).isEqualTo(untilMonthEnd);

                // Nothing was queued for the refusal, and no person was asked to look at anything.
                assertThat(http.get("/v1/jobs?limit=500", key).json().path("jobs").size()).isEqualTo(finished.size());
                assertThat(http.get("/v1/reviews", key).json().path("reviews").size()).isZero();
                assertThat(finished).allSatisfy(j -> assertThat(j.path("status").asString()).isIn("completed", "failed"));

                JsonNode usage = http.get("/v1/usage", key).json();
                JsonNode budget = usage.path("budgets").get(0);
                assertThat(budget.path("limit").asString()).isEqualTo("cost_per_month_usd");
                assertThat(budget.path("max").asString()).isEqualTo("0.000500");
                long spent = micros(budget.path("spent").asString());
                assertThat(spent).isPositive().isEqualTo(micros(usage.path("totals").path("cost_usd").asString()));
                assertThat(micros(budget.path("remaining").asString())).isEqualTo(500 - spent).isLessThan(worstCase);
                assertThat(budget.path("resets_at").asString()).isEqualTo("2026-12-01T00:00:00Z");
                JsonNode after = workflow(usage, "test/meetings");
                assertThat(after.path("admitted").asBoolean()).isFalse();
                assertThat(after.path("refusal").path("code").asString()).isEqualTo("budget_exceeded");

                // A new month: the budget is whole again.
                clock.set(Instant.parse("2026-12-01T00:00:01Z"));
                assertThat(http.post("/v1/test/meetings", key, "{\"text\": \"December.\"}").status()).isEqualTo(202);
            }
        }
    }

    @Test
    void aBudgetRefusalOfACallGoesToReviewOnlyWhenTheWorkflowAsksForIt() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            writeWorkflow(dir, "meetings", "review");
            writeWorkflow(dir, "meetings-budget-review", "review: { budget_refusals: true }");
            try (TestNode node = TestNode.start(dir, config, java.util.Map.of())) {
                String key = Accounts.create(node.http, "free");
                String acct = Accounts.id(node.http, key);
                // Admitted (the smallest call fits), but this long transcript's call does not.
                assertThat(Accounts.putLimits(node.http, acct, "{\"cost_per_month_usd\": \"0.000600\"}").status()).isEqualTo(200);
                String transcript = "{\"text\": \"" + "The quarterly review covered hiring, budget and the roadmap. ".repeat(300) + "\"}";

                JsonNode failed = TestNode.awaitTerminal(node.http, key, node.http.post("/v1/test/meetings", key, transcript).json().path("id").asString());
                assertThat(failed.path("status").asString()).isEqualTo("failed");
                assertThat(failed.path("error").path("code").asString()).isEqualTo("budget_exceeded");
                assertThat(failed.path("provenance").path("fallback_path").values().stream().map(JsonNode::asString).toList())
                        .contains("review: not sent, budget_exceeded goes to review only with budget_refusals: true");
                assertThat(node.http.get("/v1/reviews", key).json().path("reviews").size()).isZero();

                String optedIn = node.http.post("/v1/test/meetings-budget-review", key, transcript).json().path("id").asString();
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                        node.http.get("/v1/jobs/" + optedIn, key).json().path("status").asString().equals("waiting_for_review"));
                JsonNode review = node.http.get("/v1/reviews", key).json().path("reviews").get(0);
                assertThat(review.path("job_id").asString()).isEqualTo(optedIn);
                assertThat(review.path("reason").asString()).startsWith("budget_exceeded: ");
                assertThat(fake.requestCount()).as("neither job reached the model").isZero();
            }
        }
    }

    private static JsonNode workflow(JsonNode usage, String name) {
        for (JsonNode w : usage.path("workflows")) {
            if (w.path("workflow").asString().equals(name)) {
                return w;
            }
        }
        throw new AssertionError("no workflow " + name + " in " + usage);
    }

    private static long micros(String usd) {
        return new BigDecimal(usd).movePointRight(6).longValueExact();
    }
}
