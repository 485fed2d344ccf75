package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.Json;
import dev.mainstay.server.http.Route;
import dev.mainstay.server.stream.Browser;
import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.Cli;
import dev.mainstay.server.testing.Http;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.server.testing.TestNodeExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The OpenAPI document a live node serves, the client generated from it, the reference page and ./mainstay openapi. */
class OpenApiHttpTest {
    private static final String KEY = TestNode.DEMO_KEY;
    private static final Path CLIENTS = Path.of("src/test/clients").toAbsolutePath();

    @RegisterExtension
    static final TestNodeExtension node = TestNodeExtension.start();

    private static JsonNode document(String key) {
        Http.Response r = node.http.get("/v1/openapi.json", key);
        assertThat(r.status()).isEqualTo(200);
        return r.json();
    }

    @Test
    void aKeySeesTheWorkflowsItsRolesMayRunAndNoOthers() {
        JsonNode demo = document(KEY);
        assertThat(demo.path("openapi").asString()).isEqualTo("3.1.0");
        assertThat(demo.path("paths").has("/v1/test/echo")).isTrue();
        assertThat(demo.path("paths").has("/v1/briefs/extract-key-points")).isTrue();

        // support/draft-response may be run by the roles member and support_agent only.
        String agent = Accounts.create(node.http, "free", "support_agent");
        String nobody = Accounts.create(node.http, "free", "viewer");
        assertThat(document(agent).path("paths").has("/v1/support/draft-response")).isTrue();
        JsonNode none = document(nobody);
        assertThat(none.path("paths").has("/v1/support/draft-response")).isFalse();
        assertThat(none.path("components").path("schemas").has("SupportDraftResponseInput")).isFalse();
        assertThat(none.path("paths").has("/v1/test/echo")).isTrue();

        JsonNode anonymous = document(null);
        assertThat(anonymous.path("paths").has("/v1/test/echo")).isFalse();
        assertThat(anonymous.path("paths").has("/v1/jobs/{id}")).isTrue();
        assertThat(node.http.get("/v1/openapi.json", "ms_live_notakey0000000000000000000000").status()).isEqualTo(401);
    }

    @Test
    void everyRouteOfTheNodeIsInTheDocument() {
        JsonNode doc = document(KEY);
        List<String> missing = new ArrayList<>();
        for (Route r : node.server().routes().routes()) {
            if (r.path().equals("/v1/{workflow}") || r.path().equals("/docs") || r.path().startsWith("/docs/")) {
                continue; // the workflows have a path each; the reference page is HTML
            }
            if (!doc.path("paths").path(r.path()).has(r.method().toLowerCase(java.util.Locale.ROOT))) {
                missing.add(r.toString());
            }
        }
        assertThat(missing).as("routes the OpenAPI document leaves out").isEmpty();
    }

    @Test
    void aTypeScriptClientGeneratedFromTheLiveDocumentCompilesAndSubmitsAJob() throws Exception {
        install();
        Path spec = Files.createTempFile("mainstay-openapi", ".json");
        try {
            Files.writeString(spec, node.http.get("/v1/openapi.json", KEY).text());
            Result lint = run(List.of(CLIENTS.resolve("node_modules/.bin/redocly").toString(), "lint", spec.toString()));
            assertThat(lint.exit()).as(lint.output()).isZero();
            Files.createDirectories(CLIENTS.resolve("generated"));
            Result gen = run(List.of(CLIENTS.resolve("node_modules/.bin/openapi-typescript").toString(), spec.toString(), "-o",
                    CLIENTS.resolve("generated/api.d.ts").toString()));
            assertThat(gen.exit()).as(gen.output()).isZero();
            Result tsc = run(List.of(CLIENTS.resolve("node_modules/.bin/tsc").toString(), "-p", "tsconfig.json"));
            assertThat(tsc.exit()).as(tsc.output()).isZero();
            Result submit = run(List.of("node", "build/submit.js", node.server().baseUrl().toString().replaceAll("/$", ""), KEY));
            assertThat(submit.exit()).as(submit.output()).isZero();
            JsonNode printed = Json.parse(submit.output().strip().lines().reduce((a, b) -> b).orElseThrow());
            assertThat(printed.path("http").asInt()).isIn(200, 202);
            String id = printed.path("id").asString();
            assertThat(node.awaitTerminal(id).path("status").asString()).isEqualTo("completed");
            assertThat(node.http.get("/v1/jobs/" + id, KEY).json().path("idempotency_key").asString()).isEqualTo("typed-client-1");
        } finally {
            Files.deleteIfExists(spec);
        }
    }

    @Test
    void theReferencePageShowsTheDocumentInAHeadlessBrowserAndTheKeysWorkflows() throws Exception {
        Http.Response page = node.http.get("/docs", null);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.header("Content-Security-Policy")).contains("script-src 'self'").doesNotContain("http");
        assertThat(node.http.get("/docs/swagger-ui-bundle.js", null).status()).isEqualTo(200);
        try (Browser browser = Browser.start()) {
            browser.open(node.server().baseUrl().resolve("/docs").toString());
            await().atMost(Duration.ofSeconds(30)).until(() -> browser.pageText().contains("/v1/jobs/{id}/cancel"));
            assertThat(browser.pageText()).doesNotContain("/v1/test/echo");
            browser.run("sessionStorage.setItem('mainstay-key', arguments[0]); location.reload();", KEY);
            await().atMost(Duration.ofSeconds(30)).until(() -> browser.pageText().contains("/v1/test/echo"));
        }
    }

    @Test
    void theCommandPrintsTheDocumentOfEveryConfiguredWorkflow(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("mainstay.yaml");
        Files.writeString(config, Files.readString(node.dir().resolve("mainstay.yaml"))
                + "\nworkflows: [" + node.dir().resolve("workflows") + "]\n");
        Cli.Run run = Cli.run("openapi", "--config", config.toString(), "--server", "http://127.0.0.1:8080");
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode doc = Json.parse(run.out());
        assertThat(doc.path("servers").get(0).path("url").asString()).isEqualTo("http://127.0.0.1:8080");
        assertThat(doc.path("paths").has("/v1/support/draft-response")).isTrue();
        assertThat(doc.path("paths").has("/v1/test/pipeline")).isTrue();
    }

    record Result(int exit, String output) {
    }

    private static void install() throws IOException, InterruptedException {
        if (!Files.isExecutable(CLIENTS.resolve("node_modules/.bin/tsc")) || !Files.isExecutable(CLIENTS.resolve("node_modules/.bin/redocly"))) {
            Result r = run(List.of("npm", "ci", "--no-audit", "--no-fund"));
            assertThat(r.exit()).as(r.output()).isZero();
        }
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("mainstay-node", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(CLIENTS.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not end in 300 s: " + Files.readString(log));
            }
            return new Result(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
