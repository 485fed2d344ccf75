package dev.mainstay.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code ./mainstay up} prints once the node is ready: in dev mode, each draft it serves. */
class BannerTest {
    @TempDir
    Path dir;

    private static String banner(MainstayServer node) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Banner.print(node, Duration.ofMillis(1), new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void inDevModeTheBannerNamesEveryDraftAndOutsideItNone() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            Path config = TestNode.writeFiles(dir, fake, "2s", "1s");
            Map<String, String> env = TestNode.env(dir);
            try (MainstayServer node = MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC())) {
                assertThat(banner(node)).contains("  workflows  ").doesNotContain("dev mode").doesNotContain("draft ");
            }
            // Both test workflows use this prompt: both become drafts of their version 1.
            Files.writeString(dir.resolve("workflows/prompts/echo.mustache"), "Summarise in one line.\n<document>\n{{input.text}}\n</document>\n");
            try (MainstayServer node = MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC(), true)) {
                assertThat(banner(node)).contains("  dev mode   ").contains("draft test/echo v1 ", "draft test/pipeline v1 ").doesNotContain("draft briefs/");
            }
        }
    }
}
