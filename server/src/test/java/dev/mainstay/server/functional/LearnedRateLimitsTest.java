package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.Fault;
import dev.mainstay.testkit.FaultScript;
import dev.mainstay.testkit.ManualClock;
import dev.mainstay.testkit.RecordedRequest;
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
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Rate limits per route target over real HTTP, with the fake provider sending the rate-limit
 * headers the way OpenAI and Anthropic do: a budget reported as used up keeps the target's calls
 * back until it resets (the job goes to the route's next target, or waits when there is none), a
 * configured limit is never exceeded by a burst, malformed headers change nothing, and the admin
 * API and the console's providers page show what was learned.
 */
class LearnedRateLimitsTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Fault.RateLimits USED_UP_FOR_2S = new Fault.RateLimits(50, 0, Duration.ofSeconds(2), 40_000, 39_000, Duration.ofSeconds(1));
    /** {@code test/single} on the route {@code pair}: model-a, then model-b. One call per job. */
    private static final String PAIR = TestNode.single("").replace("route: [primary]", "route: [pair]");

    @TempDir
    Path dir;

    private TestNode.Setup node(FakeProvider fake) {
        return TestNode.in(dir).provider(fake.baseUrl()).route("pair", "fake/model-a", "fake/model-b").workflow("test/single", PAIR);
    }

    private static String submit(Http http, String text) {
        Http.Response r = http.post("/v1/test/single", TestNode.DEMO_KEY, "{\"text\": \"" + text + "\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(202);
        return r.json().path("id").asString();
    }

    /** The models the fake was asked for by {@code job}, in order. */
    private static List<String> models(FakeProvider fake, String job) {
        return fake.requests().stream().filter(r -> r.job().equals(job)).map(r -> r.body().path("model").asString()).toList();
    }

    private static long calls(FakeProvider fake, String model) {
        return fake.requests().stream().map(RecordedRequest::body).filter(b -> b != null && model.equals(b.path("model").asString())).count();
    }

    private static JsonNode target(Http http, String name) {
        Http.Response r = http.get("/v1/admin/targets", TestNode.ADMIN_KEY);
        assertThat(r.status()).isEqualTo(200);
        for (JsonNode t : r.json().path("targets")) {
            if (t.path("target").asString().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no target " + name + " in " + r.text());
    }

    @Test
    void aBudgetReportedUsedUpSendsTheNextJobToTheRoutesSecondTargetUntilItResets() throws Exception {
        ManualClock clock = new ManualClock(START);
        try (FakeProvider fake = FakeProvider.start(FaultScript.of(Fault.ok().rateLimits(USED_UP_FOR_2S)))) {
            try (TestNode node = node(fake).start(clock)) {
                String first = submit(node.http, "The first job uses up the budget.");
                assertThat(node.awaitTerminal(first).path("status").asString()).isEqualTo("completed");
                assertThat(models(fake, first)).containsExactly("model-a");

                JsonNode a = target(node.http, "fake/model-a");
                assertThat(a.path("rate_limited_until").asString()).isEqualTo("2026-01-01T00:00:02Z");
                assertThat(a.path("rate_limits").toString()).isEqualTo("["
                        + "{\"budget\":\"requests\",\"limit\":50,\"remaining\":0,\"reset_at\":\"2026-01-01T00:00:02Z\",\"source\":\"headers\",\"updated_at\":\"2026-01-01T00:00:00Z\"},"
                        + "{\"budget\":\"tokens\",\"limit\":40000,\"remaining\":39000,\"reset_at\":\"2026-01-01T00:00:01Z\",\"source\":\"headers\",\"updated_at\":\"2026-01-01T00:00:00Z\"}]");

                String metrics = node.http.get("/metrics", TestNode.ADMIN_KEY).text();
                assertThat(metrics).contains("mainstay_target_rate_limited{model=\"model-a\",provider=\"fake\"} 1.0")
                        .contains("mainstay_target_requests_remaining{model=\"model-a\",provider=\"fake\"} 0.0");

                String second = submit(node.http, "The second job must not call the first target.");
                JsonNode done = node.awaitTerminal(second);
                assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("degraded");
                assertThat(done.path("provenance").path("fallback_path").toString()).contains("fake/model-a: provider_rate_limited, switched to fake/model-b");
                assertThat(models(fake, second)).as("model-a is not sent a call that could only earn a 429").containsExactly("model-b");
                assertThat(calls(fake, "model-a")).isEqualTo(1);
                String events = node.http.get("/v1/jobs/" + second + "/events", TestNode.DEMO_KEY).text();
                assertThat(events).contains("target_switched").contains("reported 0 requests left of 50 until 2026-01-01T00:00:02Z (rate-limit headers)");

                // Once the budget has reset, the first target takes calls again.
                clock.advance(Duration.ofSeconds(2));
                String third = submit(node.http, "The third job runs after the reset.");
                assertThat(node.awaitTerminal(third).path("status").asString()).isEqualTo("completed");
                assertThat(models(fake, third)).containsExactly("model-a");
                assertThat(target(node.http, "fake/model-a").path("rate_limited_until").isNull()).isTrue();
                assertThat(node.http.get("/metrics", TestNode.ADMIN_KEY).text()).contains("mainstay_target_rate_limited{model=\"model-a\",provider=\"fake\"} 0.0");
            }
        }
    }

    @Test
    void withoutAnotherTargetTheJobWaitsForTheResetInsteadOfCalling() throws Exception {
        ManualClock clock = new ManualClock(START);
        try (FakeProvider fake = FakeProvider.start(FaultScript.of(Fault.ok().rateLimits(USED_UP_FOR_2S)))) {
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/single", TestNode.single("")).start(clock)) {
                String first = submit(node.http, "The first job uses up the budget.");
                assertThat(node.awaitTerminal(first).path("status").asString()).isEqualTo("completed");
                String second = submit(node.http, "The second job waits.");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        node.http.get("/v1/jobs/" + second + "/events", TestNode.DEMO_KEY).text().contains("target_busy"));
                assertThat(node.http.get("/v1/jobs/" + second, TestNode.DEMO_KEY).json().path("status").asString()).isEqualTo("retrying");
                assertThat(fake.requestCount()).isEqualTo(1);

                clock.advance(Duration.ofSeconds(2));
                node.server.engine().wake();
                assertThat(node.awaitTerminal(second).path("status").asString()).isEqualTo("completed");
                assertThat(models(fake, second)).containsExactly("gpt-4o-mini");
            }
        }
    }

    @Test
    void aConfiguredRequestsPerMinuteLimitIsNeverExceededByABurst() throws Exception {
        ManualClock clock = new ManualClock(START);
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            try (TestNode node = node(fake).section("targets:\n  fake/model-a: { requests_per_minute: 3 }\n").start(clock)) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    ids.add(submit(node.http, "Burst job " + i + "."));
                }
                for (String id : ids) {
                    assertThat(node.awaitTerminal(id).path("status").asString()).isIn("completed", "degraded");
                }
                assertThat(calls(fake, "model-a")).as("3 requests per minute, and the clock did not move").isEqualTo(3);
                assertThat(calls(fake, "model-b")).isEqualTo(7);
                assertThat(target(node.http, "fake/model-a").path("rate_limits").toString()).isEqualTo(
                        "[{\"budget\":\"requests_per_minute\",\"limit\":3,\"remaining\":0,\"reset_at\":null,\"source\":\"config\",\"updated_at\":null}]");
            }
        }
    }

    @Test
    void malformedRateLimitHeadersChangeNothing() throws Exception {
        ManualClock clock = new ManualClock(START);
        Fault odd = Fault.ok().headers(Map.of(
                "x-ratelimit-limit-requests", "-5",
                "x-ratelimit-remaining-requests", "zero",
                "x-ratelimit-reset-requests", "soon",
                "x-ratelimit-remaining-tokens", "0.0",
                "x-ratelimit-reset-tokens", "1e9s",
                "retry-after", "never"));
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(odd))) {
            try (TestNode node = node(fake).start(clock)) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    String id = submit(node.http, "Odd headers " + i + ".");
                    assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
                    ids.add(id);
                }
                assertThat(calls(fake, "model-a")).isEqualTo(4);
                assertThat(calls(fake, "model-b")).isZero();
                JsonNode a = target(node.http, "fake/model-a");
                assertThat(a.path("rate_limits").isEmpty()).as(a.toString()).isTrue();
                assertThat(a.path("rate_limited_until").isNull()).isTrue();
                assertThat(a.path("state").asString()).isEqualTo("closed");
            }
        }
    }

    @Test
    void anthropicHeadersAreLearnedAndTheProvidersPageShowsThem() throws Exception {
        ManualClock clock = new ManualClock(START);
        try (FakeProvider fake = FakeProvider.start(FaultScript.of(Fault.ok().rateLimits(USED_UP_FOR_2S)))) {
            fake.clock(clock);
            String config = """
                    providers:
                      anthropic: { kind: anthropic, base_url: %s, api_key: sk-ant-test }
                    routes:
                      primary: [anthropic/claude-haiku-4-5]
                      small: [anthropic/claude-haiku-4-5]
                    engine:
                      circuit_breaker: { failures: 1000 }
                    """.formatted(fake.anthropicBaseUrl());
            try (TestNode node = TestNode.in(dir).config(config).workflow("test/single", TestNode.single("")).start(clock)) {
                String first = submit(node.http, "Anthropic says the requests are used up.");
                assertThat(node.awaitTerminal(first).path("status").asString()).isEqualTo("completed");
                assertThat(fake.requests().getLast().path()).isEqualTo("/v1/messages");
                JsonNode t = target(node.http, "anthropic/claude-haiku-4-5");
                assertThat(t.path("rate_limited_until").asString()).isEqualTo("2026-01-01T00:00:02Z");
                assertThat(t.path("rate_limits").get(0).path("budget").asString()).isEqualTo("requests");
                assertThat(t.path("rate_limits").get(0).path("remaining").asLong()).isZero();

                String page = consolePage(node, "/console/providers");
                assertThat(page).contains("Rate limits").contains("anthropic/claude-haiku-4-5").contains("<td>requests</td><td>50</td><td>0")
                        .contains("calls held back until <time datetime=\"2026-01-01T00:00:02Z\"").contains("<td>headers</td>")
                        .contains("<td>tokens</td><td>40000</td><td>39000</td>");
            }
        }
    }

    @Test
    void theProvidersPageListsTheLastFailedCallsWithWhatTheProviderSaid() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.always(Fault.status(401)))) {
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).workflow("test/single", TestNode.single("")).start()) {
                String page = consolePage(node, "/console/providers");
                assertThat(page).contains("Recent failures").contains("No failed call since this node started.");
                String id = submit(node.http, "The key is refused.");
                node.awaitTerminal(id);
                page = consolePage(node, "/console/providers");
                assertThat(page).doesNotContain("No failed call since this node started.")
                        .containsPattern("<td>fake/[^<]+</td><td>fatal</td><td>HTTP 401: [^<]+</td>");
            }
        }
    }

    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    /** Signs in with the admin key as a browser does and reads {@code path}. */
    private static String consolePage(TestNode node, String path) throws Exception {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        URI base = node.server.baseUrl();
        HttpResponse<String> form = client.send(HttpRequest.newBuilder(base.resolve("/console/sign-in")).GET().build(), HttpResponse.BodyHandlers.ofString());
        Matcher m = CSRF.matcher(form.body());
        assertThat(m.find()).as(form.body()).isTrue();
        String formCookie = form.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("mainstay_console_signin=")).findFirst().orElseThrow();
        HttpResponse<String> signedIn = client.send(HttpRequest.newBuilder(base.resolve("/console/sign-in"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", formCookie.substring(0, formCookie.indexOf(';')))
                .POST(HttpRequest.BodyPublishers.ofString("api_key=" + URLEncoder.encode(TestNode.ADMIN_KEY, StandardCharsets.UTF_8) + "&csrf=" + m.group(1)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(303);
        String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
        HttpResponse<String> page = client.send(HttpRequest.newBuilder(base.resolve(path)).header("Cookie", setCookie.substring(0, setCookie.indexOf(';'))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
        return page.body();
    }
}
