package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import dev.mainstay.redaction.Mode;
import dev.mainstay.redaction.Redaction;
import dev.mainstay.redaction.RedactionPolicy;
import dev.mainstay.redaction.Redactor;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * What the model stage does with an answer: a model that copies its prompt's placeholders into a
 * JSON answer gets the values back exactly, whatever characters they hold (a private key's line
 * breaks, quotes and backslashes around them), and the same prompt always gets the same
 * placeholders, so a retry or another node restores the same way.
 */
class AnswerRestorationPropertiesTest {
    private static final Redactor TOKENIZE_ALL = Redactor.of(RedactionPolicy.all(Mode.TOKENIZE));
    private static final List<String> VALUES = List.of(
            "alice.smith+tag@example.co.uk", "+44 20 7946 0958", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32",
            "123-45-6789", "192.168.10.25", "2001:db8::8a2e:370:7334", "sk-proj-abcDEF1234567890ghijKLMNopqr",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "AKIAIOSFODNN7EXAMPLE",
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----");

    @Property(tries = 300)
    void aJsonAnswerEchoingThePromptRestoresToTheOriginalText(SeededRandom random) {
        String prompt = random.draw("prompt", AnswerRestorationPropertiesTest::prompt);
        Redaction<String> sent = TOKENIZE_ALL.redact(prompt);
        for (String value : VALUES) {
            assertThat(sent.value()).doesNotContain(value);
        }
        String answer = Json.write(Json.object().put("text", sent.value()).set("parts", Json.array().add(sent.value())));

        JsonNode restored = Json.parse(ModelStageExecutor.restore(answer, sent.vault()));

        assertThat(restored.path("text").asString()).isEqualTo(prompt);
        assertThat(restored.path("parts").get(0).asString()).isEqualTo(prompt);
        // A prose answer (not JSON) is restored as text.
        assertThat(ModelStageExecutor.restore("Here: " + sent.value(), sent.vault())).isEqualTo("Here: " + prompt);
    }

    @Property(tries = 300)
    void theSamePromptAlwaysGetsTheSamePlaceholders(SeededRandom random) {
        String prompt = random.draw("prompt", AnswerRestorationPropertiesTest::prompt);
        assertThat(TOKENIZE_ALL.redact(prompt).value()).isEqualTo(TOKENIZE_ALL.redact(prompt).value());
    }

    /** Filler with quotes, backslashes and line breaks, and the values between separators. */
    private static String prompt(SeededRandom random) {
        List<String> separators = List.of(" ", "\n", " \"", "\" ", ": ", " (", ") ");
        List<String> parts = random.list(0, 8, r -> r.nextBoolean()
                ? r.string(0, 12, "abc XYZ\"\\\n\t[]{}:,.é€")
                : r.pick(separators) + r.pick(VALUES) + r.pick(separators));
        return String.join(" ", parts);
    }
}
