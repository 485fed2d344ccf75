package dev.mainstay.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowLoader;
import dev.mainstay.workflow.WorkflowRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workflow versions registered in a real SQLite store, across restarts. */
class WorkflowRegistryTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Set<String> ROUTES = Set.of("primary");

    @TempDir
    Path dir;

    private Path workflow(String file, int version, String promptFile) throws IOException {
        Path p = dir.resolve("workflows").resolve(file);
        Files.createDirectories(p.getParent());
        Files.writeString(p, """
                workflow: team/feature
                version: %d
                input: { type: object, properties: { text: { type: string } } }
                stages:
                  - id: only
                    model: { prompt: %s, route: [primary] }
                    output: { schema: { type: object } }
                """.formatted(version, promptFile));
        return p;
    }

    private void prompt(String file, String text) throws IOException {
        Files.writeString(dir.resolve("workflows").resolve(file), text);
    }

    private SqliteStore open() {
        return SqliteStore.open(dir.resolve("mainstay.db"), SqliteStore.Durability.NORMAL);
    }

    @Test
    void changedPromptUnderAnExistingVersionIsRefusedAtTheNextStart() throws IOException {
        Path file = workflow("feature.yaml", 1, "p.mustache");
        prompt("p.mustache", "Say hello to {{input.text}}.");
        try (SqliteStore store = open()) {
            WorkflowRegistry.register(store, List.of(WorkflowLoader.loadFile(file, dir, ROUTES)), T0);
        }
        prompt("p.mustache", "Say goodbye to {{input.text}}.");
        try (SqliteStore store = open()) {
            WorkflowDefinition edited = WorkflowLoader.loadFile(file, dir, ROUTES);
            assertThatThrownBy(() -> WorkflowRegistry.register(store, List.of(edited), T0))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("feature.yaml")
                    .hasMessageContaining("team/feature version 1 is already registered")
                    .hasMessageContaining("raise 'version:'");
        }
    }

    @Test
    void theVersionOnRecordServesInsteadOfTheHighestAndKeepsServingThroughADevReload() throws IOException {
        Path v1 = workflow("feature.yaml", 1, "p.mustache");
        Path v2 = workflow("feature-v2.yaml", 2, "p.mustache");
        prompt("p.mustache", "Say hello to {{input.text}}.");
        try (SqliteStore store = open()) {
            WorkflowRegistry r = WorkflowRegistry.register(store, List.of(WorkflowLoader.loadFile(v1, dir, ROUTES), WorkflowLoader.loadFile(v2, dir, ROUTES)), T0, true);
            assertThat(r.active("team/feature").orElseThrow().version()).as("nothing on record: the highest loaded").isEqualTo(2);
            r.serve(java.util.Map.of("team/feature", 1, "team/gone", 1));
            assertThat(r.active("team/feature").orElseThrow().version()).isEqualTo(1);
            assertThat(r.all()).extracting(WorkflowDefinition::version).containsExactly(1);
            assertThat(r.newest("team/feature").orElseThrow().version()).isEqualTo(2);
            assertThat(r.loaded("team/feature")).extracting(WorkflowDefinition::version).containsExactly(1, 2);
            assertThat(r.active("team/gone")).as("a name no file declares is not served").isEmpty();

            // A dev-mode reload that brings v3 keeps serving the version on record until it says otherwise.
            Path v3 = workflow("feature-v3.yaml", 3, "p.mustache");
            r.reload(List.of(WorkflowLoader.loadFile(v1, dir, ROUTES), WorkflowLoader.loadFile(v2, dir, ROUTES), WorkflowLoader.loadFile(v3, dir, ROUTES)), T0);
            assertThat(r.active("team/feature").orElseThrow().version()).isEqualTo(1);
            assertThat(r.newest("team/feature").orElseThrow().version()).isEqualTo(3);
            r.serve(java.util.Map.of("team/feature", 3));
            assertThat(r.active("team/feature").orElseThrow().version()).isEqualTo(3);
        }
    }

    @Test
    void unchangedFilesRegisterAgainAfterARestart() throws IOException {
        Path file = workflow("feature.yaml", 1, "p.mustache");
        prompt("p.mustache", "Say hello to {{input.text}}.");
        for (int start = 0; start < 2; start++) {
            try (SqliteStore store = open()) {
                WorkflowRegistry r = WorkflowRegistry.register(store, List.of(WorkflowLoader.loadFile(file, dir, ROUTES)), T0);
                assertThat(r.active("team/feature")).hasValueSatisfying(d -> assertThat(d.version()).isEqualTo(1));
            }
        }
    }

    @Test
    void highestVersionIsActiveAndRetiredVersionsReadBackFromTheStore() throws IOException {
        Path v1 = workflow("v1.yaml", 1, "p1.mustache");
        prompt("p1.mustache", "Version one: {{input.text}}");
        WorkflowDefinition first = WorkflowLoader.loadFile(v1, dir, ROUTES);
        Path v2 = workflow("v2.yaml", 2, "p2.mustache");
        prompt("p2.mustache", "Version two: {{input.text}}");
        try (SqliteStore store = open()) {
            WorkflowRegistry r = WorkflowRegistry.register(store, List.of(first, WorkflowLoader.loadFile(v2, dir, ROUTES)), T0);
            assertThat(r.active("team/feature")).hasValueSatisfying(d -> assertThat(d.version()).isEqualTo(2));
            assertThat(r.all()).hasSize(1);
        }
        Files.delete(v1);
        try (SqliteStore store = open()) {
            WorkflowRegistry r = WorkflowRegistry.register(store, List.of(WorkflowLoader.loadFile(v2, dir, ROUTES)), T0);
            WorkflowDefinition pinned = r.version("team/feature", 1).orElseThrow();
            assertThat(pinned.contentHash()).isEqualTo(first.contentHash());
            assertThat(((ModelStage) pinned.stages().getFirst()).prompt().source()).isEqualTo("Version one: {{input.text}}");
            assertThat(r.version("team/feature", 3)).isEmpty();
            assertThat(r.active("other/feature")).isEmpty();
        }
    }

    @Test
    void devModeServesAnEditAsADraftOfItsVersionAndReportsOnlyWhatChanged() throws IOException {
        Path v1 = workflow("v1.yaml", 1, "p1.mustache");
        prompt("p1.mustache", "Version one: {{input.text}}");
        Path v2 = workflow("v2.yaml", 2, "p2.mustache");
        prompt("p2.mustache", "Version two: {{input.text}}");
        try (SqliteStore store = open()) {
            WorkflowDefinition registered = WorkflowLoader.loadFile(v2, dir, ROUTES);
            WorkflowRegistry r = WorkflowRegistry.register(store, List.of(WorkflowLoader.loadFile(v1, dir, ROUTES), registered), T0, true);
            assertThat(r.reload(List.of(WorkflowLoader.loadFile(v1, dir, ROUTES), WorkflowLoader.loadFile(v2, dir, ROUTES)), T0))
                    .as("nothing changed, the older version included").isEmpty();

            prompt("p2.mustache", "Version two, edited: {{input.text}}");
            WorkflowDefinition edited = WorkflowLoader.loadFile(v2, dir, ROUTES);
            List<WorkflowRegistry.Change> changes = r.reload(List.of(WorkflowLoader.loadFile(v1, dir, ROUTES), edited), T0);
            assertThat(changes).containsExactly(new WorkflowRegistry.Change("draft", "team/feature", 2, edited.contentHash(), registered.contentHash()));
            WorkflowDefinition served = r.active("team/feature").orElseThrow();
            assertThat(served.draft()).isTrue();
            assertThat(served.version()).isEqualTo(2);
            assertThat(((ModelStage) served.stages().getFirst()).prompt().version())
                    .endsWith("+dev." + dev.mainstay.ContentHash.shortForm(edited.contentHash()));
            assertThat(r.version("team/feature", 2)).as("jobs pinned to v2 run the draft").contains(served);
            assertThat(store.workflowDefinition("team/feature", 2)).as("the record keeps the registered content")
                    .contains(dev.mainstay.Json.canonical(registered.document()));

            prompt("p2.mustache", "Version two: {{input.text}}");
            assertThat(r.reload(List.of(WorkflowLoader.loadFile(v1, dir, ROUTES), WorkflowLoader.loadFile(v2, dir, ROUTES)), T0))
                    .containsExactly(new WorkflowRegistry.Change("served", "team/feature", 2, registered.contentHash(), null));
            assertThat(r.active("team/feature").orElseThrow().draft()).isFalse();
            assertThat(r.drafts()).isEmpty();
        }
        try (SqliteStore store = open()) {
            assertThatThrownBy(() -> WorkflowRegistry.register(store, List.of(WorkflowLoader.loadFile(v2, dir, ROUTES)), T0).reload(List.of(), T0))
                    .isInstanceOf(IllegalStateException.class);
        }
    }
}
