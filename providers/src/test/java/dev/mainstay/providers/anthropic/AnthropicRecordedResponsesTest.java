package dev.mainstay.providers.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.provider.ProviderOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

/** The response mapping against literal Messages API bodies and headers as Anthropic sends them. */
class AnthropicRecordedResponsesTest {
    private static final Duration LATENCY = Duration.ofMillis(830);
    private static final Instant NOW = Instant.parse("2026-11-22T21:00:00Z");
    private final AnthropicMessagesProvider provider = new AnthropicMessagesProvider(new AnthropicMessagesProvider.Config(
            "anthropic", AnthropicMessagesProvider.Config.DEFAULT_BASE_URL, "sk-ant-test", Duration.ofSeconds(5)), Clock.fixed(NOW, ZoneOffset.UTC));

    /** Just enough of an HTTP response for the mapping. */
    private record Response(int statusCode, String body, HttpHeaders headers) implements HttpResponse<String> {
        @Override public HttpRequest request() { return HttpRequest.newBuilder(URI.create("https://api.anthropic.com/v1/messages")).build(); }
        @Override public Optional<HttpResponse<String>> previousResponse() { return Optional.empty(); }
        @Override public Optional<SSLSession> sslSession() { return Optional.empty(); }
        @Override public URI uri() { return request().uri(); }
        @Override public HttpClient.Version version() { return HttpClient.Version.HTTP_1_1; }
    }

    private static HttpResponse<String> response(int status, String resource, String... headerPairs) {
        return new Response(status, resource == null ? "" : read(resource), headers(headerPairs));
    }

    private static HttpHeaders headers(String... pairs) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            headers.put(pairs[i], List.of(pairs[i + 1]));
        }
        return HttpHeaders.of(headers, (k, v) -> true);
    }

    private static String read(String resource) {
        try (InputStream in = AnthropicRecordedResponsesTest.class.getResourceAsStream("/anthropic/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void toolUseAnswerIsTheToolInputAsJsonWithCachedTokensCountedAsInput() {
        // Every prompt token counts as input; the cache reads among them are billed at the cached price.
        assertThat(provider.outcome(response(200, "message-tool-use.json"), LATENCY)).isEqualTo(new ProviderOutcome.Success(
                "{\"category\":\"billing\",\"summary\":\"The customer was charged twice and wants a refund.\"}",
                "claude-haiku-4-5-20251001", 412 + 96 + 1024, 1024, 58, LATENCY));
    }

    @Test
    void textOnlyAnswerIsTheTextBlocksJoined() {
        assertThat(provider.outcome(response(200, "message-text.json"), LATENCY)).isEqualTo(new ProviderOutcome.Success(
                "{\"category\": \"billing\", \"summary\": \"Charged twice; wants a refund.\"}",
                "claude-sonnet-4-5-20250929", 2095, 503, LATENCY));
    }

    @Test
    void refusalStopReasonIsRefused() {
        assertThat(provider.outcome(response(200, "message-refusal.json"), LATENCY))
                .isEqualTo(new ProviderOutcome.Refused("stop_reason refusal, no explanation given"));
    }

    @Test
    void overloadedIsTransientWithTheErrorTypeAndItsRetryAfter() {
        assertThat(provider.outcome(response(529, "error-overloaded.json"), LATENCY))
                .isEqualTo(new ProviderOutcome.Transient(Optional.empty(), "HTTP 529 overloaded_error: Overloaded"));
        assertThat(provider.outcome(response(529, "error-overloaded.json", "retry-after", "12"), LATENCY))
                .isEqualTo(new ProviderOutcome.Transient(Optional.of(Duration.ofSeconds(12)), "HTTP 529 overloaded_error: Overloaded"));
    }

    @Test
    void aSuccessThatUsesUpABudgetSaysHowLongTheNextCallMustWait() {
        ProviderOutcome used = provider.outcome(response(200, "message-text.json",
                "anthropic-ratelimit-requests-remaining", "0", "anthropic-ratelimit-requests-reset", "2026-11-22T21:00:30Z",
                "anthropic-ratelimit-tokens-remaining", "5000", "anthropic-ratelimit-tokens-reset", "2026-11-22T21:00:05Z"), LATENCY);
        assertThat(used).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> assertThat(s.budgetExhaustedFor()).isEqualTo(Duration.ofSeconds(30)));
        ProviderOutcome plenty = provider.outcome(response(200, "message-text.json",
                "anthropic-ratelimit-requests-remaining", "10", "anthropic-ratelimit-requests-reset", "2026-11-22T21:00:30Z"), LATENCY);
        assertThat(plenty).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> assertThat(s.budgetExhaustedFor()).isNull());
    }

    @Test
    void rateLimitWithoutRetryAfterWaitsForTheExhaustedBudgetsReset() {
        ProviderOutcome outcome = provider.outcome(response(429, "error-rate-limit.json",
                "anthropic-ratelimit-requests-limit", "50",
                "anthropic-ratelimit-requests-remaining", "49",
                "anthropic-ratelimit-requests-reset", "2026-11-22T21:00:01Z",
                "anthropic-ratelimit-input-tokens-limit", "50000",
                "anthropic-ratelimit-input-tokens-remaining", "0",
                "anthropic-ratelimit-input-tokens-reset", "2026-11-22T21:00:42Z",
                "anthropic-ratelimit-output-tokens-limit", "10000",
                "anthropic-ratelimit-output-tokens-remaining", "9000",
                "anthropic-ratelimit-output-tokens-reset", "2026-11-22T21:00:06Z",
                "anthropic-ratelimit-tokens-limit", "60000",
                "anthropic-ratelimit-tokens-remaining", "0",
                "anthropic-ratelimit-tokens-reset", "2026-11-22T21:00:42Z",
                "request-id", "req_011CUKpaK4gVQvnzz6TTnFvn"), LATENCY);
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.RateLimited.class, r -> {
            assertThat(r.retryAfter()).contains(Duration.ofSeconds(42));
            assertThat(r.detail()).startsWith("HTTP 429 rate_limit_error: This request would exceed the rate limit for your organization").endsWith("…");
        });
    }

    @Test
    void rateLimitPrefersRetryAfterThenTheExhaustedBudgetThenTheEarliestReset() {
        assertThat(AnthropicMessagesProvider.retryAfter(headers("retry-after", "17",
                "anthropic-ratelimit-requests-remaining", "0", "anthropic-ratelimit-requests-reset", "2026-11-22T21:00:42Z"), NOW))
                .contains(Duration.ofSeconds(17));
        assertThat(AnthropicMessagesProvider.retryAfter(headers(
                "anthropic-ratelimit-requests-remaining", "0", "anthropic-ratelimit-requests-reset", "2026-11-22T21:00:30Z",
                "anthropic-ratelimit-output-tokens-remaining", "0", "anthropic-ratelimit-output-tokens-reset", "2026-11-22T21:00:05.500Z",
                "anthropic-ratelimit-input-tokens-remaining", "800", "anthropic-ratelimit-input-tokens-reset", "2026-11-22T21:00:59Z"), NOW))
                .as("both exhausted budgets must have recovered").contains(Duration.ofSeconds(30));
        assertThat(AnthropicMessagesProvider.retryAfter(headers(
                "anthropic-ratelimit-requests-remaining", "3", "anthropic-ratelimit-requests-reset", "2026-11-22T21:00:09Z",
                "anthropic-ratelimit-tokens-remaining", "150", "anthropic-ratelimit-tokens-reset", "2026-11-22T22:00:02.250+01:00"), NOW))
                .contains(Duration.ofMillis(2250));
        assertThat(AnthropicMessagesProvider.retryAfter(headers(
                "anthropic-ratelimit-requests-remaining", "0", "anthropic-ratelimit-requests-reset", "2026-11-22T20:59:00Z"), NOW))
                .as("a reset in the past means now").contains(Duration.ZERO);
        assertThat(AnthropicMessagesProvider.retryAfter(headers("retry-after", "soon",
                "anthropic-ratelimit-requests-reset", "tomorrow"), NOW)).isEmpty();
        assertThat(AnthropicMessagesProvider.retryAfter(headers(), NOW)).isEmpty();
    }

    @Test
    void retryAfterIsReadAsForEveryProviderAgainstTheInjectedClock() {
        String inAMinute = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.atZone(ZoneOffset.UTC).plusSeconds(60));
        assertThat(provider.outcome(response(529, "error-overloaded.json", "retry-after", inAMinute), LATENCY))
                .isInstanceOfSatisfying(ProviderOutcome.Transient.class, t -> assertThat(t.retryAfter()).contains(Duration.ofSeconds(60)));
        assertThat(provider.outcome(response(503, "error-overloaded.json", "retry-after-ms", "250", "retry-after", "9"), LATENCY))
                .isInstanceOfSatisfying(ProviderOutcome.Transient.class, t -> assertThat(t.retryAfter()).contains(Duration.ofMillis(250)));
        assertThat(AnthropicMessagesProvider.retryAfter(headers("retry-after", inAMinute,
                "anthropic-ratelimit-requests-remaining", "0", "anthropic-ratelimit-requests-reset", "2026-11-22T21:00:05Z"), NOW))
                .contains(Duration.ofSeconds(60));
        assertThat(AnthropicMessagesProvider.retryAfter(headers("retry-after", "-1",
                "anthropic-ratelimit-requests-remaining", "0", "anthropic-ratelimit-requests-reset", "2026-11-22T21:00:05Z"), NOW))
                .as("a negative retry-after is no wait: the exhausted budget's reset decides").contains(Duration.ofSeconds(5));
    }

    @Test
    void invalidRequestAndBadKeyAreFatalWithTheErrorTypeAndMessage() {
        assertThat(provider.outcome(response(400, "error-invalid-request.json"), LATENCY)).isEqualTo(new ProviderOutcome.Fatal(400,
                "invalid_request_error: max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5-20251001"));
        assertThat(provider.outcome(response(401, "error-authentication.json"), LATENCY))
                .isEqualTo(new ProviderOutcome.Fatal(401, "authentication_error: invalid x-api-key"));
    }

    @Test
    void apiErrorsGatewayStatusesTimeoutAndConflictAreTransientOtherClientErrorsFatal() {
        for (int status : new int[] {500, 502, 503, 504, 408, 409}) {
            assertThat(provider.outcome(response(status, null), LATENCY)).as("HTTP " + status)
                    .isEqualTo(new ProviderOutcome.Transient(Optional.empty(), "HTTP " + status + ": (empty body)"));
        }
        for (int status : new int[] {403, 404, 413}) {
            assertThat(provider.outcome(response(status, null), LATENCY)).as("HTTP " + status).isInstanceOf(ProviderOutcome.Fatal.class);
        }
    }

    @Test
    void successThatIsNotAMessageOrNotJsonIsTransient() {
        assertThat(provider.outcome(new Response(200, "<html>bad gateway</html>", headers()), LATENCY))
                .isInstanceOfSatisfying(ProviderOutcome.Transient.class, t -> assertThat(t.detail()).contains("not JSON"));
        assertThat(provider.outcome(new Response(200, "{\"id\": \"msg_x\", \"type\": \"message\"}", headers()), LATENCY))
                .isInstanceOfSatisfying(ProviderOutcome.Transient.class, t -> assertThat(t.detail()).contains("no content array"));
        assertThat(provider.outcome(response(200, "error-overloaded.json"), LATENCY))
                .isEqualTo(new ProviderOutcome.Transient(Optional.empty(), "HTTP 200 with an error body: overloaded_error: Overloaded"));
    }
}
