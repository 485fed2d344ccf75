package dev.mainstay.server;

import dev.mainstay.ConfigException;
import dev.mainstay.config.YamlDocument;
import java.util.Locale;
import java.util.Map;

/** How a node writes its log lines: {@code logging.format} in the file, {@code MAINSTAY_LOG_FORMAT} in the environment. */
public enum LogFormat {
    /** One human-readable line per record. */
    TEXT,
    /** One JSON object per line, with the job context (see docs/observability.md#logs). */
    JSON;

    /** The environment's choice, else the file's, else {@link #TEXT}. */
    public static LogFormat parse(YamlDocument doc, Map<String, String> env) {
        doc.onlyKeys("/logging", "format");
        String fromEnv = env.get("MAINSTAY_LOG_FORMAT");
        if (fromEnv != null) {
            return of(fromEnv).orElseThrow(() -> new ConfigException("MAINSTAY_LOG_FORMAT must be text or json, got '" + fromEnv + "'"));
        }
        return doc.text("/logging/format").map(t -> of(t).orElseThrow(() -> doc.error("/logging/format", "must be text or json, got '" + t + "'")))
                .orElse(TEXT);
    }

    private static java.util.Optional<LogFormat> of(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "text" -> java.util.Optional.of(TEXT);
            case "json" -> java.util.Optional.of(JSON);
            default -> java.util.Optional.empty();
        };
    }
}
