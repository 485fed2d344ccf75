package dev.mainstay.server.metrics;

import dev.mainstay.config.YamlDocument;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a node serves its metrics ({@code metrics.*} in the file, see docs/observability.md).
 *
 * @param enabled whether the node counts at all; off, {@code /metrics} answers 404 and the engine
 *     reports to a no-op
 * @param key a key that may read {@code /metrics} besides the admin key (for a scraper that must
 *     not hold admin rights), if configured
 * @param managementPort a second port serving {@code /metrics} without authentication, if
 *     configured; {@code 0} picks a free one
 * @param managementHost the address that port binds to: loopback unless configured otherwise, since
 *     nothing guards it
 */
public record MetricsConfig(boolean enabled, Optional<String> key, OptionalInt managementPort, String managementHost) {
    public static final String DEFAULT_MANAGEMENT_HOST = "127.0.0.1";
    public static final MetricsConfig DEFAULT = new MetricsConfig(true, Optional.empty(), OptionalInt.empty(), DEFAULT_MANAGEMENT_HOST);
    /** Shorter keys are guessable; the admin and demo keys are longer still. */
    static final int MIN_KEY_LENGTH = 16;

    /**
     * Reads {@code metrics.*} of {@code doc}, overridden by {@code MAINSTAY_METRICS} ({@code on}/
     * {@code off}), {@code MAINSTAY_METRICS_KEY} and {@code MAINSTAY_METRICS_PORT}.
     */
    public static MetricsConfig parse(YamlDocument doc, Map<String, String> env) {
        doc.onlyKeys("/metrics", "enabled", "key", "management");
        doc.onlyKeys("/metrics/management", "port", "host");
        boolean enabled = doc.bool("/metrics/enabled", true);
        String switchEnv = env.get("MAINSTAY_METRICS");
        if (switchEnv != null) {
            enabled = switch (switchEnv.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "on", "true", "1" -> true;
                case "off", "false", "0" -> false;
                default -> throw new dev.mainstay.ConfigException("MAINSTAY_METRICS must be on or off, got '" + switchEnv + "'");
            };
        }
        Optional<String> key = Optional.ofNullable(env.get("MAINSTAY_METRICS_KEY")).or(() -> doc.text("/metrics/key")).map(String::strip);
        if (key.isPresent() && key.get().length() < MIN_KEY_LENGTH) {
            String problem = "a metrics key needs at least " + MIN_KEY_LENGTH + " characters, got " + key.get().length();
            throw env.containsKey("MAINSTAY_METRICS_KEY") ? new dev.mainstay.ConfigException("MAINSTAY_METRICS_KEY: " + problem) : doc.error("/metrics/key", problem);
        }
        OptionalInt port = OptionalInt.empty();
        String portEnv = env.get("MAINSTAY_METRICS_PORT");
        if (portEnv != null) {
            try {
                int p = Integer.parseInt(portEnv.strip());
                if (p < 0 || p > 65535) {
                    throw new NumberFormatException();
                }
                port = OptionalInt.of(p);
            } catch (NumberFormatException e) {
                throw new dev.mainstay.ConfigException("MAINSTAY_METRICS_PORT must be a port number (0 to 65535), got '" + portEnv + "'");
            }
        } else if (doc.has("/metrics/management/port")) {
            port = OptionalInt.of(doc.integer("/metrics/management/port", 0, 0, 65535));
        }
        String host = doc.text("/metrics/management/host").orElse(DEFAULT_MANAGEMENT_HOST);
        return new MetricsConfig(enabled, key, port, host);
    }
}
