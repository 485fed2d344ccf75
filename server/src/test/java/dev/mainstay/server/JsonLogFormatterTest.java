package dev.mainstay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.config.YamlDocument;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import tools.jackson.databind.JsonNode;

/** JSON log lines: one object per line, the job context from the MDC, secrets masked as in text lines. */
class JsonLogFormatterTest {
    @AfterEach
    void clear() {
        MDC.clear();
    }

    @Test
    void oneObjectPerLineWithTheJobContextAndSecretsMasked() {
        LogScrubber.install(List.of("local-gateway-key-0123"));
        MDC.put("job_id", "job_01m82g19701f33jpxkfbsc489q");
        MDC.put("workflow", "briefs/extract-key-points");
        MDC.put("stage", "extract");
        MDC.put("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
        MDC.put("span_id", "00f067aa0ba902b7");
        MDC.put("account_id", "acct_demo"); // not a field of the line: accounts stay out of logs
        LogRecord record = new LogRecord(Level.WARNING, "provider said \"no\": Authorization: Bearer abcdefghijklmnopqrstuvwxyz123456 {0}");
        record.setParameters(new Object[] {"local-gateway-key-0123"});
        record.setLoggerName("dev.mainstay.engine.JobRunner");
        record.setThrown(new IllegalStateException("key sk-proj-abcDEF1234567890ghijKLMNopqr\nsecond line"));

        String line = new JsonLogFormatter().format(record);

        assertThat(line).endsWith(System.lineSeparator());
        assertThat(line.strip()).doesNotContain("\n");
        JsonNode json = Json.MAPPER.readTree(line);
        assertThat(json.path("level").asString()).isEqualTo("WARN");
        assertThat(json.path("logger").asString()).isEqualTo("dev.mainstay.engine.JobRunner");
        assertThat(json.path("timestamp").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
        assertThat(json.path("message").asString()).startsWith("provider said \"no\"").contains("[SECRET]")
                .doesNotContain("abcdefghijklmnopqrstuvwxyz123456", "local-gateway-key-0123");
        assertThat(json.path("job_id").asString()).isEqualTo("job_01m82g19701f33jpxkfbsc489q");
        assertThat(json.path("workflow").asString()).isEqualTo("briefs/extract-key-points");
        assertThat(json.path("stage").asString()).isEqualTo("extract");
        assertThat(json.path("trace_id").asString()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(json.path("span_id").asString()).isEqualTo("00f067aa0ba902b7");
        assertThat(json.has("account_id")).isFalse();
        assertThat(json.path("exception").asString()).contains("IllegalStateException", "second line", "[SECRET]")
                .doesNotContain("sk-proj-abcDEF1234567890ghijKLMNopqr");
    }

    @Test
    void aLineWithoutJobContextHasNoContextFields() {
        JsonNode json = Json.MAPPER.readTree(new JsonLogFormatter().format(new LogRecord(Level.INFO, "started")));
        assertThat(json.propertyNames()).containsExactlyInAnyOrder("timestamp", "level", "logger", "message");
    }

    @Test
    void formatComesFromTheEnvironmentThenTheFile() {
        YamlDocument json = YamlDocument.parse("logging:\n  format: json\n", "mainstay.yaml");
        YamlDocument none = YamlDocument.parse("{}", "mainstay.yaml");
        assertThat(LogFormat.parse(json, Map.of())).isEqualTo(LogFormat.JSON);
        assertThat(LogFormat.parse(none, Map.of())).isEqualTo(LogFormat.TEXT);
        assertThat(LogFormat.parse(json, Map.of("MAINSTAY_LOG_FORMAT", "text"))).isEqualTo(LogFormat.TEXT);
        assertThat(LogFormat.parse(none, Map.of("MAINSTAY_LOG_FORMAT", "JSON"))).isEqualTo(LogFormat.JSON);
        assertThatThrownBy(() -> LogFormat.parse(YamlDocument.parse("logging:\n  format: xml\n", "mainstay.yaml"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mainstay.yaml:2").hasMessageContaining("logging.format");
        assertThatThrownBy(() -> LogFormat.parse(none, Map.of("MAINSTAY_LOG_FORMAT", "yaml"))).hasMessageContaining("MAINSTAY_LOG_FORMAT");
    }
}
