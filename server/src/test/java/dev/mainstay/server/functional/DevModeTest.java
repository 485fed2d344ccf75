package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.server.MainstayServer;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code ./mainstay up --dev}: an edited workflow or prompt is served, as it is saved, as a draft of
 * its version, marked dev in provenance; outside dev mode the edit is refused as ever; {@code
 * validate} says which files differ from their registered version. (What the banner says of the
 * drafts is {@code BannerTest}'s.)
 */
class DevModeTest {
    static final String KEY = TestNode.DEMO_KEY;

    @TempDir
    Path dir;
    FakeProvider fake;
    Path config;
    Path prompt;
    String original;

    @BeforeEach
    void files() throws Exception {
        fake = FakeProvider.start(FaultScript.none());
        config = TestNode.writeFiles(dir, fake, "2s", "1s");
        prompt = dir.resolve("workflows/prompts/echo.mustache");
        original = Files.readString(prompt);
    }

    @AfterEach
    void stopFake() {
        fake.close();
    }

    private MainstayServer start(boolean dev) {
        Map<String, String> env = new HashMap<>(TestNode.env(dir));
        return MainstayServer.start(ServerConfig.load(Optional.of(config), env), Clock.systemUTC(), dev);
    }

    private static JsonNode echoWorkflow(Http http) {
        for (JsonNode w : http.get("/v1/workflows", KEY).json().path("workflows")) {
            if (w.path("name").asString().equals("test/echo")) {
                return w;
            }
        }
        return null;
    }

    private static JsonNode run(Http http, String text) {
        Http.Response r = http.post("/v1/test/echo", KEY, "{\"text\": \"" + text + "\"}", "Prefer", "wait=30");
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    private Cli.Run validate() {
        return Cli.run("workflows", "validate", dir.resolve("workflows").toString(), "--config", config.toString(), "--data-dir", dir.resolve("var").toString());
    }

    @Test
    void anEditedPromptIsServedAsADraftMarkedDevAndRefusedOutsideDevMode() throws Exception {
        String registeredVersion;
        try (MainstayServer node = start(true)) {
            Http http = new Http(node.baseUrl());
            JsonNode first = run(http, "Before the edit.");
            registeredVersion = first.path("provenance").path("prompt_version").asString();
            assertThat(registeredVersion).startsWith("prompts/echo.mustache@").doesNotContain("+dev");
            assertThat(first.path("provenance").has("dev")).isFalse();

            Files.writeString(prompt, "Summarise in one line.\n<document>\n{{input.text}}\n</document>\n");
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> echoWorkflow(http).path("dev").asBoolean());
            JsonNode listed = echoWorkflow(http);
            assertThat(listed.path("version").asInt()).as("the same version").isEqualTo(1);
            String draftVersion = listed.path("stages").get(0).path("prompt_version").asString();
            assertThat(draftVersion).startsWith("prompts/echo.mustache@").contains("+dev.").isNotEqualTo(registeredVersion);

            fake.clearRequests();
            JsonNode second = run(http, "After the edit.");
            assertThat(second.path("workflow_version").asInt()).isEqualTo(1);
            assertThat(second.path("provenance").path("prompt_version").asString()).isEqualTo(draftVersion);
            assertThat(second.path("provenance").path("dev").asBoolean()).isTrue();
            assertThat(second.path("stages").get(0).path("provenance").path("dev").asBoolean()).isTrue();
            assertThat(fake.requests().getFirst().body().toString()).contains("Summarise in one line.");

            // A broken edit is reported and changes nothing: the last draft that loaded is still served.
            int reloads = node.lastReload().count();
            Files.writeString(prompt, "Summarise.\n<document>\n{{input.txt}}\n</document>\n");
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> node.lastReload().count() > reloads && node.lastReload().problem() != null);
            assertThat(node.lastReload().problem()).contains("echo.mustache:3: {{input.txt}}: input has no property 'txt'").contains("did you mean input.text?");
            assertThat(run(http, "Still the last draft.").path("provenance").path("prompt_version").asString()).isEqualTo(draftVersion);
        }

        Cli.Run broken = validate();
        assertThat(broken.code()).isEqualTo(2);
        assertThat(broken.err()).contains("{{input.txt}}");

        Files.writeString(prompt, "Summarise in one line.\n<document>\n{{input.text}}\n</document>\n");
        assertThatThrownBy(() -> start(false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("workflow test/echo version 1 is already registered with content hash")
                .hasMessageContaining("raise 'version:'");
        Cli.Run changed = validate();
        assertThat(changed.code()).as(changed.err()).isEqualTo(1);
        assertThat(changed.out()).contains("changed  test/echo v1 differs from its registered version (registered ")
                .contains("./mainstay up refuses it; raise 'version:' to publish the change, or try it as a draft with ./mainstay up --dev")
                .contains("changed  test/pipeline v1 differs from its registered version", "2 file(s) differ from their registered version")
                .as("test/pipeline uses the same prompt").doesNotContain("changed  briefs/");

        try (MainstayServer node = start(true)) {
            assertThat(node.workflows().drafts()).extracting(d -> d.name()).containsExactlyInAnyOrder("test/echo", "test/pipeline");
        }

        Files.writeString(prompt, original);
        Cli.Run matching = validate();
        assertThat(matching.code()).as(matching.out()).isZero();
        assertThat(matching.out()).contains("every registered version matches its file");
        try (MainstayServer node = start(false)) {
            assertThat(run(new Http(node.baseUrl()), "Back to the registered text.").path("provenance").path("prompt_version").asString()).isEqualTo(registeredVersion);
        }
    }

    @Test
    void aNewWorkflowFileIsServedWhenSavedAndStopsBeingServedWhenRemoved() throws Exception {
        try (MainstayServer node = start(true)) {
            Http http = new Http(node.baseUrl());
            Path added = dir.resolve("workflows/test/shout.yaml");
            Files.writeString(added, Files.readString(dir.resolve("workflows/test/echo.yaml")).replace("workflow: test/echo", "workflow: test/shout"));
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> http.post("/v1/test/shout", KEY, "{\"text\": \"hi\"}").status() == 202);
            assertThat(node.lastReload().changes()).extracting(Object::toString).anySatisfy(c -> assertThat(c).startsWith("test/shout v1 "));
            assertThat(node.workflows().drafts()).as("a version new to the store is registered, not a draft").isEmpty();

            Files.delete(added);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> http.post("/v1/test/shout", KEY, "{\"text\": \"hi\"}").status() == 404);
            assertThat(node.lastReload().changes()).extracting(Object::toString).containsExactly("test/shout v1 no longer served: no file declares it");
        }
    }
}
