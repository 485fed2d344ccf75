package dev.mainstay.server.webhooks;

import dev.mainstay.net.OutboundGuard;
import dev.mainstay.providers.http.RetryAfter;
import dev.mainstay.webhook.AttemptOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Makes one delivery attempt over HTTP: the SSRF guard first (the host resolved now), then a
 * {@code POST} with the Standard Webhooks headers, no redirect followed, the whole attempt (connect,
 * send, answer, the part of its body that is read) bounded by the timeout, and no more than
 * {@code maxResponseBytes} of the answer read. The answer's body is never stored: it could hold
 * anything.
 */
final class WebhookSender {
    private final HttpClient http;
    private final WebhookSettings settings;
    private final Clock clock;
    private final String userAgent;

    WebhookSender(WebhookSettings settings, Clock clock, String userAgent) {
        this.settings = settings;
        this.clock = clock;
        this.userAgent = userAgent;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    AttemptOutcome send(URI url, String messageId, long timestamp, String signature, String body) throws InterruptedException {
        String refused;
        try {
            refused = OutboundGuard.refusal(url, settings.allowPrivate());
        } catch (IllegalArgumentException e) {
            refused = "the URL is not valid: " + e.getMessage();
        }
        if (refused != null) {
            return AttemptOutcome.noAnswer("not sent: " + refused + (settings.allowPrivate() ? "" : " (webhooks.allow_private or "
                    + WebhookSettings.ALLOW_PRIVATE_ENV + "=true allows private receivers)"));
        }
        HttpRequest request = HttpRequest.newBuilder(url).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", userAgent)
                .header("webhook-id", messageId)
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", signature)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        CompletableFuture<AttemptOutcome> attempt = http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream()).thenApply(this::answer);
        try {
            return attempt.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            attempt.cancel(true);
            return AttemptOutcome.noAnswer("no answer within " + settings.timeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException) {
                return AttemptOutcome.noAnswer("no answer within " + settings.timeout().toMillis() + " ms");
            }
            return AttemptOutcome.noAnswer("could not reach the receiver: " + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": "
                    + cause.getMessage()));
        } catch (InterruptedException e) {
            attempt.cancel(true);
            throw e;
        }
    }

    /** Reads (and drops) at most the allowed part of the body, so the connection can be reused, then closes it. */
    private AttemptOutcome answer(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            byte[] buf = new byte[8192];
            long left = settings.maxResponseBytes();
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) >= 0) {
                left -= n;
            }
        } catch (IOException e) {
            // The status is what counts; a body cut short changes nothing.
        }
        Duration retryAfter = RetryAfter.of(r.headers(), clock.instant()).orElse(null);
        return AttemptOutcome.of(r.statusCode(), retryAfter);
    }
}
