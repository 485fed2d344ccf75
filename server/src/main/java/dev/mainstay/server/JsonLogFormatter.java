package dev.mainstay.server;

import dev.mainstay.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.slf4j.MDC;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes each log record as one JSON object on one line ({@code logging.format: json}), for a log
 * pipeline: {@code timestamp} (RFC 3339, UTC), {@code level}, {@code logger}, {@code message}, the
 * job context the engine puts in the MDC while it runs a job ({@code job_id}, {@code workflow},
 * {@code stage}, {@code trace_id}, {@code span_id}) and, when there is one, the {@code exception}
 * with its stack trace.
 *
 * <p>Secrets are masked field by field before the object is encoded, exactly as
 * {@link LogScrubber} masks a text line: masking the encoded line instead could cut through an
 * escape sequence and break the JSON.
 */
final class JsonLogFormatter extends Formatter {
    /** The MDC keys written, in this order, when present. */
    static final java.util.List<String> CONTEXT = java.util.List.of("job_id", "workflow", "workflow_version", "stage", "trace_id", "span_id");

    @Override
    public String format(LogRecord record) {
        ObjectNode line = Json.object();
        line.put("timestamp", Instant.ofEpochMilli(record.getMillis()).toString());
        line.put("level", level(record.getLevel()));
        line.put("logger", record.getLoggerName());
        line.put("message", LogScrubber.scrub(formatMessage(record)));
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        if (mdc != null) {
            for (String key : CONTEXT) {
                String value = mdc.get(key);
                if (value != null) {
                    line.put(key, value);
                }
            }
        }
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.put("exception", LogScrubber.scrub(trace.toString()));
        }
        return Json.write(line) + System.lineSeparator();
    }

    /** slf4j's level names, which log pipelines know, for the JDK's. */
    static String level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (v >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (v >= Level.INFO.intValue()) {
            return "INFO";
        }
        if (v >= Level.FINE.intValue()) {
            return "DEBUG";
        }
        return "TRACE";
    }
}
