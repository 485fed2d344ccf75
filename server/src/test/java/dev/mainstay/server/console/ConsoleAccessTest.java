package dev.mainstay.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import dev.mainstay.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Who may do what in the console, checked by the server over plain HTTP (no browser): the session
 * cookie's attributes and contents, the CSRF token every post needs, and the roles (a reviewer key
 * only reviews; an account key sees its own account; only an admin changes limits or reads the
 * audit log), whatever a page shows or hides.
 */
class ConsoleAccessTest {
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();

    private static final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static String reviewerKey;

    @BeforeAll
    static void keys() {
        Http.Response made = node.http.post("/v1/admin/accounts/" + TestNode.DEMO_ACCOUNT + "/keys", TestNode.ADMIN_KEY,
                "{\"name\": \"review desk\", \"roles\": [\"reviewer\"]}");
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        reviewerKey = made.json().path("secret").asString();
    }

    /** A signed-in browser: its cookie and the CSRF token of its session. */
    private record Session(String cookie, String csrf) {
    }

    @Test
    void signingInSetsAStrictHttpOnlyExpiringCookieThatDoesNotHoldTheKey() throws Exception {
        HttpResponse<String> r = signInPost("api_key=" + TestNode.DEMO_KEY);
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).hasValue("/console/jobs");
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith(Sessions.COOKIE + "=").contains("HttpOnly").contains("SameSite=Strict").contains("Path=/console")
                .containsPattern("Max-Age=\\d+").doesNotContain("Secure");
        String value = setCookie.substring(Sessions.COOKIE.length() + 1, setCookie.indexOf(';'));
        assertThat(value).doesNotContain(TestNode.DEMO_KEY).doesNotContain(TestNode.DEMO_KEY.substring(8, 24));
        HttpResponse<String> page = get("/console/jobs", Sessions.COOKIE + "=" + value);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'none'").contains("script-src 'self'")
                .doesNotContain("unsafe-inline").doesNotContain("http");
    }

    @Test
    void aSignInPostWithoutTheFormsTokenAndItsCookieIsRefusedSoNoOneCanSignAVictimIn() throws Exception {
        SignInForm form = signInForm();
        assertThat(form.cookie()).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/console/sign-in");
        String cookie = form.cookie().substring(0, form.cookie().indexOf(';'));
        String key = "api_key=" + enc(TestNode.DEMO_KEY);
        // What a forging site can send: no token, a token of its own without the cookie, or a guessed pair.
        for (HttpResponse<String> r : java.util.List.of(post("/console/sign-in", null, key), post("/console/sign-in", null, key + "&csrf=" + form.token()),
                post("/console/sign-in", cookie, key), post("/console/sign-in", cookie, key + "&csrf=" + form.token() + "x"),
                post("/console/sign-in", Sessions.SIGN_IN_COOKIE + "=forged", key + "&csrf=forged"))) {
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(Json.parse(r.body()).path("code").asString()).isEqualTo("forbidden");
            assertThat(Json.parse(r.body()).path("detail").asString()).contains("CSRF");
            assertThat(r.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith(Sessions.COOKIE + "="));
        }
        HttpResponse<String> ok = post("/console/sign-in", cookie, key + "&csrf=" + form.token());
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().allValues("Set-Cookie")).anyMatch(c -> c.startsWith(Sessions.COOKIE + "="));
    }

    @Test
    void aWrongKeyIsRefusedAndATamperedCookieIsNoSession() throws Exception {
        assertThat(signInPost("api_key=ms_live_not_a_key").statusCode()).isEqualTo(401);
        Session s = signIn(TestNode.DEMO_KEY);
        String tampered = s.cookie().substring(0, s.cookie().length() - 3) + (s.cookie().endsWith("AAA") ? "BBB" : "AAA");
        HttpResponse<String> r = get("/console/jobs", tampered);
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location").orElseThrow()).startsWith("/console/sign-in");
    }

    @Test
    void aSignInLinkCannotSendTheBrowserToAnotherSite() throws Exception {
        HttpResponse<String> r = signInPost("api_key=" + TestNode.DEMO_KEY + "&next=" + enc("https://evil.example/console"));
        assertThat(r.headers().firstValue("Location")).hasValue("/console/jobs");
        r = signInPost("api_key=" + TestNode.DEMO_KEY + "&next=" + enc("/console/reviews"));
        assertThat(r.headers().firstValue("Location")).hasValue("/console/reviews");
    }

    @Test
    void aPostWithoutTheSessionsCsrfTokenIsRefusedWithA403Problem() throws Exception {
        Session admin = signIn(TestNode.ADMIN_KEY);
        String before = limits();
        for (String form : new String[] {"account=" + TestNode.DEMO_ACCOUNT + "&cost_per_month_usd=1.00",
                "account=" + TestNode.DEMO_ACCOUNT + "&cost_per_month_usd=1.00&csrf=forged"}) {
            HttpResponse<String> r = post("/console/usage/limits", admin.cookie(), form);
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            JsonNode problem = Json.parse(r.body());
            assertThat(problem.path("code").asString()).isEqualTo("forbidden");
            assertThat(problem.path("detail").asString()).contains("CSRF");
        }
        // Another session's token is not this session's.
        Session other = signIn(TestNode.ADMIN_KEY);
        assertThat(post("/console/usage/limits", admin.cookie(), "account=" + TestNode.DEMO_ACCOUNT + "&cost_per_month_usd=1.00&csrf=" + other.csrf())
                .statusCode()).isEqualTo(403);
        assertThat(post("/console/usage/limits", null, "account=" + TestNode.DEMO_ACCOUNT + "&csrf=" + admin.csrf()).statusCode()).isEqualTo(401);
        assertThat(limits()).isEqualTo(before);
    }

    @Test
    void aReviewerKeyMayNeitherSeeUsageNorChangeLimitsNorSeeJobsButMayReview() throws Exception {
        Session reviewer = signIn(reviewerKey);
        assertThat(get("/console/reviews", reviewer.cookie()).statusCode()).isEqualTo(200);
        assertThat(get("/console/usage", reviewer.cookie()).statusCode()).isEqualTo(403);
        assertThat(get("/console/usage?account=" + TestNode.DEMO_ACCOUNT, reviewer.cookie()).statusCode()).isEqualTo(403);
        assertThat(get("/console/jobs", reviewer.cookie()).statusCode()).isEqualTo(403);
        assertThat(get("/console/audit", reviewer.cookie()).statusCode()).isEqualTo(403);
        String before = limits();
        HttpResponse<String> r = post("/console/usage/limits", reviewer.cookie(), "account=" + TestNode.DEMO_ACCOUNT + "&cost_per_month_usd=99.00&csrf=" + reviewer.csrf());
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(Json.parse(r.body()).path("code").asString()).isEqualTo("forbidden");
        assertThat(limits()).isEqualTo(before);
        assertThat(get("/console/reviews", reviewer.cookie()).body()).doesNotContain("Usage and limits");
    }

    @Test
    void anAccountKeySeesItsOwnAccountOnlyAndMayNotChangeLimits() throws Exception {
        String otherKey = Accounts.create(node.http, "pro");
        String otherJob = node.http.post("/v1/test/echo", otherKey, "{\"text\": \"not yours\"}").json().path("id").asString();
        Session demo = signIn(TestNode.DEMO_KEY);
        assertThat(get("/console/jobs/" + otherJob, demo.cookie()).statusCode()).isEqualTo(404);
        assertThat(get("/console/jobs?job_id=" + otherJob, demo.cookie()).body()).doesNotContain("href=\"/console/jobs/" + otherJob);
        assertThat(get("/console/audit", demo.cookie()).statusCode()).isEqualTo(403);
        assertThat(get("/console/usage", demo.cookie()).statusCode()).isEqualTo(200);
        String before = limits();
        assertThat(post("/console/usage/limits", demo.cookie(), "account=" + TestNode.DEMO_ACCOUNT + "&cost_per_month_usd=99.00&csrf=" + demo.csrf()).statusCode())
                .isEqualTo(403);
        assertThat(limits()).isEqualTo(before);
        Session admin = signIn(TestNode.ADMIN_KEY);
        assertThat(get("/console/jobs/" + otherJob, admin.cookie()).statusCode()).isEqualTo(200);
    }

    @Test
    void signingOutEndsTheBrowsersSession() throws Exception {
        Session s = signIn(TestNode.DEMO_KEY);
        HttpResponse<String> out = post("/console/sign-out", s.cookie(), "csrf=" + s.csrf());
        assertThat(out.statusCode()).isEqualTo(303);
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).startsWith(Sessions.COOKIE + "=;").contains("Max-Age=0");
    }

    /** The sign-in form as a browser gets it: its double-submit cookie and the same token in the form. */
    private record SignInForm(String cookie, String token) {
    }

    private static SignInForm signInForm() throws Exception {
        HttpResponse<String> page = get("/console/sign-in", null);
        Matcher m = CSRF.matcher(page.body());
        assertThat(m.find()).as(page.body()).isTrue();
        String cookie = page.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(Sessions.SIGN_IN_COOKIE + "=")).findFirst().orElseThrow();
        return new SignInForm(cookie, m.group(1));
    }

    /** Posts the sign-in form as a browser that was shown it does. */
    private static HttpResponse<String> signInPost(String form) throws Exception {
        SignInForm f = signInForm();
        return post("/console/sign-in", f.cookie().substring(0, f.cookie().indexOf(';')), form + "&csrf=" + f.token());
    }

    private static String limits() {
        return node.http.get("/v1/admin/accounts/" + TestNode.DEMO_ACCOUNT + "/limits", TestNode.ADMIN_KEY).text();
    }

    private static Session signIn(String key) throws Exception {
        HttpResponse<String> r = signInPost("api_key=" + enc(key));
        assertThat(r.statusCode()).isEqualTo(303);
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        HttpResponse<String> page = get(r.headers().firstValue("Location").orElseThrow(), cookie);
        Matcher m = CSRF.matcher(page.body());
        assertThat(m.find()).as(page.body()).isTrue();
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
        return node.node().server.baseUrl().resolve(path);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
