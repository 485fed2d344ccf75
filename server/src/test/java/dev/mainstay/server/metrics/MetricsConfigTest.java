package dev.mainstay.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.config.YamlDocument;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class MetricsConfigTest {
    private static YamlDocument yaml(String text) {
        return YamlDocument.parse(text, "mainstay.yaml");
    }

    @Test
    void defaultsCountOnTheMainPortOnly() {
        assertThat(MetricsConfig.parse(yaml("{}"), Map.of())).isEqualTo(MetricsConfig.DEFAULT);
    }

    @Test
    void fileThenEnvironment() {
        YamlDocument doc = yaml("metrics:\n  key: scrape-key-0123456789\n  management:\n    port: 9464\n");
        assertThat(MetricsConfig.parse(doc, Map.of()))
                .isEqualTo(new MetricsConfig(true, Optional.of("scrape-key-0123456789"), OptionalInt.of(9464), "127.0.0.1"));
        assertThat(MetricsConfig.parse(doc, Map.of("MAINSTAY_METRICS_PORT", "0", "MAINSTAY_METRICS", "off", "MAINSTAY_METRICS_KEY", "other-key-0123456789")))
                .isEqualTo(new MetricsConfig(false, Optional.of("other-key-0123456789"), OptionalInt.of(0), "127.0.0.1"));
    }

    @Test
    void badValuesNameTheirField() {
        assertThatThrownBy(() -> MetricsConfig.parse(yaml("metrics:\n  key: short\n"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mainstay.yaml:2").hasMessageContaining("at least 16");
        assertThatThrownBy(() -> MetricsConfig.parse(yaml("metrics:\n  managment: {}\n"), Map.of())).hasMessageContaining("metrics.managment");
        assertThatThrownBy(() -> MetricsConfig.parse(yaml("{}"), Map.of("MAINSTAY_METRICS_PORT", "http"))).hasMessageContaining("MAINSTAY_METRICS_PORT");
        assertThatThrownBy(() -> MetricsConfig.parse(yaml("{}"), Map.of("MAINSTAY_METRICS", "maybe"))).hasMessageContaining("on or off");
    }
}
