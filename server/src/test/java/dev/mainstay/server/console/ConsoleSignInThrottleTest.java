package dev.mainstay.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Guessing keys at the sign-in form counts as failed authentications do on the API: past
 * {@code server.auth_failures.max} an address is refused, even with a right key, for the window.
 */
class ConsoleSignInThrottleTest {
    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start(setup -> setup.section("server:\n  auth_failures: { max: 3, window: 10m }\n"));

    @Test
    void anAddressThatKeepsGuessingIsRefusedEvenWithTheRightKey() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(signIn("ms_live_guess" + i).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> refused = signIn(TestNode.DEMO_KEY);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(refused.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith(Sessions.COOKIE + "="));
        assertThat(refused.body()).contains("Too many failed sign-ins");
        // The API counts the same failures.
        assertThat(node.http.get("/v1/jobs", TestNode.DEMO_KEY).status()).isEqualTo(429);
    }

    private static HttpResponse<String> signIn(String key) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> page = client.send(HttpRequest.newBuilder(node.node().server.baseUrl().resolve("/console/sign-in")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        java.util.regex.Matcher token = java.util.regex.Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page.body());
        assertThat(token.find()).isTrue();
        String cookie = page.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        return client.send(HttpRequest.newBuilder(node.node().server.baseUrl().resolve("/console/sign-in"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", cookie)
                .POST(HttpRequest.BodyPublishers.ofString("api_key=" + URLEncoder.encode(key, StandardCharsets.UTF_8) + "&csrf=" + token.group(1))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
