package dev.mainstay.server.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The OpenAPI document of the shipped example workflows, checked by Redocly's linter and by a TypeScript client generated from it. */
class OpenApiDocumentTest {
    private static List<WorkflowDefinition> workflows;

    @BeforeAll
    static void load() throws Exception {
        workflows = WorkflowLoader.load(Path.of("../examples/workflows").toAbsolutePath().normalize(), Set.of("primary", "small"));
        NodeTools.install();
    }

    @Test
    void oneOperationPerWorkflowWithItsInputAndOutputSchemas() {
        JsonNode doc = OpenApiDocument.build("0.1.0-test", "http://127.0.0.1:8080", workflows, true);
        for (WorkflowDefinition w : workflows) {
            String base = OpenApiDocument.typeName(w.name());
            JsonNode op = doc.path("paths").path(w.path()).path("post");
            assertThat(op.path("operationId").asString()).isEqualTo("submit" + base);
            assertThat(op.at("/requestBody/content/application~1json/schema/$ref").asString()).isEqualTo("#/components/schemas/" + base + "Input");
            assertThat(doc.at("/components/schemas/" + base + "Input/properties")).isEqualTo(w.input().node().get("properties"));
            assertThat(op.at("/responses/202/content/application~1json/schema/$ref").asString()).isEqualTo("#/components/schemas/" + base + "Job");
            assertThat(op.at("/requestBody/content/application~1json/examples/document/value").isObject()).isTrue();
            assertThat(w.input().validate(op.at("/requestBody/content/application~1json/examples/document/value"))).isEmpty();
        }
        assertThat(doc.at("/components/schemas/BriefsExtractKeyPointsOutput/required").toString()).contains("points");
        assertThat(doc.at("/components/parameters/IdempotencyKey/name").asString()).isEqualTo("Idempotency-Key");
        assertThat(doc.at("/components/responses/Problem429/headers/Retry-After/$ref").asString()).isEqualTo("#/components/headers/RetryAfter");
        assertThat(doc.at("/components/securitySchemes/apiKey/scheme").asString()).isEqualTo("bearer");
    }

    @Test
    void documentsOnlyTheWorkflowsItIsGiven() {
        List<WorkflowDefinition> one = workflows.stream().filter(w -> w.name().equals("leads/classify")).toList();
        JsonNode doc = OpenApiDocument.build("0.1.0-test", null, one, true);
        assertThat(doc.path("paths").has("/v1/leads/classify")).isTrue();
        assertThat(doc.path("paths").has("/v1/briefs/extract-key-points")).isFalse();
        assertThat(doc.path("components").path("schemas").has("BriefsExtractKeyPointsInput")).isFalse();
    }

    @Test
    void localReferencesOfAWorkflowSchemaPointIntoItsComponent() {
        JsonNode schema = Json.parse("""
                {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                 "properties": {"a": {"$ref": "#/$defs/thing"}}, "$defs": {"thing": {"type": "string"}}}""");
        JsonNode moved = OpenApiDocument.relocate(schema, "#/components/schemas/XInput");
        assertThat(moved.at("/properties/a/$ref").asString()).isEqualTo("#/components/schemas/XInput/$defs/thing");
        assertThat(moved.has("$schema")).isFalse();
        assertThat(schema.at("/properties/a/$ref").asString()).isEqualTo("#/$defs/thing");
    }

    @Test
    void passesRedoclyLint(@TempDir Path dir) throws Exception {
        ObjectNode doc = OpenApiDocument.build("0.1.0-test", "http://127.0.0.1:8080", workflows, true);
        Path file = dir.resolve("openapi.json");
        Files.writeString(file, Json.write(doc));
        NodeTools.Run lint = NodeTools.tool("redocly", "lint", "--format=stylish", file.toString());
        assertThat(lint.exit()).as(lint.output()).isZero();
        assertThat(lint.output()).doesNotContain("error");
    }

    @Test
    void aGeneratedTypeScriptClientCompiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("openapi.json");
        Files.writeString(file, Json.write(OpenApiDocument.build("0.1.0-test", null, workflows, true)));
        Files.createDirectories(NodeTools.DIR.resolve("generated"));
        NodeTools.Run gen = NodeTools.tool("openapi-typescript", file.toString(), "-o", NodeTools.DIR.resolve("generated/api.d.ts").toString());
        assertThat(gen.exit()).as(gen.output()).isZero();
        NodeTools.Run tsc = NodeTools.tool("tsc", "-p", "tsconfig.json");
        assertThat(tsc.exit()).as(tsc.output()).isZero();
        assertThat(NodeTools.DIR.resolve("build/submit.js")).exists();
    }

    @Test
    void theClientDoesNotCompileAgainstADocumentWithoutTheWorkflow(@TempDir Path dir) throws Exception {
        // The compile check can fail: without the workflow's operation the client names a path the types lack.
        Path file = dir.resolve("openapi.json");
        Files.writeString(file, Json.write(OpenApiDocument.build("0.1.0-test", null,
                workflows.stream().filter(w -> !w.name().equals("briefs/extract-key-points")).toList(), true)));
        Path out = dir.resolve("generated/api.d.ts");
        Files.createDirectories(out.getParent());
        NodeTools.Run gen = NodeTools.tool("openapi-typescript", file.toString(), "-o", out.toString());
        assertThat(gen.exit()).as(gen.output()).isZero();
        Path project = dir.resolve("tsconfig.json");
        Files.copy(NodeTools.DIR.resolve("submit.ts"), dir.resolve("submit.ts"));
        Files.writeString(project, Files.readString(NodeTools.DIR.resolve("tsconfig.json")));
        NodeTools.Run tsc = NodeTools.tool("tsc", "-p", project.toString());
        assertThat(tsc.exit()).isNotZero();
        assertThat(tsc.output()).contains("/v1/briefs/extract-key-points");
    }
}
