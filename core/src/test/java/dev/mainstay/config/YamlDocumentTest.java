package dev.mainstay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class YamlDocumentTest {
    private static final String TEXT = """
            # a comment first
            name: demo
            limits:
              per_job:
                timeout: 20s
            items:
              - a
              - b: 2
                c: [x, y]
            """;

    @Test
    void whereNamesTheLineOfEveryNestedValue() {
        YamlDocument doc = YamlDocument.parse(TEXT, "conf.yaml");
        assertThat(doc.where("/name")).isEqualTo("conf.yaml:2");
        assertThat(doc.where("/limits")).isEqualTo("conf.yaml:3");
        assertThat(doc.where("/limits/per_job/timeout")).isEqualTo("conf.yaml:5");
        assertThat(doc.where("/items/0")).isEqualTo("conf.yaml:7");
        assertThat(doc.where("/items/1/c/1")).isEqualTo("conf.yaml:9");
    }

    @Test
    void whereFallsBackToTheNearestAncestorForAMissingValue() {
        YamlDocument doc = YamlDocument.parse(TEXT, "conf.yaml");
        assertThat(doc.where("/limits/per_job/max_cost")).isEqualTo("conf.yaml:4");
    }

    @Test
    void fieldIsTheDottedFormWithIndexesAndUnescapedTokens() {
        assertThat(YamlDocument.field("/stages/0/model/route/1")).isEqualTo("stages[0].model.route[1]");
        assertThat(YamlDocument.field("/a~1b/c~0d")).isEqualTo("a/b.c~d");
        assertThat(YamlDocument.field("")).isEqualTo("(document)");
    }

    @Test
    void typedReadersNameFileLineAndField() {
        YamlDocument doc = YamlDocument.parse(TEXT, "conf.yaml");
        assertThatThrownBy(() -> doc.integer("/name", 0, 0, 10))
                .isInstanceOf(ConfigException.class)
                .hasMessage("conf.yaml:2: name: must be a whole number, got the string 'demo'");
        assertThatThrownBy(() -> doc.bool("/limits", false))
                .hasMessage("conf.yaml:3: limits: must be true or false, got a mapping");
        assertThatThrownBy(() -> doc.requireText("/limits/per_job/missing"))
                .hasMessage("conf.yaml:4: limits.per_job.missing: is required");
        assertThatThrownBy(() -> doc.textList("/items"))
                .hasMessage("conf.yaml:8: items[1]: must be a string, got a mapping");
    }

    @Test
    void readsDurationsInEveryUnit() {
        assertThat(YamlDocument.parseDuration("500ms")).contains(Duration.ofMillis(500));
        assertThat(YamlDocument.parseDuration("20s")).contains(Duration.ofSeconds(20));
        assertThat(YamlDocument.parseDuration("5m")).contains(Duration.ofMinutes(5));
        assertThat(YamlDocument.parseDuration("1h")).contains(Duration.ofHours(1));
        assertThat(YamlDocument.parseDuration("2d")).contains(Duration.ofDays(2));
        assertThat(YamlDocument.parseDuration("1.5s")).isEmpty();
        assertThat(YamlDocument.parseDuration("-1s")).isEmpty();
        assertThat(YamlDocument.parseDuration("soon")).isEmpty();
        assertThat(YamlDocument.parse(TEXT, "c").duration("/limits/per_job/timeout", Duration.ZERO)).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void textListAcceptsOneStringAsAList() {
        YamlDocument doc = YamlDocument.parse("route: primary\nroutes: [a, b]\n", "r.yaml");
        assertThat(doc.textList("/route")).isEqualTo(List.of("primary"));
        assertThat(doc.textList("/routes")).isEqualTo(List.of("a", "b"));
        assertThat(doc.textList("/none")).isEmpty();
    }

    @Test
    void onlyKeysRefusesATypoAndListsTheAllowedKeys() {
        YamlDocument doc = YamlDocument.parse("name: x\nnmae: y\n", "k.yaml");
        assertThatThrownBy(() -> doc.onlyKeys("", "name", "version"))
                .hasMessage("k.yaml:2: nmae: unknown field (allowed here: name, version)");
    }

    @Test
    void invalidYamlNamesTheLine() {
        assertThatThrownBy(() -> YamlDocument.parse("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("bad.yaml:")
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void emptyFileIsRefused() {
        assertThatThrownBy(() -> YamlDocument.parse("", "empty.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("empty.yaml: the file is empty");
    }

    @Test
    void largeAndDecimalNumbersKeepTheirValue() {
        YamlDocument doc = YamlDocument.parse("big: 123456789012345678901234567890\nprice: 0.15\n", "n.yaml");
        assertThat(doc.node("/big").bigIntegerValue()).isEqualTo(new java.math.BigInteger("123456789012345678901234567890"));
        assertThat(doc.node("/price").decimalValue()).isEqualByComparingTo("0.15");
    }
}
