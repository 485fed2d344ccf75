package dev.mainstay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;

/** Log lines never show a secret shape or a configured provider key, in the message or the stack trace. */
class LogScrubberTest {
    @Test
    void secretsAndConfiguredKeysAreMaskedInMessagesAndStackTraces() {
        LogScrubber.install(List.of("local-gateway-key-0123", "x"));
        LogScrubber scrubber = new LogScrubber(new SimpleFormatter());
        LogRecord record = new LogRecord(Level.SEVERE, "provider said: Authorization: Bearer abcdefghijklmnopqrstuvwxyz123456");
        record.setThrown(new IllegalStateException("request failed with key local-gateway-key-0123 and sk-proj-abcDEF1234567890ghijKLMNopqr"));

        String line = scrubber.format(record);

        assertThat(line).doesNotContain("abcdefghijklmnopqrstuvwxyz123456", "local-gateway-key-0123", "sk-proj-abcDEF1234567890ghijKLMNopqr")
                .contains("[SECRET]", "IllegalStateException", "provider said");
        // A key too short to tell from a word is not masked: it would hide ordinary text.
        assertThat(LogScrubber.scrub("x marks the spot")).isEqualTo("x marks the spot");
    }
}
