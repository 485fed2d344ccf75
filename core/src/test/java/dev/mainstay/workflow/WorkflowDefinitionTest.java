package dev.mainstay.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.contract.ConfidenceGate;
import dev.mainstay.contract.OutputContract;
import dev.mainstay.contract.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class WorkflowDefinitionTest {
    private static final Set<String> ROUTES = Set.of("primary", "small");

    /** A valid workflow; each broken case edits one line (numbered from 1) of it. */
    private static final List<String> VALID = List.of(
            "workflow: team/feature",                       // 1
            "version: 1",                                   // 2
            "latency: wait",                                // 3
            "deadline: 30s",                                // 4
            "input:",                                       // 5
            "  type: object",                               // 6
            "  required: [text]",                           // 7
            "  properties:",                                // 8
            "    text: { type: string, minLength: 1 }",     // 9
            "stages:",                                      // 10
            "  - id: first",                                // 11
            "    model:",                                   // 12
            "      prompt: prompt.mustache",                // 13
            "      route: [primary]",                       // 14
            "      max_output_tokens: 100",                 // 15
            "    output:",                                  // 16
            "      schema:",                                // 17
            "        type: object",                         // 18
            "        properties:",                          // 19
            "          answer: { type: string }",           // 20
            "    retry: { attempts: 2, backoff: 1s, max_backoff: 5s }"); // 21

    private static final List<String> SECOND_STAGE = List.of(
            "  - id: first",                                // 22
            "    model:",                                   // 23
            "      prompt: prompt.mustache",                // 24
            "      route: [small]",                         // 25
            "    output:",                                  // 26
            "      schema: { type: object }");              // 27

    @TempDir
    Path dir;

    private Path write(List<String> lines) throws IOException {
        Files.writeString(dir.resolve("prompt.mustache"), "Answer this: <text>{{input.text}}</text>\n");
        Files.writeString(dir.resolve("broken.mustache"), "Answer this: {{#input}}<text>{{text}}</text>\n");
        Path file = dir.resolve("feature.yaml");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    private static List<String> edit(int line, String replacement) {
        List<String> out = new ArrayList<>(VALID);
        if (replacement == null) {
            out.remove(line - 1);
        } else {
            out.set(line - 1, replacement);
        }
        return out;
    }

    private static List<String> editRange(int first, int last, String replacement) {
        List<String> out = new ArrayList<>(VALID.subList(0, first - 1));
        out.add(replacement);
        out.addAll(VALID.subList(last, VALID.size()));
        return out;
    }

    private static List<String> withFallback(String... lines) {
        List<String> out = new ArrayList<>(VALID);
        out.addAll(List.of(lines)); // from line 22
        return out;
    }

    /** The valid template with {@code lines} added to the stage's {@code output:} block, from line 21 on. */
    private static List<String> withOutput(String... lines) {
        List<String> out = new ArrayList<>(VALID.subList(0, 20));
        out.addAll(List.of(lines));
        out.addAll(VALID.subList(20, VALID.size()));
        return out;
    }

    static Stream<Arguments> brokenFiles() {
        List<String> duplicate = new ArrayList<>(VALID);
        duplicate.addAll(SECOND_STAGE);
        return Stream.of(
                Arguments.of("missing version", edit(2, null), 1, "version", "is required"),
                Arguments.of("version is not a number", edit(2, "version: one"), 2, "version", "must be a whole number"),
                Arguments.of("typo in a top-level field", edit(3, "latancy: wait"), 3, "latancy", "unknown field"),
                Arguments.of("typo in a stage's own field lists the tool kind too", edit(21, "    retries: { attempts: 2 }"), 21, "stages[0].retries",
                        "unknown field (allowed here: id, model, tool, output, retry, optional, redact, context)"),
                Arguments.of("typo in a stage field", edit(15, "      max_output_token: 100"), 15, "stages[0].model.max_output_token", "unknown field"),
                Arguments.of("bad latency", edit(3, "latency: fast"), 3, "latency", "must be one of instant, wait, async; got 'fast'"),
                Arguments.of("bad deadline", edit(4, "deadline: 30 seconds"), 4, "deadline", "must be a duration"),
                Arguments.of("unknown route", edit(14, "      route: [primary, fast]"), 14, "stages[0].model.route[1]", "unknown route 'fast' (configured routes: primary, small)"),
                Arguments.of("empty route", edit(14, "      route: []"), 14, "stages[0].model.route", "needs at least one route name"),
                Arguments.of("missing prompt file", edit(13, "      prompt: nowhere.mustache"), 13, "stages[0].model.prompt", "prompt file 'nowhere.mustache' not found"),
                Arguments.of("prompt that is not a valid template", edit(13, "      prompt: broken.mustache"), 13, "stages[0].model.prompt", "not a valid Mustache template"),
                Arguments.of("invalid output JSON Schema", edit(20, "          answer: { type: string, maxLength: -3 }"), 20,
                        "stages[0].output.schema.properties.answer.maxLength", "not a valid JSON Schema: -3: must have a minimum value of 0"),
                Arguments.of("invalid input JSON Schema", edit(9, "    text: { type: strnig }"), 9, "input.properties.text.type",
                        "not a valid JSON Schema: 'strnig': does not have a value in the enumeration"),
                Arguments.of("invalid type in a block-style output schema", editRange(20, 20, "          answer:\n            type: strnig\n            maxLength: 10"), 21,
                        "stages[0].output.schema.properties.answer.type", "'strnig'"),
                Arguments.of("invalid item of a type list", edit(9, "    text: { type: [string, nul] }"), 9, "input.properties.text.type[1]", "'nul'"),
                Arguments.of("non-object input", editRange(5, 9, "input: [text]"), 5, "input", "must be a mapping, got a list"),
                Arguments.of("input schema of a string", edit(6, "  type: string"), 5, "input", "must be a JSON Schema with 'type: object'"),
                Arguments.of("duplicate stage id", duplicate, 22, "stages[1].id", "duplicate stage id 'first'"),
                Arguments.of("stage id with capitals", edit(11, "  - id: First"), 11, "stages[0].id", "must be lowercase"),
                Arguments.of("max_backoff below backoff", edit(21, "    retry: { attempts: 2, backoff: 10s, max_backoff: 5s }"), 21, "stages[0].retry.max_backoff", "must not be shorter than backoff"),
                Arguments.of("too many attempts", edit(21, "    retry: { attempts: 1000 }"), 21, "stages[0].retry.attempts", "must be between 1 and 100, got 1000"),
                Arguments.of("workflow name not a path", edit(1, "workflow: Feature"), 1, "workflow", "must look like 'group/feature'"),
                Arguments.of("reserved workflow name", edit(1, "workflow: jobs/list"), 1, "workflow", "reserved"),
                Arguments.of("fallback not a list", withFallback("fallback: cached"), 22, "fallback", "must be a list of rungs"),
                Arguments.of("shadow sample of zero", withFallback("shadow: { version: 2, sample: 0 }"), 22, "shadow.sample", "must be above 0 and at most 1"),
                Arguments.of("shadow without a sample", withFallback("shadow: { version: 2 }"), 22, "shadow.sample", "is required"),
                Arguments.of("shadow on its own version", withFallback("shadow: { version: 1, sample: 0.1 }"), 22, "shadow.version", "own version 1"),
                Arguments.of("shadow field typo", withFallback("shadow: { version: 2, sampel: 0.1 }"), 22, "shadow.sampel", "unknown field"),
                Arguments.of("agree_on that is no pointer", withFallback("shadow: { version: 2, sample: 0.1, agree_on: [answer] }"), 22, "shadow.agree_on[0]",
                        "must be a JSON Pointer into the result, e.g. /segment; got 'answer'"),
                Arguments.of("drift field that is no pointer", withFallback("drift: { fields: [confidence] }"), 22, "drift.fields[0]", "must be a JSON Pointer"),
                Arguments.of("drift field twice", withFallback("drift: { fields: [/a, /a] }"), 22, "drift.fields[1]", "listed twice"),
                Arguments.of("unknown rung", withFallback("fallback: [cached, guess]"), 22, "fallback[1]", "unknown rung 'guess'"),
                Arguments.of("rung after review", withFallback("fallback: [review, draft]"), 22, "fallback[1]", "nothing can follow 'review'"),
                Arguments.of("bad review expiry outcome", withFallback("fallback:", "  - review: { on_expiry: edit }"), 23, "fallback[0].review.on_expiry", "must be approve or reject"),
                Arguments.of("unknown rules path", withFallback("fallback:", "  - { rules: magic }"), 23, "fallback[0]", "unknown rules path 'magic'"),
                Arguments.of("rules option typo", withFallback("fallback:", "  - { rules: extractive-summary, form: text }"), 23, "fallback[0]", "unknown option 'form'"),
                Arguments.of("rung twice", withFallback("fallback: [cached, draft, cached]"), 22, "fallback[2]", "appears twice"),
                Arguments.of("rule that does not parse", withOutput("      rules:", "        - \"size(output.answer) > 0\"", "        - \"output.answer >\""),
                        23, "stages[0].output.rules[1]", "not a valid CEL expression: "),
                Arguments.of("rule over an undeclared variable", withOutput("      rules: [\"request.answer != ''\"]"),
                        21, "stages[0].output.rules[0]", "not a valid CEL expression: "),
                Arguments.of("rule that yields a number", withOutput("      rules: [\"size(output.answer)\"]"),
                        21, "stages[0].output.rules[0]", "bool"),
                Arguments.of("rule that is not a string", withOutput("      rules:", "        - { size: 1 }"),
                        22, "stages[0].output.rules[0]", "must be a string, got a mapping"),
                Arguments.of("typo in an output field", withOutput("      rule: [\"true\"]"),
                        21, "stages[0].output.rule", "unknown field (allowed here: schema, rules, confidence)"),
                Arguments.of("confidence gate without below", withOutput("      confidence: { field: score, min: 0.6 }"),
                        21, "stages[0].output.confidence.below", "is required: review or fallback"),
                Arguments.of("confidence gate with an unknown action", withOutput("      confidence: { field: score, min: 0.6, below: ignore }"),
                        21, "stages[0].output.confidence.below", "must be one of review, fallback; got 'ignore'"),
                Arguments.of("confidence gate without min", withOutput("      confidence:", "        field: score", "        below: review"),
                        21, "stages[0].output.confidence.min", "is required"),
                Arguments.of("confidence gate min that is not a number", withOutput("      confidence:", "        field: score", "        min: high", "        below: review"),
                        23, "stages[0].output.confidence.min", "must be a number, got the string 'high'"),
                Arguments.of("confidence gate with an unknown key", withOutput("      confidence: { field: score, min: 0.6, below: review, max: 1 }"),
                        21, "stages[0].output.confidence.max", "unknown field (allowed here: field, min, below)"),
                Arguments.of("confidence gate on a string field", withOutput("      confidence: { field: answer, min: 0.6, below: review }"),
                        21, "stages[0].output.confidence.field", "the output schema declares 'answer' with type \"string\"; the confidence gate needs a number field"),
                Arguments.of("confidence gate that is not a mapping", withOutput("      confidence: 0.6"),
                        21, "stages[0].output.confidence", "must be a mapping"),
                Arguments.of("access that is a list", withFallback("access: [member]"), 22, "access", "must be a mapping, got a list"),
                Arguments.of("typo in access", withFallback("access: { runs: [member] }"), 22, "access.runs", "unknown field (allowed here: run, read)"),
                Arguments.of("empty run roles", withFallback("access: { run: [] }"), 22, "access.run", "must be a non-empty list of role names"),
                Arguments.of("run roles that are a string", withFallback("access: { run: member }"), 22, "access.run", "must be a non-empty list of role names"),
                Arguments.of("bad role name", withFallback("access:", "  read: [member, Support Agent]"), 23, "access.read[1]", "'Support Agent' is not a role name"),
                Arguments.of("role that is not a string", withFallback("access:", "  read: [member, { a: 1 }]"), 23, "access.read[1]", "must be a string"),
                Arguments.of("unknown redaction category", withFallback("redact: { kinds: [email, emial], mode: tokenize }"),
                        22, "redact.kinds[1]", "unknown category 'emial'"),
                Arguments.of("unknown redaction mode on a stage", edit(21, "    redact: { email: hide }"),
                        21, "stages[0].redact.email", "unknown mode 'hide' (known: allow, mask, tokenize, block)"),
                Arguments.of("context field not in the input schema", withFallback("context: { input: [txet] }"),
                        22, "context.input[0]", "'txet' is not a property of the input schema (properties: text)"),
                Arguments.of("context stage that is not earlier", edit(21, "    context: { input: [text], stages: [first] }"),
                        21, "stages[0].context.stages[0]", "'first' is not an earlier stage: this stage is the first"),
                Arguments.of("prompt uses a field its context leaves out", withFallback("context: { input: [] }"),
                        22, "context", "prompt prompt.mustache uses input.text, which this context does not declare"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenFiles")
    void brokenWorkflowNamesFileLineAndField(String name, List<String> lines, int line, String field, String problem) throws IOException {
        Path file = write(lines);
        assertThatThrownBy(() -> WorkflowLoader.loadFile(file, dir, ROUTES))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file.toAbsolutePath().normalize() + ":" + line + ": " + field + ": ")
                .hasMessageContaining(problem);
    }

    @Test
    void shadowAndDriftAreReadButAreNotPartOfTheVersion() throws IOException {
        WorkflowDefinition plain = WorkflowLoader.loadFile(write(VALID), dir, ROUTES);
        WorkflowDefinition measured = WorkflowLoader.loadFile(write(withFallback("shadow: { version: 3, sample: 0.25, agree_on: [/answer] }",
                "drift: { fields: [/answer] }")), dir, ROUTES);
        assertThat(plain.shadow()).isEmpty();
        assertThat(plain.drift().fields()).isEmpty();
        assertThat(measured.shadow()).contains(new ShadowPolicy(3, 0.25, List.of("/answer")));
        assertThat(measured.drift().fields()).containsExactly("/answer");
        assertThat(measured.contentHash()).as("measuring a version does not make it another").isEqualTo(plain.contentHash());
    }

    @Test
    void redactionAndContextAreReadPerStageOverTheWorkflows() throws IOException {
        List<String> lines = new ArrayList<>(VALID);
        lines.add(9, "    note: { type: string }");
        lines.add(10, "redact: { kinds: [email, phone], mode: tokenize, secret: block }");
        lines.add(11, "context: { input: [text] }");
        lines.addAll(List.of(
                "  - id: second",
                "    model:",
                "      prompt: prompt.mustache",
                "      route: [small]",
                "    output:",
                "      schema: { type: object }",
                "    redact: { email: mask }",
                "    context: { input: [text, note], stages: [first] }"));
        WorkflowDefinition d = WorkflowLoader.loadFile(write(lines), dir, ROUTES);

        assertThat(d.redaction("first").toString()).isEqualTo("RedactionPolicy[secret=block, email=tokenize, phone=tokenize, others allow]");
        assertThat(d.redaction("second").toString()).isEqualTo("RedactionPolicy[secret=block, email=mask, phone=tokenize, others allow]");
        assertThat(d.context("first")).isEqualTo(new PromptContext(Set.of("text"), Set.of()));
        assertThat(d.context("second")).isEqualTo(new PromptContext(Set.of("text", "note"), Set.of("first")));
        var input = Json.object().put("text", "t").put("note", "n").put("extra", "x");
        assertThat(d.context("first").input(input)).isEqualTo(Json.object().put("text", "t"));
        assertThat(d.context("first").stages(java.util.Map.of("first", Json.object()))).isEmpty();
        assertThat(d.context("unknown")).isEqualTo(PromptContext.ALL);
        assertThat(PromptContext.ALL.input(input)).isEqualTo(input);
    }

    @Test
    void toolStagesAreReadAndTheirMistakesNamed() throws IOException {
        List<String> lines = new ArrayList<>(VALID);
        lines.addAll(List.of(
                "  - id: send",
                "    tool: { name: crm, path: \"/notes/{{input.text}}\", scope: execute, body: { text: \"{{stages.first.answer}}\", n: 1 }, approval_expires: 2h }"));
        WorkflowDefinition d = WorkflowLoader.loadFile(write(lines), dir, ROUTES);
        ToolStage tool = (ToolStage) d.stages().get(1);
        assertThat(tool.method()).isEqualTo("POST");
        assertThat(tool.scope()).isEqualTo(dev.mainstay.tool.ToolScope.EXECUTE);
        assertThat(tool.approvalExpires()).isEqualTo(java.time.Duration.ofHours(2));
        var request = tool.request(Json.object().put("text", "abc"), java.util.Map.of("first", Json.object().put("answer", "yes")));
        assertThat(request.path("path").asString()).isEqualTo("/notes/abc");
        assertThat(Json.write(request.path("body"))).isEqualTo("{\"text\":\"yes\",\"n\":1}");
        for (var c : java.util.Map.of("../admin", "/notes/..%2Fadmin", "..", "/notes/%2E%2E", "a b?x=1#f", "/notes/a%20b%3Fx%3D1%23f",
                "@evil.example", "/notes/%40evil.example").entrySet()) {
            assertThat(tool.request(Json.object().put("text", c.getKey()), java.util.Map.of()).path("path").asString()).isEqualTo(c.getValue());
        }

        for (List<String> broken : List.of(
                List.of("    tool: { name: crm, scope: write }", "must be read, draft or execute"),
                List.of("    tool: { name: crm }", "is required: read, draft or execute"),
                List.of("    tool: { name: crm, scope: read, method: FETCH }", "must be one of GET, POST"),
                List.of("    tool: { name: crm, scope: read, path: notes }", "must start with '/'"),
                List.of("    tool: { name: crm, scope: read, method: GET, body: { a: 1 } }", "sends no body"),
                List.of("    tool: { name: crm, scope: read, approval_expires: 1h }", "only execute-scoped calls"),
                List.of("    tool: { name: crm, scope: read, retries: 3 }", "unknown field"))) {
            List<String> bad = new ArrayList<>(VALID);
            bad.addAll(List.of("  - id: send", broken.get(0)));
            assertThatThrownBy(() -> WorkflowLoader.loadFile(write(bad), dir, ROUTES)).as(broken.get(0))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("stages[1].tool").hasMessageContaining(broken.get(1));
        }
    }

    @Test
    void aWorkflowMayDeclareAReceiverForItsEventsWithTheSecretInTheEnvironment() throws IOException {
        List<String> lines = new ArrayList<>(VALID);
        lines.add(0, "notify: { url: \"https://ops.example.com/hooks\", events: [job.failed, job.degraded], secret: { env: OPS_WEBHOOK_SECRET } }");
        WorkflowDefinition d = WorkflowLoader.loadFile(write(lines), dir, ROUTES);
        WorkflowDefinition.Notify n = d.notifyEndpoint().orElseThrow();
        assertThat(n.url()).hasToString("https://ops.example.com/hooks");
        assertThat(n.events()).containsExactly("job.failed", "job.degraded");
        assertThat(n.secretEnv()).isEqualTo("OPS_WEBHOOK_SECRET");
        assertThat(WorkflowDefinition.fromStored(Json.canonical(d.document()), "stored").notifyEndpoint()).contains(n);

        List<String> defaults = new ArrayList<>(VALID);
        defaults.add(0, "notify: { url: \"https://ops.example.com/hooks\", secret: { env: OPS_WEBHOOK_SECRET } }");
        assertThat(WorkflowLoader.loadFile(write(defaults), dir, ROUTES).notifyEndpoint().orElseThrow().events())
                .containsExactly("job.completed", "job.partially_completed", "job.degraded", "job.failed", "job.cancelled");
        assertThat(WorkflowLoader.loadFile(write(VALID), dir, ROUTES).notifyEndpoint()).isEmpty();

        for (List<String> broken : List.of(
                List.of("notify: { url: \"ftp://x\", secret: { env: S } }", "must be an http or https URL"),
                List.of("notify: { url: \"https://x.example\", events: [job.done], secret: { env: S } }", "unknown event type"),
                List.of("notify: { url: \"https://x.example\", secret: whsec_abc }", "notify.secret"),
                List.of("notify: { url: \"https://x.example\" }", "notify.secret"))) {
            List<String> bad = new ArrayList<>(VALID);
            bad.add(0, broken.get(0));
            assertThatThrownBy(() -> WorkflowLoader.loadFile(write(bad), dir, ROUTES)).as(broken.get(0))
                    .isInstanceOf(ConfigException.class).hasMessageContaining(broken.get(1));
        }
    }

    @Test
    void callbackStagesDeclareHowLongTheyWaitAndWhatTheResultIs() throws IOException {
        List<String> lines = new ArrayList<>(VALID);
        lines.addAll(List.of(
                "  - id: transcribe",
                "    tool: { name: transcriber, path: /jobs, scope: read, mode: callback, timeout: 30m, result: { type: object, required: [text] } }"));
        WorkflowDefinition d = WorkflowLoader.loadFile(write(lines), dir, ROUTES);
        ToolStage tool = (ToolStage) d.stages().get(1);
        assertThat(tool.callback()).isNotNull();
        assertThat(tool.callback().timeout()).isEqualTo(java.time.Duration.ofMinutes(30));
        assertThat(tool.timeout()).as("the request keeps the tool's own timeout").isNull();
        assertThat(tool.callback().result().validate(Json.object().put("text", "hello"))).isEmpty();
        assertThat(tool.callback().result().validate(Json.object())).isNotEmpty();
        assertThat(((ToolStage) d.stages().get(1)).equals(tool)).isTrue();

        List<String> plain = new ArrayList<>(VALID);
        plain.addAll(List.of("  - id: send", "    tool: { name: crm, scope: read, mode: callback }"));
        ToolStage defaults = (ToolStage) WorkflowLoader.loadFile(write(plain), dir, ROUTES).stages().get(1);
        assertThat(defaults.callback().timeout()).isEqualTo(ToolStage.DEFAULT_CALLBACK_TIMEOUT);

        for (List<String> broken : List.of(
                List.of("    tool: { name: crm, scope: read, mode: poll }", "must be call or callback"),
                List.of("    tool: { name: crm, scope: draft, mode: callback }", "gets no callback"),
                List.of("    tool: { name: crm, scope: read, result: { type: object } }", "only a callback stage"))) {
            List<String> bad = new ArrayList<>(VALID);
            bad.addAll(List.of("  - id: send", broken.get(0)));
            assertThatThrownBy(() -> WorkflowLoader.loadFile(write(bad), dir, ROUTES)).as(broken.get(0))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("stages[1].tool").hasMessageContaining(broken.get(1));
        }
    }

    @Test
    void functionsOfAModelStageAreReadAndTheirMistakesNamed() throws IOException {
        List<String> lines = new ArrayList<>(VALID);
        lines.add(15, "      tools: [{ name: lookup, tool: crm, path: \"/orders/{{args.id}}\", parameters: { type: object, properties: { id: { type: string } } } }]");
        lines.add(16, "      max_tool_calls: 2");
        WorkflowDefinition d = WorkflowLoader.loadFile(write(lines), dir, ROUTES);
        ModelStage m = (ModelStage) d.stages().getFirst();
        assertThat(m.maxToolCalls()).isEqualTo(2);
        assertThat(m.tool("lookup").orElseThrow().call().scope()).isEqualTo(dev.mainstay.tool.ToolScope.READ);
        assertThat(m.tool("lookup").orElseThrow().call().request(Json.object().set("args", Json.object().put("id", "a/b"))).path("path").asString())
                .isEqualTo("/orders/a%2Fb");
        for (List<String> broken : List.of(
                List.of("      tools: [{ name: respond, tool: crm, parameters: { type: object } }]", "not 'respond'"),
                List.of("      tools: [{ name: x, tool: crm }]", "parameters"),
                List.of("      tools: [{ name: x, tool: crm, parameters: { type: object }, scope: execute }]", "unknown field"),
                List.of("      tools: []", "must be a list of functions"))) {
            List<String> bad = new ArrayList<>(VALID);
            bad.add(15, broken.get(0));
            assertThatThrownBy(() -> WorkflowLoader.loadFile(write(bad), dir, ROUTES)).as(broken.get(0))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("stages[0].model.tools").hasMessageContaining(broken.get(1));
        }
    }

    @Test
    void theValidTemplateLoads() throws IOException {
        WorkflowDefinition d = WorkflowLoader.loadFile(write(VALID), dir, ROUTES);
        assertThat(d.name()).isEqualTo("team/feature");
        assertThat(d.version()).isEqualTo(1);
        assertThat(d.latency()).isEqualTo(Latency.WAIT);
        assertThat(d.deadline()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.path()).isEqualTo("/v1/team/feature");
        assertThat(d.stages()).singleElement().isInstanceOfSatisfying(ModelStage.class, s -> {
            assertThat(s.id()).isEqualTo("first");
            assertThat(s.route()).containsExactly("primary");
            assertThat(s.maxOutputTokens()).isEqualTo(100);
            assertThat(s.timeout()).isEqualTo(ModelStage.DEFAULT_TIMEOUT);
            assertThat(s.retry()).isEqualTo(new RetryPolicy(2, Duration.ofSeconds(1), Duration.ofSeconds(5)));
            assertThat(s.prompt().source()).contains("{{input.text}}");
        });
    }

    @Test
    void rulesAndConfidenceGateLoadIntoTheOutputContract() throws IOException {
        WorkflowDefinition d = WorkflowLoader.loadFile(write(withOutput(
                "      rules:",
                "        - \"size(output.answer) > 0\"",
                "        - \"!has(output.score) || output.score >= 0\"",
                "      confidence: { field: score, min: 0.6, below: fallback }")), dir, ROUTES);
        OutputContract contract = ((ModelStage) d.stages().getFirst()).output();
        assertThat(contract.rules()).extracting(Rule::expression)
                .containsExactly("size(output.answer) > 0", "!has(output.score) || output.score >= 0");
        assertThat(contract.confidence()).contains(new ConfidenceGate("score", 0.6, ConfidenceGate.Action.FALLBACK));
    }

    @Test
    void aSingleRuleMayBeWrittenAsAString() throws IOException {
        WorkflowDefinition d = WorkflowLoader.loadFile(write(withOutput("      rules: \"size(output.answer) > 0\"")), dir, ROUTES);
        assertThat(((ModelStage) d.stages().getFirst()).output().rules()).extracting(Rule::expression).containsExactly("size(output.answer) > 0");
    }

    @Test
    void addingARuleChangesTheContentHash() throws IOException {
        WorkflowDefinition before = WorkflowLoader.loadFile(write(VALID), dir, ROUTES);
        WorkflowDefinition after = WorkflowLoader.loadFile(write(withOutput("      rules: [\"size(output.answer) > 0\"]")), dir, ROUTES);
        assertThat(after.contentHash()).isNotEqualTo(before.contentHash());
    }

    @Test
    void storedDefinitionKeepsItsRulesAndGate() throws IOException {
        WorkflowDefinition d = WorkflowLoader.loadFile(write(withOutput(
                "      rules: [\"size(output.answer) > 0\"]",
                "      confidence: { field: score, min: 0.5, below: review }")), dir, ROUTES);
        OutputContract stored = ((ModelStage) WorkflowDefinition.fromStored(Json.canonical(d.document()), "stored").stages().getFirst()).output();
        assertThat(stored.rules()).extracting(Rule::expression).containsExactly("size(output.answer) > 0");
        assertThat(stored.confidence()).contains(new ConfidenceGate("score", 0.5, ConfidenceGate.Action.REVIEW));
    }

    @Test
    void unknownRoutesAreNotCheckedWhenNoRoutesAreGiven() throws IOException {
        WorkflowDefinition d = WorkflowLoader.loadFile(write(edit(14, "      route: [anything]")), dir, Set.of());
        assertThat(((ModelStage) d.stages().getFirst()).route()).containsExactly("anything");
    }

    @Test
    void accessRolesAreReadAndAbsentMeansAnyKey() throws IOException {
        WorkflowDefinition open = WorkflowLoader.loadFile(write(VALID), dir, ROUTES);
        assertThat(open.access()).isEqualTo(dev.mainstay.access.WorkflowAccess.ANY);
        WorkflowDefinition d = WorkflowLoader.loadFile(write(withFallback("access: { run: [agent], read: [agent, auditor] }")), dir, ROUTES);
        assertThat(d.access().run()).containsExactly("agent");
        assertThat(d.access().read()).containsExactlyInAnyOrder("agent", "auditor");
        var agent = new dev.mainstay.access.Principal("acct", "key_a", Set.of("agent"), false);
        var auditor = new dev.mainstay.access.Principal("acct", "key_b", Set.of("auditor"), false);
        var none = new dev.mainstay.access.Principal("acct", "key_c", Set.of(), false);
        assertThat(d.access().mayRun(agent)).isTrue();
        assertThat(d.access().mayRun(auditor)).isFalse();
        assertThat(d.access().mayRead(auditor)).isTrue();
        assertThat(d.access().mayRead(none)).isFalse();
        assertThat(open.access().mayRun(none)).isTrue();
        WorkflowDefinition readOnly = WorkflowLoader.loadFile(write(withFallback("access:", "  read: [auditor]")), dir, ROUTES);
        assertThat(readOnly.access().mayRun(none)).as("run left out: any key").isTrue();
        assertThat(WorkflowDefinition.fromStored(Json.canonical(d.document()), "stored").access()).isEqualTo(d.access());
    }

    @Test
    void fallbackLadderIsReadInOrder() throws IOException {
        List<String> lines = withFallback("fallback:", "  - cached", "  - { rules: template-reply, template: 'Thanks {{input.text}}' }", "  - draft");
        WorkflowDefinition d = WorkflowLoader.loadFile(write(lines), dir, ROUTES);
        assertThat(d.fallback()).extracting(dev.mainstay.fallback.FallbackRung::label).containsExactly("cached", "rules:template-reply", "draft");
    }

    @Test
    void shippedExamplesLoad() {
        List<WorkflowDefinition> all = WorkflowLoader.load(Path.of("../examples/workflows"), ROUTES);
        assertThat(all).extracting(WorkflowDefinition::name)
                .containsExactlyInAnyOrder("briefs/extract-key-points", "leads/classify", "support/draft-response");
        assertThat(all).allSatisfy(d -> {
            assertThat(d.version()).isPositive();
            assertThat(d.contentHash()).matches("[0-9a-f]{64}");
            assertThat(d.stages()).isNotEmpty();
            assertThat(d.fallback()).as("every shipped example shows a fallback ladder").isNotEmpty();
        });
        WorkflowDefinition support = all.stream().filter(d -> d.name().equals("support/draft-response")).findFirst().orElseThrow();
        assertThat(support.stages()).extracting(StageDefinition::id).containsExactly("triage", "draft");
        assertThat(support.latency()).isEqualTo(Latency.ASYNC);
    }

    @Test
    void loadingTheSameFilesTwiceGivesTheSameContentHash() throws IOException {
        Path file = write(VALID);
        assertThat(WorkflowLoader.loadFile(file, dir, ROUTES).contentHash())
                .isEqualTo(WorkflowLoader.loadFile(file, dir, ROUTES).contentHash());
    }

    @Test
    void editingThePromptChangesTheContentHash() throws IOException {
        Path file = write(VALID);
        WorkflowDefinition before = WorkflowLoader.loadFile(file, dir, ROUTES);
        Files.writeString(dir.resolve("prompt.mustache"), "Answer this briefly: <text>{{input.text}}</text>\n");
        WorkflowDefinition after = WorkflowLoader.loadFile(file, dir, ROUTES);
        assertThat(after.contentHash()).isNotEqualTo(before.contentHash());
        assertThat(((ModelStage) after.stages().getFirst()).prompt().hash())
                .isNotEqualTo(((ModelStage) before.stages().getFirst()).prompt().hash());
    }

    @Test
    void reformattingTheYamlKeepsTheContentHash() throws IOException {
        WorkflowDefinition before = WorkflowLoader.loadFile(write(VALID), dir, ROUTES);
        List<String> reordered = new ArrayList<>(VALID);
        reordered.set(2, "deadline: 30s   # the whole job");
        reordered.set(3, "latency: wait");
        WorkflowDefinition after = WorkflowLoader.loadFile(write(reordered), dir, ROUTES);
        assertThat(after.contentHash()).isEqualTo(before.contentHash());
    }

    @Test
    void storedDefinitionReadsBackWithTheSameContentHash() {
        for (WorkflowDefinition d : WorkflowLoader.load(Path.of("../examples/workflows"), ROUTES)) {
            WorkflowDefinition stored = WorkflowDefinition.fromStored(Json.canonical(d.document()), "stored " + d);
            assertThat(stored.contentHash()).as(d.toString()).isEqualTo(d.contentHash());
            assertThat(stored.stages()).extracting(StageDefinition::id).isEqualTo(d.stages().stream().map(StageDefinition::id).toList());
        }
    }

    @Test
    void twoFilesDeclaringTheSameVersionAreRefusedNamingBoth() throws IOException {
        write(VALID);
        Files.createDirectories(dir.resolve("copy"));
        Files.writeString(dir.resolve("copy/again.yaml"), String.join("\n", VALID).replace("prompt.mustache", "../prompt.mustache") + "\n");
        assertThatThrownBy(() -> WorkflowLoader.load(dir, ROUTES))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("team/feature version 1 is also declared in")
                .hasMessageContaining("again.yaml")
                .hasMessageContaining("feature.yaml");
    }

    @Test
    void missingWorkflowDirectoryIsAConfigError() {
        assertThatThrownBy(() -> WorkflowLoader.load(dir.resolve("nope"), ROUTES))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nope")
                .hasMessageContaining("does not exist");
    }
}
