package dev.mainstay.server.functional;

import static dev.mainstay.server.testing.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Account limits and budgets over real HTTP: a burst against a monthly budget, request rates on
 * the injected clock, eligibility, runtime changes by an operator, and the usage ledger.
 */
class AccountLimitsTest {
    @TempDir
    Path dir;

    /** Writes {@link TestNode#single}, with {@code extra} before its input. */
    static void writeSingle(Path dir, String extra) throws Exception {
        Files.writeString(dir.resolve("workflows/test/single.yaml"), TestNode.single(extra));
    }

    @Test
    void aBurstOf500JobsAgainstABudgetForAbout100NeverOverspends() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(20))))) {
            TestNode.writeFiles(dir, fake, "2s", "1s");
            writeSingle(dir, "");
            try (TestNode node = TestNode.start(dir, fake)) {
                String key = Accounts.create(node.http, "pro");
                String acct = Accounts.id(node.http, key);
                // One job to learn what a job costs; the budget then allows about 100 more.
                String first = node.http.post("/v1/test/single", key, "{\"text\": \"Calibrate the budget with one job.\"}").json().path("id").asString();
                JsonNode done = TestNode.awaitTerminal(node.http, key, first);
                long perJob = TestNode.micros(done.path("usage").path("cost_usd").asString());
                assertThat(perJob).isPositive();
                long budget = perJob * 101;
                assertThat(Accounts.putLimits(node.http, acct, "{\"cost_per_month_usd\": \"" + BigDecimal.valueOf(budget, 6).toPlainString() + "\"}").status()).isEqualTo(200);

                ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<Http.Response> refused = new ConcurrentLinkedQueue<>();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < 500; i++) {
                        int n = i;
                        pool.submit(() -> {
                            Http.Response r = node.http.post("/v1/test/single", key, "{\"text\": \"Calibrate the budget with one job.\"}",
                                    "Idempotency-Key", "burst-" + n);
                            if (r.status() == 202) {
                                accepted.add(r.json().path("id").asString());
                            } else {
                                refused.add(r);
                            }
                        });
                    }
                }
                Map<String, Integer> outcomes = new HashMap<>();
                for (String id : accepted) {
                    JsonNode job = TestNode.awaitTerminal(node.http, key, id);
                    String outcome = job.path("status").asString() + (job.path("error").isObject() ? "/" + job.path("error").path("code").asString() : "");
                    outcomes.merge(outcome, 1, Integer::sum);
                }
                for (Http.Response r : refused) {
                    // Submits that arrive once the budget is used up are refused at the door.
                    assertProblem(r, 429, "budget_exceeded");
                    assertThat(r.json().path("limit").asString()).isEqualTo("cost_per_month_usd");
                    assertThat(r.json().path("scope").asString()).isEqualTo("account " + acct);
                    outcomes.merge("refused/budget_exceeded", 1, Integer::sum);
                }
                assertThat(outcomes.keySet()).as("every job completed or was refused for the budget: %s", outcomes)
                        .isSubsetOf("completed", "failed/budget_exceeded", "refused/budget_exceeded");
                int completed = outcomes.getOrDefault("completed", 0);
                assertThat(completed).as("about 100 jobs fit: %s", outcomes).isBetween(90, 100);

                JsonNode usage = node.http.get("/v1/usage?group_by=workflow", key).json();
                long spent = TestNode.micros(usage.path("totals").path("cost_usd").asString());
                assertThat(spent).as("spend %d against a budget of %d", spent, budget).isLessThanOrEqualTo(budget);
                // Counted once: the ledger agrees with the jobs, one call per completed job.
                assertThat(usage.path("totals").path("calls").asLong()).isEqualTo(completed + 1);
                assertThat(spent).isEqualTo(perJob * (completed + 1));
                assertThat(fake.requestCount()).isEqualTo(completed + 1);
            }
        }
    }

    @Test
    void requestsPerMinuteHoldWithinOneBucketOnTheInjectedClock() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-03-01T10:00:00Z"));
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            writeSingle(dir, "");
            try (MainstayServer server = MainstayServer.start(ServerConfig.load(Optional.of(config), TestNode.env(dir)), clock)) {
                Http http = new Http(server.baseUrl());
                String key = Accounts.create(http, "free");
                String acct = Accounts.id(http, key);
                assertThat(Accounts.putLimits(http, acct, "{\"requests_per_minute\": 6}").status()).isEqualTo(200);
                int accepted = 0;
                Http.Response last = null;
                // A full bucket: six at once, then the seventh waits about ten seconds.
                for (int i = 0; i < 7; i++) {
                    last = http.post("/v1/test/single", key, "{\"text\": \"rate " + i + "\"}");
                    accepted += last.status() == 202 ? 1 : 0;
                }
                assertThat(accepted).isEqualTo(6);
                assertProblem(last, 429, "rate_limited");
                assertThat(last.json().path("limit").asString()).isEqualTo("requests_per_minute");
                assertThat(last.header("Retry-After")).isEqualTo("10");
                clock.advance(Duration.ofSeconds(10));
                assertThat(http.post("/v1/test/single", key, "{\"text\": \"after ten seconds\"}").status()).isEqualTo(202);

                // Three minutes of attempts every 1.5 s: at most one bucket plus the refill.
                int windowAccepted = 0;
                for (int i = 0; i < 120; i++) {
                    clock.advance(Duration.ofMillis(1500));
                    windowAccepted += http.post("/v1/test/single", key, "{\"text\": \"window " + i + "\"}").status() == 202 ? 1 : 0;
                }
                assertThat(windowAccepted).isBetween(18, 18 + 6);
            }
        }
    }

    @Test
    void eligibilityByPlanAndRoleIsCheckedBeforeAnythingIsQueued() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            TestNode.writeFiles(dir, fake, "2s", "1s");
            writeSingle(dir, "eligibility: { plans: [pro], roles: [support_agent] }");
            try (TestNode node = TestNode.start(dir, fake)) {
                String free = Accounts.create(node.http, "free", "support_agent");
                String proMember = Accounts.create(node.http, "pro", "member");
                String proAgent = Accounts.create(node.http, "pro", "support_agent", "member");
                Http.Response byPlan = node.http.post("/v1/test/single", free, "{\"text\": \"x\"}");
                assertProblem(byPlan, 403, "not_eligible");
                assertThat(byPlan.json().path("detail").asString()).contains("plans [pro]").contains("'free'");
                // Roles are checked once, by the workflow's access rules, which read eligibility.roles as access.run.
                Http.Response byRole = node.http.post("/v1/test/single", proMember, "{\"text\": \"x\"}");
                assertProblem(byRole, 403, "forbidden");
                assertThat(byRole.json().path("detail").asString()).contains("roles [support_agent]");
                assertThat(node.http.get("/v1/jobs", free).json().path("jobs").size()).isZero();
                assertThat(node.http.post("/v1/test/single", proAgent, "{\"text\": \"x\"}").status()).isEqualTo(202);
            }
        }
    }

    @Test
    void operatorsReadAndChangeLimitsAtRuntimeAndUsageIsReportedPerAccount() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            TestNode.writeFiles(dir, fake, "2s", "1s");
            writeSingle(dir, "");
            try (TestNode node = TestNode.start(dir, fake)) {
                String key = Accounts.create(node.http, "pro");
                String acct = Accounts.id(node.http, key);
                JsonNode none = node.http.get("/v1/admin/accounts/" + acct + "/limits", TestNode.ADMIN_KEY).json();
                assertThat(none.path("limits").path("requests_per_minute").isNull()).isTrue();

                Http.Response bad = Accounts.putLimits(node.http, acct, "{\"cost_per_month_usd\": 12.5, \"tokens_per_day\": -1, \"speed\": 3}");
                assertProblem(bad, 400, "invalid_input");
                assertThat(bad.json().path("errors").findValuesAsString("pointer")).containsExactlyInAnyOrder("/cost_per_month_usd", "/tokens_per_day", "/speed");
                assertProblem(Accounts.putLimits(node.http, "acct_nobody", "{}"), 404, "not_found");
                assertProblem(node.http.get("/v1/admin/accounts/" + acct + "/limits", key), 403, "forbidden");

                JsonNode set = Accounts.putLimits(node.http, acct, "{\"requests_per_minute\": 100, \"tokens_per_day\": 5000, \"cost_per_month_usd\": \"2.50\", \"max_concurrent_jobs\": 3}").json();
                assertThat(set.path("limits").path("cost_per_month_usd").asString()).isEqualTo("2.500000");
                assertThat(set.path("effective").path("max_concurrent_jobs").asInt()).isEqualTo(3);
                assertThat(node.http.get("/v1/admin/accounts/" + acct + "/limits", TestNode.ADMIN_KEY).json().path("limits").path("tokens_per_day").asLong()).isEqualTo(5000);

                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    ids.add(node.http.post("/v1/test/single", key, "{\"text\": \"usage " + i + "\"}").json().path("id").asString());
                }
                ids.forEach(id -> TestNode.awaitTerminal(node.http, key, id));
                JsonNode byModel = node.http.get("/v1/usage?group_by=model", key).json();
                assertThat(byModel.path("groups").get(0).path("key").asString()).isEqualTo("fake/gpt-4o-mini");
                assertThat(byModel.path("totals").path("calls").asInt()).isEqualTo(3);
                assertThat(byModel.path("totals").path("cost_usd").asString()).matches("0\\.\\d{6}");
                assertThat(byModel.path("totals").path("tokens").asLong()).isPositive();
                JsonNode byDay = node.http.get("/v1/usage?group_by=day&from=2020-01-01", key).json();
                assertThat(byDay.path("groups").get(0).path("key").asString()).matches("\\d{4}-\\d{2}-\\d{2}");
                // Another account sees none of it; the operator sees every account.
                String other = Accounts.create(node.http, "pro");
                assertThat(node.http.get("/v1/usage", other).json().path("totals").path("calls").asInt()).isZero();
                JsonNode all = node.http.get("/v1/admin/usage?group_by=account", TestNode.ADMIN_KEY).json();
                assertThat(all.path("groups").findValuesAsString("key")).contains(acct);
                assertProblem(node.http.get("/v1/usage?group_by=account", key), 400, "invalid_input");
                assertProblem(node.http.get("/v1/usage?from=yesterday", key), 400, "invalid_input");
            }
        }
    }

    @Test
    void theConfiguredDefaultMaxConcurrentJobsHoldsForAccountsWithoutTheirOwn() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(600))))) {
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).limits("accounts: { max_concurrent_jobs: 2 }")
                    .workflow("test/single", TestNode.single("")).start()) {
                String key = Accounts.create(node.http, "free");
                String own = Accounts.create(node.http, "free");
                assertThat(Accounts.putLimits(node.http, Accounts.id(node.http, own), "{\"max_concurrent_jobs\": 5}").status()).isEqualTo(200);
                burst(node, key, 10);
                assertThat(fake.maxConcurrentRequests()).as("calls at once for an account under the default of 2").isBetween(1, 2);
                // An account's own value replaces the default.
                fake.clearRequests();
                burst(node, own, 10);
                assertThat(fake.maxConcurrentRequests()).as("calls at once for an account whose own limit is 5").isBetween(3, 5);
            }
        }
    }

    /** Submits {@code n} one-call jobs at once and waits until every one completed. */
    private static void burst(TestNode node, String key, int n) throws Exception {
        List<java.util.concurrent.Future<String>> ids = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                String body = "{\"text\": \"burst " + i + "\"}";
                ids.add(pool.submit(() -> node.http.post("/v1/test/single", key, body).json().path("id").asString()));
            }
        }
        for (var id : ids) {
            assertThat(TestNode.awaitTerminal(node.http, key, id.get()).path("status").asString()).isEqualTo("completed");
        }
    }

    @Test
    void oneAccountsFloodDelaysAnotherAccountsJobByLessThanOneBatch() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.ok().latency(Duration.ofMillis(10))))) {
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).engine("max_in_flight: 4").workflow("test/single", TestNode.single("")).start()) {
                String flood = Accounts.create(node.http, "free");
                String single = Accounts.create(node.http, "free");
                List<String> floodIds = new ArrayList<>();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<java.util.concurrent.Future<String>> futures = new ArrayList<>();
                    for (int i = 0; i < 1000; i++) {
                        int n = i;
                        futures.add(pool.submit(() -> node.http.post("/v1/test/single", flood, "{\"text\": \"flood " + n + "\"}").json().path("id").asString()));
                    }
                    for (var f : futures) {
                        floodIds.add(f.get());
                    }
                }
                String lone = node.http.post("/v1/test/single", single, "{\"text\": \"just one\"}").json().path("id").asString();
                JsonNode loneDone = TestNode.awaitTerminal(node.http, single, lone);
                assertThat(loneDone.path("status").asString()).isEqualTo("completed");
                // Started after the lone job was submitted: flood jobs that overtook it.
                Instant submitted = Instant.parse(loneDone.path("created_at").asString());
                Instant loneStarted = Instant.parse(loneDone.path("started_at").asString());
                int overtaking = 0;
                int pending = 0;
                for (String id : floodIds) {
                    JsonNode j = node.http.get("/v1/jobs/" + id, flood).json();
                    if (j.path("started_at").isString()) {
                        Instant started = Instant.parse(j.path("started_at").asString());
                        if (started.isAfter(submitted) && started.isBefore(loneStarted)) {
                            overtaking++;
                        }
                    } else {
                        pending++;
                    }
                }
                assertThat(pending).as("the flood was still queued when the lone job ran").isPositive();
                // Bound: one claim batch of the flood, at most max_in_flight (4) slots.
                assertThat(overtaking).as("flood jobs started between the lone job's submit and its start").isLessThanOrEqualTo(4);
            }
        }
    }
}
