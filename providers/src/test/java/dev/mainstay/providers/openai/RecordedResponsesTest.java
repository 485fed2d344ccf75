package dev.mainstay.providers.openai;

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

/** The parser against literal Chat Completions bodies and headers as OpenAI sends them. */
class RecordedResponsesTest {
    private static final Duration LATENCY = Duration.ofMillis(420);
    /** The injected clock's now, which waits are measured from. */
    private static final Instant NOW = Instant.parse("2026-11-22T21:00:00Z");
    private final OpenAiChatProvider provider = new OpenAiChatProvider(new OpenAiChatProvider.Config(
            "openai", URI.create("https://api.openai.com/v1"), "sk-test", Duration.ofSeconds(5), "max_completion_tokens"));

    /** Just enough of an HTTP response for the parser. */
    private record Response(int statusCode, String body, HttpHeaders headers) implements HttpResponse<String> {
        @Override public HttpRequest request() { return HttpRequest.newBuilder(URI.create("https://api.openai.com/v1/chat/completions")).build(); }
        @Override public Optional<HttpResponse<String>> previousResponse() { return Optional.empty(); }
        @Override public Optional<SSLSession> sslSession() { return Optional.empty(); }
        @Override public URI uri() { return request().uri(); }
        @Override public HttpClient.Version version() { return HttpClient.Version.HTTP_1_1; }
    }

    private static HttpResponse<String> response(int status, String resource, String... headerPairs) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 0; i < headerPairs.length; i += 2) {
            headers.put(headerPairs[i], List.of(headerPairs[i + 1]));
        }
        return new Response(status, resource == null ? "" : read(resource), HttpHeaders.of(headers, (k, v) -> true));
    }

    private static String read(String resource) {
        try (InputStream in = RecordedResponsesTest.class.getResourceAsStream("/openai/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void successReportsContentModelAndUsage() {
        ProviderOutcome outcome = provider.outcome(response(200, "chat-completion-success.json"), LATENCY);
        assertThat(outcome).isEqualTo(new ProviderOutcome.Success(
                "{\"category\":\"billing\",\"summary\":\"The customer was charged twice and wants a refund.\"}",
                "gpt-4o-mini-2024-07-18", 112, 19, LATENCY));
    }

    @Test
    void refusalIsRefusedWithTheModelsWords() {
        assertThat(provider.outcome(response(200, "chat-completion-refusal.json"), LATENCY))
                .isEqualTo(new ProviderOutcome.Refused("I'm sorry, I cannot assist with that request."));
    }

    @Test
    void contentFilterStopIsRefused() {
        assertThat(provider.outcome(response(200, "chat-completion-content-filter.json"), LATENCY))
                .isInstanceOf(ProviderOutcome.Refused.class);
    }

    @Test
    void rateLimitWithoutRetryAfterWaitsForTheRequestsReset() {
        ProviderOutcome outcome = provider.outcome(response(429, "error-rate-limit.json",
                "x-ratelimit-limit-requests", "500",
                "x-ratelimit-remaining-requests", "0",
                "x-ratelimit-reset-requests", "1m30s",
                "x-ratelimit-limit-tokens", "200000",
                "x-ratelimit-remaining-tokens", "199950",
                "x-ratelimit-reset-tokens", "6ms"), LATENCY);
        assertThat(outcome).isInstanceOfSatisfying(ProviderOutcome.RateLimited.class, r -> {
            assertThat(r.retryAfter()).contains(Duration.ofSeconds(90));
            assertThat(r.detail()).startsWith("HTTP 429: Rate limit reached for gpt-4o-mini");
        });
    }

    @Test
    void aSuccessThatUsesUpABudgetSaysHowLongTheNextCallMustWait() {
        ProviderOutcome used = provider.outcome(response(200, "chat-completion-success.json",
                "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "12s",
                "x-ratelimit-remaining-tokens", "1500", "x-ratelimit-reset-tokens", "40ms"), LATENCY);
        assertThat(used).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> assertThat(s.budgetExhaustedFor()).isEqualTo(Duration.ofSeconds(12)));
        ProviderOutcome plenty = provider.outcome(response(200, "chat-completion-success.json",
                "x-ratelimit-remaining-requests", "499", "x-ratelimit-reset-requests", "12s"), LATENCY);
        assertThat(plenty).isInstanceOfSatisfying(ProviderOutcome.Success.class, s -> assertThat(s.budgetExhaustedFor()).isNull());
    }

    @Test
    void rateLimitOnTokensWaitsForTheTokensReset() {
        assertThat(OpenAiChatProvider.retryAfter(response(429, "error-rate-limit.json",
                "x-ratelimit-remaining-requests", "499", "x-ratelimit-reset-requests", "1m30s",
                "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "6ms"), NOW)).contains(Duration.ofMillis(6));
        assertThat(OpenAiChatProvider.retryAfter(response(429, "error-rate-limit.json",
                "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "2s",
                "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "6ms"), NOW)).contains(Duration.ofSeconds(2));
    }

    @Test
    void rateLimitPrefersRetryAfterMsThenRetryAfterOverResetHeaders() {
        assertThat(OpenAiChatProvider.retryAfter(response(429, "error-rate-limit.json",
                "retry-after-ms", "1500", "retry-after", "2", "x-ratelimit-reset-requests", "1m30s"), NOW)).contains(Duration.ofMillis(1500));
        assertThat(OpenAiChatProvider.retryAfter(response(429, "error-rate-limit.json",
                "retry-after", "2", "x-ratelimit-reset-requests", "1m30s"), NOW)).contains(Duration.ofSeconds(2));
        assertThat(OpenAiChatProvider.retryAfter(response(429, "error-rate-limit.json",
                "retry-after-ms", "soon", "x-ratelimit-reset-tokens", "750ms"), NOW)).contains(Duration.ofMillis(750));
        assertThat(OpenAiChatProvider.retryAfter(response(429, "error-rate-limit.json"), NOW)).isEmpty();
    }

    @Test
    void retryAfterAsAnHttpDateIsTheTimeUntilThen() {
        String inAMinute = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.atZone(ZoneOffset.UTC).plusSeconds(60));
        Optional<Duration> wait = OpenAiChatProvider.retryAfter(response(503, "error-overloaded.json", "retry-after", inAMinute), NOW);
        assertThat(wait).hasValueSatisfying(d -> assertThat(d).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(60)));
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.atZone(ZoneOffset.UTC).minusSeconds(60));
        assertThat(OpenAiChatProvider.retryAfter(response(503, "error-overloaded.json", "retry-after", past), NOW)).contains(Duration.ZERO);
    }

    @Test
    void aRetryAfterDateIsMeasuredFromTheInjectedClock() {
        OpenAiChatProvider fixed = new OpenAiChatProvider(new OpenAiChatProvider.Config(
                "openai", URI.create("https://api.openai.com/v1"), "sk-test", Duration.ofSeconds(5), "max_completion_tokens"), Clock.fixed(NOW, ZoneOffset.UTC));
        String inAMinute = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.atZone(ZoneOffset.UTC).plusSeconds(60));
        assertThat(fixed.outcome(response(503, "error-overloaded.json", "retry-after", inAMinute), LATENCY))
                .isInstanceOfSatisfying(ProviderOutcome.Transient.class, t -> assertThat(t.retryAfter()).contains(Duration.ofSeconds(60)));
        assertThat(fixed.outcome(response(429, "error-rate-limit.json", "retry-after", inAMinute), LATENCY))
                .isInstanceOfSatisfying(ProviderOutcome.RateLimited.class, r -> assertThat(r.retryAfter()).contains(Duration.ofSeconds(60)));
    }

    @Test
    void aNegativeRetryAfterIsNoWaitAndTheResetHeadersDecide() {
        assertThat(OpenAiChatProvider.retryAfter(response(429, "error-rate-limit.json",
                "retry-after", "-5", "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "2s"), NOW)).contains(Duration.ofSeconds(2));
    }

    @Test
    void serverErrorIsTransientAndKeepsItsRetryAfter() {
        assertThat(provider.outcome(response(503, "error-overloaded.json", "retry-after", "20"), LATENCY))
                .isEqualTo(new ProviderOutcome.Transient(Optional.of(Duration.ofSeconds(20)),
                        "HTTP 503: The server had an error while processing your request. Sorry about that!"));
        assertThat(provider.outcome(response(500, "error-overloaded.json"), LATENCY)).isInstanceOf(ProviderOutcome.Transient.class);
        assertThat(provider.outcome(response(502, null), LATENCY))
                .isEqualTo(new ProviderOutcome.Transient(Optional.empty(), "HTTP 502: (empty body)"));
    }

    @Test
    void badKeyAndOversizedPromptAreFatalWithTheProvidersMessage() {
        assertThat(provider.outcome(response(401, "error-invalid-api-key.json"), LATENCY)).isEqualTo(new ProviderOutcome.Fatal(401,
                "Incorrect API key provided: sk-abc123. You can find your API key at https://platform.openai.com/account/api-keys."));
        assertThat(provider.outcome(response(400, "error-context-length.json"), LATENCY))
                .isInstanceOfSatisfying(ProviderOutcome.Fatal.class, f -> {
                    assertThat(f.status()).isEqualTo(400);
                    assertThat(f.detail()).startsWith("This model's maximum context length is 128000 tokens.");
                });
    }

    @Test
    void requestTimeoutAndConflictStatusesAreTransient() {
        assertThat(provider.outcome(response(408, null), LATENCY)).isInstanceOf(ProviderOutcome.Transient.class);
        assertThat(provider.outcome(response(409, null), LATENCY)).isInstanceOf(ProviderOutcome.Transient.class);
        assertThat(provider.outcome(response(404, null), LATENCY)).isInstanceOf(ProviderOutcome.Fatal.class);
    }

    @Test
    void successWithoutChoicesOrNotJsonIsTransient() {
        assertThat(provider.outcome(new Response(200, "{\"id\": \"x\", \"choices\": []}", HttpHeaders.of(Map.of(), (k, v) -> true)), LATENCY))
                .isInstanceOf(ProviderOutcome.Transient.class);
        assertThat(provider.outcome(new Response(200, "<html>bad gateway</html>", HttpHeaders.of(Map.of(), (k, v) -> true)), LATENCY))
                .isInstanceOfSatisfying(ProviderOutcome.Transient.class, t -> assertThat(t.detail()).contains("not JSON"));
    }

    @Test
    void parseResetReadsOpenAiDurations() {
        assertThat(OpenAiChatProvider.parseReset("1m30s")).contains(Duration.ofSeconds(90));
        assertThat(OpenAiChatProvider.parseReset("6ms")).contains(Duration.ofMillis(6));
        assertThat(OpenAiChatProvider.parseReset("1.5s")).contains(Duration.ofMillis(1500));
        assertThat(OpenAiChatProvider.parseReset("20s")).contains(Duration.ofSeconds(20));
        assertThat(OpenAiChatProvider.parseReset("2h")).contains(Duration.ofHours(2));
        assertThat(OpenAiChatProvider.parseReset("1h2m3s")).contains(Duration.ofSeconds(3723));
        assertThat(OpenAiChatProvider.parseReset("2m0.5s")).contains(Duration.ofMillis(120_500));
        assertThat(OpenAiChatProvider.parseReset(" 17ms ")).contains(Duration.ofMillis(17));
        assertThat(OpenAiChatProvider.parseReset("")).isEmpty();
        assertThat(OpenAiChatProvider.parseReset("soon")).isEmpty();
        assertThat(OpenAiChatProvider.parseReset("5 minutes")).isEmpty();
    }
}
