package dev.mainstay.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.config.YamlDocument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several workflow directories, symbolic links, and files that are not workflows. */
class WorkflowLoaderTest {
    private static final Set<String> ROUTES = Set.of("primary");

    @TempDir
    Path dir;

    private static String workflow(String name) {
        return """
                workflow: %s
                version: 1
                input: { type: object, properties: { text: { type: string } } }
                stages:
                  - id: only
                    model: { prompt: prompts/p.mustache, route: [primary] }
                    output: { schema: { type: object } }
                """.formatted(name);
    }

    private Path tree(String name, String... workflows) throws IOException {
        Path root = Files.createDirectories(dir.resolve(name));
        Files.createDirectories(root.resolve("prompts"));
        Files.writeString(root.resolve("prompts/p.mustache"), "<text>{{input.text}}</text>");
        for (String w : workflows) {
            Path file = root.resolve(w + ".yaml");
            Files.createDirectories(file.getParent());
            Files.writeString(file, workflow(w));
        }
        return root;
    }

    private static List<String> names(WorkflowLoader.Loaded loaded) {
        return loaded.definitions().stream().map(WorkflowDefinition::name).toList();
    }

    @Test
    void severalDirectoriesAreReadInOrderAndTheirPromptsResolveUnderTheirOwnRoot() throws IOException {
        Path shipped = tree("shipped", "briefs/one", "leads/two");
        Path mine = tree("mine", "meetings/three");
        Files.writeString(mine.resolve("prompts/p.mustache"), "Mine: <text>{{input.text}}</text>");
        WorkflowLoader.Loaded loaded = WorkflowLoader.scan(List.of(shipped, mine), ROUTES);
        assertThat(names(loaded)).containsExactly("briefs/one", "leads/two", "meetings/three");
        assertThat(((ModelStage) loaded.definitions().get(2).stages().getFirst()).prompt().source()).startsWith("Mine:");
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void theSameVersionInTwoDirectoriesIsRefusedNamingBoth() throws IOException {
        Path a = tree("a", "team/same");
        Path b = tree("b", "team/same");
        assertThatThrownBy(() -> WorkflowLoader.scan(List.of(a, b), ROUTES))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("team/same version 1 is also declared in")
                .hasMessageContaining("a/team/same.yaml");
    }

    @Test
    void aMissingDirectoryOfTheListIsNamed() throws IOException {
        Path a = tree("a", "team/one");
        assertThatThrownBy(() -> WorkflowLoader.scan(List.of(a, dir.resolve("nope")), ROUTES))
                .hasMessageEndingWith("nope: workflow directory does not exist");
    }

    @Test
    void aSymlinkedSubdirectoryIsFollowedAndALinkLoopIsReportedNotFollowed() throws IOException {
        Path root = tree("root", "team/one");
        Path elsewhere = tree("elsewhere", "shared/two");
        Files.createSymbolicLink(root.resolve("shared"), elsewhere);
        Files.createSymbolicLink(root.resolve("team/loop"), root);
        WorkflowLoader.Loaded loaded = WorkflowLoader.scan(List.of(root), ROUTES);
        assertThat(names(loaded)).containsExactlyInAnyOrder("team/one", "shared/two");
        assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w).endsWith("team/loop: a symbolic link back to a directory that contains it; not followed"));
    }

    @Test
    void aFileReachedTwiceIsReadOnce() throws IOException {
        Path root = tree("root", "team/one");
        Files.createSymbolicLink(root.resolve("alias"), root.resolve("team"));
        WorkflowLoader.Loaded loaded = WorkflowLoader.scan(List.of(root, root.resolve("team")), ROUTES);
        assertThat(names(loaded)).containsExactly("team/one");
        assertThat(loaded.warnings()).hasSize(2).allSatisfy(w -> assertThat(w).contains("one.yaml: the same file as ").endsWith("one.yaml; read once"));
    }

    @Test
    void filesThatAreNotWorkflowsArePassedOverWithAWarningNamingThem() throws IOException {
        Path root = tree("root", "team/one");
        Files.writeString(root.resolve("mainstay.yaml"), "providers:\n  fake: { kind: openai, base_url: http://127.0.0.1:9/v1 }\nroutes:\n  primary: [fake/m]\n");
        Files.writeString(root.resolve("faults.yml"), "steps:\n  - { status: 503 }\n");
        Files.writeString(root.resolve("README.md"), "# My workflows\n");
        Files.writeString(root.resolve("prompts/unused.mustache"), "nobody uses me");
        Files.writeString(root.resolve(".editor-swap.yaml"), "not: [valid");
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config.yaml"), "{ broken");
        WorkflowLoader.Loaded loaded = WorkflowLoader.scan(List.of(root), ROUTES);
        assertThat(names(loaded)).containsExactly("team/one");
        assertThat(loaded.warnings()).hasSize(4).anySatisfy(w -> assertThat(w).endsWith("root/mainstay.yaml: not a workflow (no 'workflow:' key at the top level); ignored"))
                .anySatisfy(w -> assertThat(w).endsWith("root/faults.yml: not a workflow (no 'workflow:' key at the top level); ignored"))
                .anySatisfy(w -> assertThat(w).endsWith("root/README.md: not a workflow (only *.yaml and *.yml files are) and no workflow uses it as a prompt or an eval suite; ignored"))
                .anySatisfy(w -> assertThat(w).endsWith("root/prompts/unused.mustache: not a workflow (only *.yaml and *.yml files are) and no workflow uses it as a prompt or an eval suite; ignored"));
    }

    @Test
    void aWorkflowWhoseNameKeyHasATypoIsStillReadAndRefused() throws IOException {
        Path root = tree("root");
        Files.writeString(root.resolve("typo.yaml"), workflow("team/typo").replace("workflow:", "worklfow:"));
        assertThatThrownBy(() -> WorkflowLoader.scan(List.of(root), ROUTES))
                .hasMessageContaining("typo.yaml:1: worklfow: unknown field");
    }

    @Test
    void theSuiteFilesAWorkflowNamesResolveBesideItAndDrawNoWarning() throws IOException {
        Path root = tree("root");
        Files.createDirectories(root.resolve("team/evals"));
        // The suite file sorts before the workflow: whether it is used is known only once every workflow is read.
        Files.writeString(root.resolve("team/evals/a-suite.yaml"), "suite: a\nthreshold: 1\ncases: []\n");
        Files.writeString(root.resolve("team/evals/b.jsonl"), "{\"suite\": \"b\"}\n");
        Files.writeString(root.resolve("team/one.yaml"), workflow("team/one") + "evals: [evals/a-suite.yaml, evals/b.jsonl]\n");
        Files.writeString(root.resolve("team/evals/unused.yaml"), "suite: c\n");
        WorkflowLoader.Loaded loaded = WorkflowLoader.scan(List.of(root), ROUTES);
        WorkflowDefinition d = loaded.definitions().getFirst();
        assertThat(d.evals()).extracting(SuiteReference::path).containsExactly("evals/a-suite.yaml", "evals/b.jsonl");
        assertThat(d.evals().get(1).file()).isEqualTo(root.resolve("team/evals/b.jsonl").toAbsolutePath().normalize());
        assertThat(d.evals().get(1).jsonLines()).isTrue();
        assertThat(d.evals().getFirst().where()).endsWith("one.yaml:8");
        assertThat(loaded.warnings()).singleElement().satisfies(w -> assertThat(w).endsWith("team/evals/unused.yaml: not a workflow (no 'workflow:' key at the top level); ignored"));
    }

    @Test
    void anActivationGateIsReadAndChangesNeitherTheContentHashNorTheStoredDocument() throws IOException {
        Path root = tree("root", "team/one");
        Files.writeString(root.resolve("team/s.yaml"), "suite: s\n");
        Files.writeString(root.resolve("team/one.yaml"), workflow("team/one") + "evals: s.yaml\n");
        WorkflowDefinition without = WorkflowLoader.scan(List.of(root), ROUTES).definitions().getFirst();
        Files.writeString(root.resolve("team/one.yaml"), workflow("team/one") + "evals: s.yaml\nactivation: { suite: s, min_score: 0.9, max_regression: 0.02 }\n");
        WorkflowDefinition with = WorkflowLoader.scan(List.of(root), ROUTES).definitions().getFirst();
        assertThat(with.activation()).contains(new Activation("s", new java.math.BigDecimal("0.9"), new java.math.BigDecimal("0.02")));
        assertThat(without.activation()).isEmpty();
        assertThat(with.contentHash()).isEqualTo(without.contentHash());
        assertThat(with.document()).isEqualTo(without.document());

        Files.writeString(root.resolve("team/one.yaml"), workflow("team/one") + "evals: s.yaml\nactivation: { suite: s, min_score: 0.9 }\n");
        assertThat(WorkflowLoader.scan(List.of(root), ROUTES).definitions().getFirst().activation().orElseThrow().maxRegression()).isZero();
    }

    @Test
    void aBrokenActivationGateIsRefusedNamingItsField() throws IOException {
        Path root = tree("root", "team/one");
        Files.writeString(root.resolve("team/s.yaml"), "suite: s\n");
        Files.writeString(root.resolve("team/one.yaml"), workflow("team/one") + "evals: s.yaml\nactivation: { suite: s, min_score: 1.5 }\n");
        assertThatThrownBy(() -> WorkflowLoader.scan(List.of(root), ROUTES)).hasMessageContaining("one.yaml:9: activation.min_score: must be a number from 0 to 1, got 1.5");
        Files.writeString(root.resolve("team/one.yaml"), workflow("team/one") + "evals: s.yaml\nactivation: { suite: s }\n");
        assertThatThrownBy(() -> WorkflowLoader.scan(List.of(root), ROUTES)).hasMessageContaining("activation.min_score: is required");
        Files.writeString(root.resolve("team/one.yaml"), workflow("team/one") + "evals: s.yaml\nactivation: { suite: s, min_score: 0.9, max_regresion: 0.1 }\n");
        assertThatThrownBy(() -> WorkflowLoader.scan(List.of(root), ROUTES)).hasMessageContaining("max_regresion");
        Files.writeString(root.resolve("team/one.yaml"), workflow("team/one") + "activation: { suite: s, min_score: 0.9 }\n");
        assertThatThrownBy(() -> WorkflowLoader.scan(List.of(root), ROUTES)).hasMessageContaining("activation.suite: names suite 's', but the workflow names no suite file in evals:");
    }

    @Test
    void namingSuitesChangesNeitherTheContentHashNorTheStoredDocument() throws IOException {
        Path root = tree("root", "team/one");
        WorkflowDefinition without = WorkflowLoader.scan(List.of(root), ROUTES).definitions().getFirst();
        Files.writeString(root.resolve("team/s.yaml"), "suite: s\n");
        Files.writeString(root.resolve("team/one.yaml"), workflow("team/one") + "evals: s.yaml\n");
        WorkflowDefinition with = WorkflowLoader.scan(List.of(root), ROUTES).definitions().getFirst();
        assertThat(with.evals()).hasSize(1);
        assertThat(with.contentHash()).as("a suite measures a version, it is no part of it").isEqualTo(without.contentHash());
        assertThat(with.document().has("evals")).isFalse();
        assertThat(WorkflowDefinition.fromStored(dev.mainstay.Json.write(with.document()), "stored").evals()).isEmpty();
    }

    @Test
    void aDefinitionNotReadFromAFileCannotNameSuites() {
        YamlDocument doc = YamlDocument.parse(workflow("team/one") + "evals: s.yaml\n", "inline.yaml");
        assertThatThrownBy(() -> WorkflowDefinition.parse(doc, (pointer, name) -> "<text>{{input.text}}</text>", Set.of()))
                .hasMessage("inline.yaml:8: evals: eval suites are read from files beside a workflow file, and this definition was not read from one");
    }
}
