package dev.mainstay.server.webhooks;

import dev.mainstay.ConfigException;
import dev.mainstay.webhook.DeliveryPolicy;
import dev.mainstay.config.YamlDocument;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code webhooks:} section: how deliveries are made.
 *
 * <pre>{@code
 * webhooks:
 *   allow_private: false      # or MAINSTAY_WEBHOOKS_ALLOW_PRIVATE=true: receivers on loopback/private networks
 *   timeout: 10s              # per attempt: connect, send, and the answer's status line and headers
 *   max_in_flight: 64         # attempts this node makes at once, all endpoints together
 *   disable_after: 5d         # an endpoint whose attempts have all failed this long is disabled
 * }</pre>
 *
 * <p>and the {@code callbacks:} section: {@code base_url} (or {@code MAINSTAY_CALLBACK_BASE_URL}), the
 * address integrations reach this node at, which callback URLs start with (default: the node's own
 * {@code http://host:port}).
 *
 * @param maxResponseBytes how much of a receiver's answer is read (and dropped) before the connection is closed
 * @param callbackBaseUrl where callback URLs point, or null for the node's own address
 * @param secretsKey {@code MAINSTAY_SECRETS_KEY}, or null to use the data directory's key
 * @param environment the environment, for the secrets that workflows name ({@code notify.secret.env})
 */
public record WebhookSettings(boolean allowPrivate, Duration timeout, int maxInFlight, Duration disableAfter, long maxResponseBytes, URI callbackBaseUrl,
                              String secretsKey, Map<String, String> environment) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
    public static final String ALLOW_PRIVATE_ENV = "MAINSTAY_WEBHOOKS_ALLOW_PRIVATE";

    public static final String CALLBACK_BASE_URL_ENV = "MAINSTAY_CALLBACK_BASE_URL";

    public static final WebhookSettings DEFAULTS = new WebhookSettings(false, DEFAULT_TIMEOUT, DEFAULT_MAX_IN_FLIGHT, DeliveryPolicy.DEFAULT_DISABLE_AFTER,
            DEFAULT_MAX_RESPONSE_BYTES, null, null, Map.of());

    public WebhookSettings {
        environment = Map.copyOf(environment);
        if (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofMinutes(2)) > 0) {
            throw new ConfigException("webhooks.timeout must be between 100ms and 2m, got " + timeout);
        }
    }

    /** How long a node holds a delivery it attempts: the attempt's timeout and a margin for writing its outcome. */
    public Duration lease() {
        return timeout.plusSeconds(30);
    }

    /** Reads {@code webhooks:} from {@code doc}; the environment's {@code MAINSTAY_WEBHOOKS_ALLOW_PRIVATE} wins over the file. */
    public static WebhookSettings read(YamlDocument doc, Map<String, String> env) {
        boolean allowPrivate = false;
        int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        Duration timeout = DEFAULT_TIMEOUT;
        Duration disableAfter = DeliveryPolicy.DEFAULT_DISABLE_AFTER;
        if (doc.has("/webhooks")) {
            doc.requireObject("/webhooks");
            doc.onlyKeys("/webhooks", "allow_private", "timeout", "max_in_flight", "disable_after");
            allowPrivate = doc.bool("/webhooks/allow_private", false);
            timeout = doc.duration("/webhooks/timeout", DEFAULT_TIMEOUT);
            if (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofMinutes(2)) > 0) {
                throw doc.error("/webhooks/timeout", "must be between 100ms and 2m, got " + timeout);
            }
            maxInFlight = doc.integer("/webhooks/max_in_flight", DEFAULT_MAX_IN_FLIGHT, 1, 10_000);
            disableAfter = doc.duration("/webhooks/disable_after", DeliveryPolicy.DEFAULT_DISABLE_AFTER);
            if (disableAfter.compareTo(Duration.ofHours(1)) < 0) {
                throw doc.error("/webhooks/disable_after", "must be at least 1h, got " + disableAfter);
            }
        }
        String envValue = env.get(ALLOW_PRIVATE_ENV);
        if (envValue != null && !envValue.isBlank()) {
            allowPrivate = switch (envValue.strip().toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes" -> true;
                case "false", "0", "no" -> false;
                default -> throw new ConfigException(ALLOW_PRIVATE_ENV + ": must be true or false, got '" + envValue + "'");
            };
        }
        URI callbackBase = null;
        String fromEnv = env.get(CALLBACK_BASE_URL_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            callbackBase = baseUrl(fromEnv.strip(), () -> new ConfigException(CALLBACK_BASE_URL_ENV + ": must be an http(s) URL such as https://mainstay.example.com, got '"
                    + fromEnv + "'"));
        } else if (doc.has("/callbacks")) {
            doc.requireObject("/callbacks");
            doc.onlyKeys("/callbacks", "base_url");
            String text = doc.requireText("/callbacks/base_url");
            callbackBase = baseUrl(text, () -> doc.error("/callbacks/base_url", "must be an http(s) URL such as https://mainstay.example.com, got '" + text + "'"));
        }
        return new WebhookSettings(allowPrivate, timeout, maxInFlight, disableAfter, DEFAULT_MAX_RESPONSE_BYTES, callbackBase, env.get(SecretsKey.ENV), env);
    }

    @Override
    public String toString() {
        return "WebhookSettings[allowPrivate=" + allowPrivate + ", timeout=" + timeout + ", maxInFlight=" + maxInFlight + ", disableAfter=" + disableAfter
                + ", callbackBaseUrl=" + callbackBaseUrl + ", secretsKey=" + (secretsKey == null ? "from the data directory" : "(set)") + "]";
    }

    /** Where callback URLs point, when configured. */
    public Optional<URI> callbackBase() {
        return Optional.ofNullable(callbackBaseUrl);
    }

    private static URI baseUrl(String text, java.util.function.Supplier<ConfigException> bad) {
        try {
            URI u = new URI(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
                throw bad.get();
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            throw bad.get();
        }
    }
}
