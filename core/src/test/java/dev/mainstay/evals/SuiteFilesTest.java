package dev.mainstay.evals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;

/** Suite files in YAML and JSON Lines: what they declare, and errors that name file, line and field. */
class SuiteFilesTest {
    private static final Set<String> ROUTES = Set.of("primary", "judge");

    @TempDir
    Path dir;

    private static String workflow(int version, String evals) {
        return """
                workflow: team/demo
                version: %d
                input:
                  type: object
                  required: [text]
                  additionalProperties: false
                  properties:
                    text: { type: string, minLength: 1 }
                    max: { type: integer, default: 3 }
                stages:
                  - id: only
                    model: { prompt: p.mustache, route: [primary] }
                    output:
                      schema:
                        type: object
                        required: [label]
                        additionalProperties: false
                        properties:
                          label: { type: string }
                          score: { type: number }
                          tags: { type: array, items: { type: string } }
                evals: %s
                """.formatted(version, evals);
    }

    private static final String SUITE = """
            suite: demo-suite
            description: A suite for tests.
            threshold: 0.8
            gate: true
            scorers:
              - schema_valid
              - equals: { field: label }
                weight: 2
              - overlap: { field: tags, metric: recall }
                pass: 0.5
                name: tags recalled
            cases:
              - id: first
                input: { text: hello }
                expected: { label: greeting, tags: [a, b] }
                tags: [smoke]
              - id: refused
                input: { text: "" }
                expect:
                  - status: [rejected]
              - id: own-only
                input: { text: bye }
                expect:
                  - contains: { field: label, value: bye }
            """;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    private EvalSuites load() {
        return EvalSuites.load(WorkflowLoader.scan(List.of(dir), ROUTES).definitions(), ROUTES);
    }

    private void setUp(String evals, String suiteName, String suite) throws IOException {
        write("p.mustache", "<text>{{input.text}}</text>");
        write("demo.yaml", workflow(1, evals));
        write(suiteName, suite);
    }

    /** The message of the error that loading the directory fails with. */
    private String refusal() {
        try {
            load();
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("loading was expected to fail");
    }

    @Test
    void aYamlSuiteDeclaresItsScorersWeightsThresholdAndCases() throws IOException {
        setUp("[demo.evals.yaml]", "demo.evals.yaml", SUITE);
        EvalSuites suites = load();
        EvalSuite suite = suites.suite("demo-suite").orElseThrow();
        assertThat(suites.of("team/demo", 1)).containsExactly(suite);
        assertThat(suite.source()).endsWith("demo.evals.yaml");
        assertThat(suite.threshold()).isEqualTo(0.8);
        assertThat(suite.gate()).isTrue();
        assertThat(suite.scorers()).extracting(WeightedScorer::name).containsExactly("schema_valid", "equals /label", "tags recalled");
        assertThat(suite.scorers()).extracting(WeightedScorer::weight).containsExactly(1.0, 2.0, 1.0);
        assertThat(suite.scorers()).extracting(WeightedScorer::pass).containsExactly(1.0, 1.0, 0.5);
        assertThat(suite.cases()).extracting(EvalCase::id).containsExactly("first", "refused", "own-only");
        EvalCase first = suite.kase("first").orElseThrow();
        assertThat(first.where()).endsWith("demo.evals.yaml:13");
        assertThat(first.tags()).containsExactly("smoke");
        assertThat(first.expected().path("label").asString()).isEqualTo("greeting");
        assertThat(suite.contentHash()).hasSize(64);
        assertThat(suites.caseCount()).isEqualTo(3);
    }

    @Test
    void aCaseThatExpectsNoResultIsNotJudgedByTheSuitesScorersOfTheResult() throws IOException {
        setUp("[demo.evals.yaml]", "demo.evals.yaml", SUITE.replace("  - overlap", "  - latency: { max: 5s }\n  - overlap"));
        EvalSuite suite = load().suite("demo-suite").orElseThrow();
        assertThat(suite.scorersFor(suite.kase("refused").orElseThrow())).extracting(WeightedScorer::name).containsExactly("latency", "status");
        assertThat(suite.scorersFor(suite.kase("own-only").orElseThrow())).extracting(WeightedScorer::name)
                .containsExactly("schema_valid", "equals /label", "latency", "tags recalled", "contains /label");
    }

    @Test
    void aJsonLinesSuiteHasItsHeaderOnTheFirstLineAndACaseOnEachAfterIt() throws IOException {
        setUp("demo.regressions.jsonl", "demo.regressions.jsonl", """
                {"suite": "demo-regressions", "threshold": 1, "scorers": ["schema_valid", {"equals": {"field": "label"}}]}

                {"id": "r1", "input": {"text": "one"}, "expected": {"label": "x"}}
                {"id": "r2", "input": {"text": "two"}, "expected": {"label": "y"}, "tags": ["prod"]}
                """);
        EvalSuite suite = load().suite("demo-regressions").orElseThrow();
        assertThat(suite.cases()).extracting(EvalCase::id).containsExactly("r1", "r2");
        assertThat(suite.kase("r2").orElseThrow().where()).endsWith("demo.regressions.jsonl:4");
        assertThat(suite.gate()).isFalse();
    }

    static Stream<Arguments> jsonLinesErrors() {
        return Stream.of(
                Arguments.of("bad JSON on a line", "{\"id\": \"r2\", \"input\": {\"text\": \"two\"}", "demo.regressions.jsonl:3: not valid JSON"),
                Arguments.of("two values on a line", "{\"id\": \"r2\", \"input\": {\"text\": \"a\"}} {\"id\": \"r3\"}", "demo.regressions.jsonl:3: more than one JSON value on the line"),
                Arguments.of("a case field misspelt", "{\"id\": \"r2\", \"inptu\": {\"text\": \"a\"}}", "demo.regressions.jsonl:3: inptu: unknown field"),
                Arguments.of("a case input refused", "{\"id\": \"r2\", \"input\": {\"text\": 7}}", "demo.regressions.jsonl:3: input.text: does not satisfy the input schema of team/demo v1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonLinesErrors")
    void jsonLinesErrorsNameTheLine(String what, String line, String message) throws IOException {
        setUp("demo.regressions.jsonl", "demo.regressions.jsonl", """
                {"suite": "demo-regressions", "threshold": 1, "scorers": ["schema_valid"]}
                {"id": "r1", "input": {"text": "one"}}
                %s
                """.formatted(line));
        assertThat(refusal()).contains(message);
    }

    @Test
    void aJsonLinesSuiteWithoutItsHeaderIsRefused() throws IOException {
        setUp("demo.regressions.jsonl", "demo.regressions.jsonl", "{\"id\": \"r1\", \"input\": {\"text\": \"one\"}}\n");
        assertThat(refusal()).contains("demo.regressions.jsonl:1: (document): the first line of a JSON Lines suite is its header");
    }

    static Stream<Arguments> scorerErrors() {
        return Stream.of(
                Arguments.of("unknown scorer", "  - equal: { field: label }", "demo.evals.yaml:5: scorers[0].equal: unknown field"),
                Arguments.of("two scorers in one entry", "  - { equals: { field: label }, regex: { field: label, pattern: a } }", "demo.evals.yaml:5: scorers[0]: names 2 scorers (equals, regex)"),
                Arguments.of("a field the output lacks", "  - equals: { field: lable }", "demo.evals.yaml:5: scorers[0].equals.field: the output of team/demo v1 has no field 'lable' (its fields: label, score, tags)"),
                Arguments.of("a pointer into a string", "  - equals: { pointer: /label/first }", "scorers[0].equals.pointer: the output of team/demo v1 holds a string at /label, which has no 'first'"),
                Arguments.of("a pointer without slash", "  - equals: { pointer: label }", "scorers[0].equals.pointer: a JSON Pointer starts with '/', e.g. /label (or write field: label)"),
                Arguments.of("field and pointer", "  - equals: { field: label, pointer: /label }", "scorers[0].equals: takes field: or pointer:, not both"),
                Arguments.of("a bad regular expression", "  - regex: { field: label, pattern: \"(unclosed\" }", "scorers[0].regex.pattern: not a valid regular expression: Unclosed group"),
                Arguments.of("a bad CEL assertion", "  - cel: \"output.label ==\"", "demo.evals.yaml:5: scorers[0].cel: not a valid CEL expression"),
                Arguments.of("a scorer without params", "  - equals", "scorers[0]: scorer 'equals' needs parameters, e.g. {equals: {field: segment}}"),
                Arguments.of("an unknown status", "  - status: [done]", "scorers[0].status[0]: 'done' is not a state a case can end in"),
                Arguments.of("an unknown error code", "  - error_code: oops", "scorers[0].error_code: 'oops' is not an error code of Mainstay"),
                Arguments.of("a bad result type", "  - result_type: [partial]", "scorers[0].result_type[0]: must be full, draft or fallback, got 'partial'"),
                Arguments.of("a bad latency", "  - latency: { max: soon }", "scorers[0].latency.max: must be a duration like 500ms"),
                Arguments.of("a negative cost", "  - cost: { max_usd: \"-1\" }", "scorers[0].cost.max_usd: an amount cannot be negative"),
                Arguments.of("a zero weight", "  - { schema_valid: {}, weight: 0 }", "scorers[0].weight: must be a number above zero, got 0.0"),
                Arguments.of("a pass mark above one", "  - { schema_valid: {}, pass: 2 }", "scorers[0].pass: must be from 0 to 1, got 2"),
                Arguments.of("an empty text to contain", "  - contains: { value: \"\" }", "scorers[0].contains.value: must not be empty"),
                Arguments.of("value and bounds", "  - numeric: { field: score, value: 1, min: 0 }", "scorers[0].numeric: takes value: (with tolerance:) or min: and max:, not both"),
                Arguments.of("an unknown metric", "  - overlap: { field: tags, metric: accuracy }", "scorers[0].overlap.metric: must be f1, precision or recall, got 'accuracy'"),
                Arguments.of("an unknown judge route", "  - model_graded: { rubric: Polite., route: fast }", "scorers[0].model_graded.route: unknown route 'fast' (configured routes: judge, primary)"),
                Arguments.of("a judge scale too large", "  - model_graded: { rubric: Polite., route: judge, scale: 11 }", "scorers[0].model_graded.scale: must be between 2 and 10, got 11"),
                Arguments.of("two scorers, one name", "  - { schema_valid: {}, name: x }\n  - { equals: { field: label, value: a }, name: x }", "scorers[1]: another scorer here is also named 'x'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scorerErrors")
    void scorerErrorsNameFileLineAndField(String what, String scorer, String message) throws IOException {
        setUp("[demo.evals.yaml]", "demo.evals.yaml", """
                suite: demo-suite
                threshold: 0.9
                # the scorer under test
                scorers:
                %s
                cases:
                  - id: first
                    input: { text: hello }
                    expected: { label: greeting }
                """.formatted(scorer.replace("\\n", "\n")));
        assertThat(refusal()).contains(message);
    }

    static Stream<Arguments> suiteErrors() {
        return Stream.of(
                Arguments.of("no threshold", "suite: s\ncases: [{id: a, input: {text: x}, expect: [schema_valid]}]", "demo.evals.yaml:1: threshold: is required"),
                Arguments.of("threshold above one", "suite: s\nthreshold: 1.5\ncases: [{id: a, input: {text: x}, expect: [schema_valid]}]", "demo.evals.yaml:2: threshold: must be from 0 to 1, got 1.5"),
                Arguments.of("a bad suite name", "suite: My Suite\nthreshold: 1\ncases: [{id: a, input: {text: x}, expect: [schema_valid]}]", "demo.evals.yaml:1: suite: must be lowercase letters"),
                Arguments.of("no cases", "suite: s\nthreshold: 1\ncases: []", "demo.evals.yaml:3: cases: needs at least one case"),
                Arguments.of("an unknown top-level key", "suite: s\nthreshold: 1\nscorer: [schema_valid]\ncases: [{id: a, input: {text: x}}]", "demo.evals.yaml:3: scorer: unknown field"),
                Arguments.of("a duplicate case id", "suite: s\nthreshold: 1\ncases:\n  - {id: a, input: {text: x}, expect: [schema_valid]}\n  - {id: a, input: {text: y}, expect: [schema_valid]}", "demo.evals.yaml:5: cases[1].id: case id 'a' is also used at"),
                Arguments.of("a bad case id", "suite: s\nthreshold: 1\ncases: [{id: \"a b\", input: {text: x}, expect: [schema_valid]}]", "cases[0].id: must be letters, digits"),
                Arguments.of("a case without input", "suite: s\nthreshold: 1\ncases: [{id: a, expect: [schema_valid]}]", "cases[0].input: is required"),
                Arguments.of("input against the schema", "suite: s\nthreshold: 1\ncases: [{id: a, input: {text: x, colour: red}, expect: [schema_valid]}]", "demo.evals.yaml:3: cases[0].input.colour: does not satisfy the input schema of team/demo v1"),
                Arguments.of("no scorer applies", "suite: s\nthreshold: 1\nscorers: [{equals: {field: label}}]\ncases:\n  - {id: a, input: {text: x}}", "demo.evals.yaml:5: cases[0]: no scorer applies to case 'a'"),
                Arguments.of("a name shared with suite", "suite: s\nthreshold: 1\nscorers: [schema_valid]\ncases: [{id: a, input: {text: x}, expect: [schema_valid]}]", "cases[0].expect[0]: case 'a' has a scorer named 'schema_valid' as the suite does"),
                Arguments.of("gate on a judge alone", "suite: s\nthreshold: 1\ngate: true\ncases: [{id: a, input: {text: x}, expect: [{model_graded: {rubric: r, route: judge}}]}]", "cases[0]: case 'a' of a gating suite is judged by a model-graded scorer alone"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suiteErrors")
    void suiteAndCaseErrorsNameFileLineAndField(String what, String suite, String message) throws IOException {
        setUp("[demo.evals.yaml]", "demo.evals.yaml", suite.replace("\\n", "\n") + "\n");
        assertThat(refusal()).contains(message);
    }

    @Test
    void aSuiteThatDoesNotGateMayRestOnAJudge() throws IOException {
        setUp("[demo.evals.yaml]", "demo.evals.yaml", """
                suite: judged
                threshold: 0.7
                scorers:
                  - model_graded: { rubric: The label names the greeting., route: judge, scale: 4 }
                cases:
                  - id: a
                    input: { text: hello }
                """);
        WeightedScorer judge = load().suite("judged").orElseThrow().scorers().getFirst();
        assertThat(judge.scorer()).isEqualTo(new ModelGraded("The label names the greeting.", "judge", 4));
    }

    @Test
    void anInputMeantToBeRefusedMayBreakTheInputSchema() throws IOException {
        setUp("[demo.evals.yaml]", "demo.evals.yaml", """
                suite: s
                threshold: 1
                cases:
                  - id: empty
                    input: { text: "" }
                    expect: [{ status: [rejected] }, { error_code: [invalid_input] }]
                """);
        assertThat(load().suite("s").orElseThrow().kase("empty").orElseThrow().expectsNoResult()).isTrue();
    }

    @Test
    void aSuiteSharedByTwoVersionsIsCheckedAgainstEach() throws IOException {
        setUp("[demo.evals.yaml]", "demo.evals.yaml", SUITE);
        write("demo-v2.yaml", workflow(2, "[demo.evals.yaml]").replace("required: [text]", "required: [text, max]"));
        assertThat(refusal()).contains("demo.evals.yaml:14: cases[0].input.max: does not satisfy the input schema of team/demo v2");
        write("demo-v2.yaml", workflow(2, "[demo.evals.yaml]"));
        EvalSuites suites = load();
        assertThat(suites.of("team/demo", 2)).containsExactlyElementsOf(suites.of("team/demo", 1));
        assertThat(suites.all()).hasSize(1);
    }

    @Test
    void twoFilesDeclaringOneSuiteNameAreRefusedNamingBoth() throws IOException {
        setUp("[demo.evals.yaml, more.evals.yaml]", "demo.evals.yaml", SUITE);
        write("more.evals.yaml", SUITE);
        assertThat(refusal()).contains("more.evals.yaml: suite 'demo-suite' is also declared in ").contains("demo.evals.yaml");
    }

    static Stream<Arguments> evalsListErrors() {
        return Stream.of(
                Arguments.of("a missing file", "[missing.yaml]", "demo.yaml:22: evals[0]: suite file 'missing.yaml' not found next to the workflow or under"),
                Arguments.of("not a suite file name", "[demo.evals.txt]", "demo.yaml:22: evals[0]: must name a *.yaml, *.yml or *.jsonl suite file, got 'demo.evals.txt'"),
                Arguments.of("a file named twice", "[demo.evals.yaml, demo.evals.yaml]", "demo.yaml:22: evals[1]: suite file 'demo.evals.yaml' is listed twice"),
                Arguments.of("an empty list", "[]", "demo.yaml:22: evals: must be a suite file or a list of them"),
                Arguments.of("outside the directory", "[../outside.yaml]", "demo.yaml:22: evals[0]: suite file"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("evalsListErrors")
    void theWorkflowsEvalsListIsCheckedAtItsOwnLine(String what, String evals, String message) throws IOException {
        Files.writeString(dir.getParent().resolve("outside.yaml"), SUITE);
        setUp(evals, "demo.evals.yaml", SUITE);
        assertThatThrownBy(() -> WorkflowLoader.scan(List.of(dir), ROUTES)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    @Test
    void theShippedExamplesSuitesLoadWithTwentyCasesOrMoreEach() {
        List<WorkflowDefinition> examples = WorkflowLoader.scan(List.of(Path.of("..", "examples", "workflows")), Set.of("primary", "small")).definitions();
        EvalSuites suites = EvalSuites.load(examples, Set.of("primary", "small"));
        assertThat(suites.all()).extracting(EvalSuite::name)
                .containsExactlyInAnyOrder("briefs-key-points", "briefs-injection-review", "leads-classify", "leads-classify-regressions", "support-draft-response");
        for (String main : List.of("briefs-key-points", "leads-classify", "support-draft-response")) {
            EvalSuite suite = suites.suite(main).orElseThrow();
            assertThat(suite.cases()).as(main).hasSizeGreaterThanOrEqualTo(20);
            assertThat(suite.gate()).as(main).isTrue();
            for (String tag : List.of("failure", "empty", "injection", "pii", "non-english", "long")) {
                assertThat(suite.cases()).as(main + " has a case tagged " + tag).anySatisfy(c -> assertThat(c.tags()).contains(tag));
            }
        }
        for (WorkflowDefinition d : examples) {
            assertThat(suites.of(d.name(), d.version())).as(d.name()).isNotEmpty();
        }
    }
}
