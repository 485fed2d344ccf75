package dev.mainstay.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.config.YamlDocument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultScriptTest {

    private static FaultScript parse(String yaml) {
        return FaultScript.parse(YamlDocument.parse(yaml, "faults.yaml"));
    }

    @Test
    void parsesEveryKey() {
        FaultScript script = parse("""
                default: { latency: 50ms..400ms }
                per_job: true
                steps:
                  - { status: 429, retry_after: 2s }
                  - { status: 503 }
                  - { fault: reset }
                  - { fault: hang }
                  - { fault: malformed }
                  - { fault: invalid_output }
                  - { fault: prose_output }
                  - { fault: refusal }
                  - { fault: truncated, latency: 10ms }
                  - { latency: 300ms }
                """);
        assertThat(script.perJob()).isTrue();
        assertThat(script.fallback()).isEqualTo(Fault.ok().latency(Duration.ofMillis(50), Duration.ofMillis(400)));
        assertThat(script.steps()).containsExactly(
                Fault.status(429).retryAfter(Duration.ofSeconds(2)),
                Fault.status(503),
                Fault.reset(),
                Fault.hang(),
                Fault.malformed(),
                Fault.invalidOutput(),
                Fault.proseOutput(),
                Fault.refusal(),
                Fault.truncated().latency(Duration.ofMillis(10)),
                Fault.ok().latency(Duration.ofMillis(300)));
        assertThat(script.steps().getFirst().retryAfter()).contains(Duration.ofSeconds(2));
    }

    @Test
    void oddAnswersAreScriptedWithJsonValues() {
        FaultScript script = parse("""
                steps:
                  - { usage: { input: -17, output: '1e308' } }
                  - { usage: { input: '"NaN"' } }
                  - { numbers: '1e308' }
                  - { numbers: -1e308 }
                  - { numbers: '"NaN"', latency: 5ms }
                  - { fault: refusal_with_content }
                  - { fault: empty_choices }
                  - { fault: cut_off }
                """);
        assertThat(script.steps()).containsExactly(
                Fault.ok().usage("-17", "1e308"),
                Fault.ok().usage("\"NaN\"", null),
                Fault.ok().numbers("1e308"),
                Fault.ok().numbers("-1e308"),
                Fault.ok().numbers("\"NaN\"").latency(Duration.ofMillis(5)),
                Fault.refusalWithContent(),
                Fault.emptyChoices(),
                Fault.cutOff());
        assertThat(script.steps().get(0).usage().orElseThrow().output().doubleValue()).isEqualTo(1e308);
        assertThat(script.steps().get(3).numbers().orElseThrow().doubleValue()).isEqualTo(-1e308);
    }

    @Test
    void aValueThatIsNotJsonTextIsRefusedSayingHowToQuoteAString() {
        assertThatThrownBy(() -> parse("steps:\n  - { numbers: NaN }\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("faults.yaml:2: steps[0].numbers: must be JSON text")
                .hasMessageContaining("'\"NaN\"'");
        assertThatThrownBy(() -> parse("steps:\n  - { usage: { prompt: 5 } }\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("steps[0].usage.prompt: unknown field");
    }

    @Test
    void emptyScriptAnswersEverythingCorrectly() {
        FaultScript script = parse("steps: []\n");
        assertThat(script).isEqualTo(FaultScript.none());
        assertThat(script.fallback().retryAfter()).isEqualTo(Optional.empty());
    }

    @Test
    void unknownFaultNameIsRefusedWithTheKnownNames() {
        assertThatThrownBy(() -> parse("""
                steps:
                  - { fault: reset }
                  - { fault: timeout }
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessage("faults.yaml:3: steps[1].fault: unknown fault 'timeout' "
                        + "(known: ok, hang, reset, malformed, invalid_output, prose_output, refusal, refusal_with_content, empty_choices, cut_off, truncated)");
    }

    @Test
    void statusAsAFaultNameSaysHowToWriteIt() {
        assertThatThrownBy(() -> parse("steps:\n  - { fault: status }\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("faults.yaml:2: steps[0].fault:")
                .hasMessageContaining("status: <code>");
    }

    @Test
    void unknownKeyInAStepIsRefused() {
        assertThatThrownBy(() -> parse("steps:\n  - { fault: hang, retry_afterr: 1s }\n"))
                .hasMessageStartingWith("faults.yaml:2: steps[0].retry_afterr: unknown field");
    }

    @Test
    void unknownTopLevelKeyIsRefused() {
        assertThatThrownBy(() -> parse("perjob: true\n")).hasMessageStartingWith("faults.yaml:1: perjob: unknown field");
    }

    @Test
    void badLatenciesAreRefused() {
        assertThatThrownBy(() -> parse("steps:\n  - { latency: 400ms..50ms }\n"))
                .hasMessage("faults.yaml:2: steps[0].latency: the range must go from low to high");
        assertThatThrownBy(() -> parse("steps:\n  - { latency: slow }\n"))
                .hasMessageContaining("steps[0].latency: must be a duration like 20ms or a range like 50ms..400ms");
    }

    @Test
    void statusOutsideHttpRangeIsRefused() {
        assertThatThrownBy(() -> parse("steps:\n  - { status: 42 }\n"))
                .hasMessage("faults.yaml:2: steps[0].status: must be between 100 and 599, got 42");
    }

    @Test
    void stepsMustBeAList() {
        assertThatThrownBy(() -> parse("steps: { fault: hang }\n")).hasMessage("faults.yaml:1: steps: must be a list");
    }

    @Test
    void readsAScriptFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("script.yaml");
        Files.writeString(file, "steps:\n  - { status: 500 }\n");
        assertThat(FaultScript.read(file)).isEqualTo(FaultScript.of(Fault.status(500)));
    }

    @Test
    void faultRefusesAnInvertedLatencyRange() {
        assertThatThrownBy(() -> Fault.ok().latency(Duration.ofMillis(10), Duration.ofMillis(5))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void describesWhatFollowsTheStepsByItsStatusNotItsKind() {
        assertThat(FaultScript.always(Fault.status(503)).describe()).isEqualTo("0 scripted steps, then status 503");
        assertThat(parse("""
                per_job: true
                default: { status: 429, retry_after: 2s, latency: 50ms..400ms }
                steps: [{ fault: reset }, { status: 500 }]
                """).describe()).isEqualTo("2 scripted steps per job, then status 429 with Retry-After 2s after 50ms..400ms");
        assertThat(FaultScript.of(Fault.hang()).describe()).isEqualTo("1 scripted step, then ok");
        assertThat(FaultScript.always(Fault.truncated().latency(Duration.ofMillis(20))).describe()).isEqualTo("0 scripted steps, then truncated after 20ms");
    }
}
