package dev.mainstay.providers.http;

import dev.mainstay.Json;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.redaction.Redactor;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import tools.jackson.databind.JsonNode;

/**
 * One provider endpoint that takes JSON over HTTP/1.1: the part every wire client shares. It posts,
 * turns timeouts and connection failures into outcomes, and hands every answered response (with
 * its latency) to the wire format's own mapper. Redirects are never followed.
 */
public final class JsonEndpoint {
    private static final int MAX_DETAIL = 300;

    private final URI uri;
    private final HttpClient http;

    /**
     * @param base the configured base URL; a trailing slash is ignored
     * @param path appended to the base, e.g. {@code /chat/completions}
     */
    public JsonEndpoint(URI base, String path, Duration connectTimeout) {
        String b = base.toString();
        this.uri = URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + path);
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public URI uri() {
        return uri;
    }

    /**
     * Posts {@code body} with {@code headers}, plus each request tag as {@code X-Mainstay-<Tag>}
     * and the calling thread's trace context ({@link TraceContext#current()}) as {@code traceparent}.
     *
     * @param answered maps a response that arrived, with its latency, to an outcome
     */
    public ProviderOutcome post(JsonNode body, Duration timeout, Map<String, String> headers, Map<String, String> tags,
                                BiFunction<HttpResponse<String>, Duration, ProviderOutcome> answered) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
        headers.forEach(request::header);
        tags.forEach((k, v) -> request.header("X-Mainstay-" + capitalise(k), v));
        // The job's trace goes on at the provider (or a gateway in front of it) if it traces too.
        TraceContext trace = TraceContext.current();
        if (trace.present()) {
            request.header("traceparent", trace.traceparent());
            if (trace.tracestate() != null) {
                request.header("tracestate", trace.tracestate());
            }
        }
        long started = System.nanoTime();
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            return new ProviderOutcome.TimedOut(timeout, "no response from " + uri.getHost() + " within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return new ProviderOutcome.Transient(Optional.empty(), "connection to " + uri.getHost() + ":" + port() + " failed: " + describe(e));
        }
        return answered.apply(response, Duration.ofNanos(System.nanoTime() - started));
    }

    /**
     * Text from a provider, on one line and at most a few hundred characters, for error details.
     * Secret shapes (an API key quoted back in an authentication error, say) become {@code [SECRET]}
     * before the text is cut, so no part of one is kept.
     */
    public static String abbreviate(String s) {
        if (s == null || s.isBlank()) {
            return "(empty body)";
        }
        String one = Redactor.scrubSecrets(s.strip()).replaceAll("\\s+", " ");
        return one.length() <= MAX_DETAIL ? one : one.substring(0, MAX_DETAIL) + "…";
    }

    /**
     * A token count from a provider's usage report as it is, negative ones included (the engine
     * decides what to charge), or {@link ProviderOutcome.Success#UNREPORTED} when the field is
     * missing or is not a whole number that fits in a long ({@code 1e308}, {@code "NaN"}, {@code 12.5}).
     */
    public static long tokenCount(JsonNode field) {
        if (field == null || !field.isNumber() || !field.canConvertToExactIntegral() || !field.canConvertToLong()) {
            return ProviderOutcome.Success.UNREPORTED;
        }
        return field.longValue();
    }

    /** The sum of token counts, {@link ProviderOutcome.Success#UNREPORTED} when any of them is. */
    public static long sum(long... counts) {
        long total = 0;
        for (long c : counts) {
            if (c == ProviderOutcome.Success.UNREPORTED) {
                return c;
            }
            try {
                total = Math.addExact(total, c);
            } catch (ArithmeticException tooLarge) {
                return ProviderOutcome.Success.UNREPORTED;
            }
        }
        return total;
    }

    private int port() {
        int port = uri.getPort();
        return port != -1 ? port : "https".equals(uri.getScheme()) ? 443 : 80;
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : " (" + m + ")");
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }
}
