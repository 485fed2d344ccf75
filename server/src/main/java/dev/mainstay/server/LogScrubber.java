package dev.mainstay.server;

import dev.mainstay.redaction.Redactor;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The last line of defence for logs: every record the root handlers write, message and stack
 * trace included, has secret shapes (API keys, tokens, JWTs, private keys, {@code Authorization}
 * credentials) and the configured provider API keys replaced by {@code [SECRET]}. Code that logs is
 * still expected not to log content; this catches what slips through, such as an exception whose
 * message quotes a request.
 */
final class LogScrubber extends Formatter {
    /** Shorter keys (a local server's placeholder key such as {@code x}) would mask ordinary words. */
    static final int MIN_KEY_LENGTH = 8;
    private static final Set<String> KEYS = ConcurrentHashMap.newKeySet();

    private final Formatter inner;

    LogScrubber(Formatter inner) {
        this.inner = inner;
    }

    /**
     * Wraps the formatter of every root handler (once) and adds {@code apiKeys} to the values
     * masked. Safe to call for every node started in one process.
     */
    static void install(Iterable<String> apiKeys) {
        install(apiKeys, LogFormat.TEXT);
    }

    /**
     * {@link #install(Iterable)}, and with {@link LogFormat#JSON} every root handler writes
     * {@link JsonLogFormatter}'s lines instead, which mask the same values field by field.
     */
    static void install(Iterable<String> apiKeys, LogFormat format) {
        for (String key : apiKeys) {
            if (key != null && key.strip().length() >= MIN_KEY_LENGTH) {
                KEYS.add(key.strip());
            }
        }
        for (Handler h : Logger.getLogger("").getHandlers()) {
            if (format == LogFormat.JSON) {
                if (!(h.getFormatter() instanceof JsonLogFormatter)) {
                    h.setFormatter(new JsonLogFormatter());
                }
            } else if (!(h.getFormatter() instanceof LogScrubber)) {
                h.setFormatter(new LogScrubber(h.getFormatter() == null ? new SimpleFormatter() : h.getFormatter()));
            }
        }
    }

    /** {@code text} as a log line may show it. */
    static String scrub(String text) {
        String out = Redactor.scrubSecrets(text);
        for (String key : KEYS) {
            if (out.contains(key)) {
                out = out.replace(key, "[SECRET]");
            }
        }
        return out;
    }

    @Override
    public String format(LogRecord record) {
        return scrub(inner.format(record));
    }

    @Override
    public String getHead(Handler h) {
        return inner.getHead(h);
    }

    @Override
    public String getTail(Handler h) {
        return inner.getTail(h);
    }
}
