package dev.mainstay.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every name a prompt or a tool call uses must be one its stage can see, or the workflow is refused naming the prompt's line. */
class TemplateCheckTest {
    private static final Set<String> ROUTES = Set.of("primary");

    /** Transcript and attendees in, action items out; then a second stage that writes a summary of them. */
    private static final String WORKFLOW = """
            workflow: meetings/action-items
            version: 1
            input:
              type: object
              required: [transcript, attendees]
              properties:
                transcript: { type: string, minLength: 1 }
                attendees:
                  type: array
                  items:
                    type: object
                    required: [name]
                    properties:
                      name: { type: string }
                      email: { type: string }
                company: { type: string }
            stages:
              - id: extract
                model: { prompt: extract.mustache, route: [primary] }
                output:
                  schema:
                    type: object
                    properties:
                      items:
                        type: array
                        items: { type: object, properties: { task: { type: string }, owner: { type: string } } }
              - id: summary
                model: { prompt: summary.mustache, route: [primary] }
                output: { schema: { type: object, properties: { text: { type: string } } } }
            """;

    @TempDir
    Path dir;

    private Path write(String extract, String summary) throws IOException {
        Files.writeString(dir.resolve("extract.mustache"), extract);
        Files.writeString(dir.resolve("summary.mustache"), summary);
        Path file = dir.resolve("action-items.yaml");
        Files.writeString(file, WORKFLOW);
        return file;
    }

    private static final String GOOD_EXTRACT = """
            List the action items, each with an owner from the attendees.
            <attendees>
            {{#input.attendees}}
            - {{name}}{{#email}} <{{email}}>{{/email}}{{#-first}} (chair){{/-first}}
            {{/input.attendees}}
            </attendees>
            {{#input.company}}<company>{{input.company}}</company>{{/input.company}}{{^input.company}}No company given.{{/input.company}}
            <transcript>
            {{{input.transcript}}}
            </transcript>
            """;

    private static final String GOOD_SUMMARY = """
            Summarise these action items:
            {{#stages.extract.items}}
            - {{task}} ({{owner}}); the meeting had {{#input.attendees}}{{name}} {{/input.attendees}}
            {{/stages.extract.items}}
            {{=<% %>=}}
            Raw transcript: <%input.transcript%>
            """;

    @Test
    void namesInVariablesSectionsAndItemsThatTheSchemasDeclarePass() throws IOException {
        Path file = write(GOOD_EXTRACT, GOOD_SUMMARY);
        assertThatCode(() -> WorkflowLoader.loadFile(file, dir, ROUTES)).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            typo in an input field                  | 9 | {{{input.transcrip}}}                     | input has no property 'transcrip' in its schema (properties: transcript, attendees, company); did you mean input.transcript?
            field without its 'input.'              | 9 | {{transcript}}                            | 'transcript' is not a name this template can use (it sees input, stages); did you mean input.transcript?
            typo in an item field                   | 4 | {{nmae}}                                  | 'nmae' is not a name this template can use (it sees name, email, input, stages); did you mean name?
            a field of a string                     | 9 | {{input.transcript.text}}                 | input.transcript is a string; it has no field 'text'
            the stage's own output                  | 9 | {{stages.extract.items}}                  | a stage cannot use its own output ('extract' is this stage)
            a later stage                           | 9 | {{stages.summary.text}}                   | stage 'summary' runs after this one; a stage sees the outputs of earlier stages only
            a stage that does not exist             | 9 | {{stages.triage.summary}}                 | 'triage' is not a stage of this workflow (earlier stages: none, this is the first)
            typo in a section name                  | 7 | {{#input.compnay}}x{{/input.compnay}}     | input has no property 'compnay' in its schema (properties: transcript, attendees, company); did you mean input.company?
            """)
    void aNameTheStageCannotSeeIsRefusedWithThePromptLineAndTheNearestName(String name, int line, String tag, String message) throws IOException {
        String[] lines = GOOD_EXTRACT.split("\n", -1);
        lines[line - 1] = line == 4 ? "- " + tag : tag;
        Path file = write(String.join("\n", lines), GOOD_SUMMARY);
        assertThatThrownBy(() -> WorkflowLoader.loadFile(file, dir, ROUTES))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir.resolve("extract.mustache").toAbsolutePath().normalize() + ":" + line + ": " + tag.replaceAll("x\\{\\{/.*", "") + ": " + message)
                .hasMessageContaining("(the prompt of stages[0] 'extract', " + file.toAbsolutePath().normalize() + ":19;");
    }

    @Test
    void anEarlierStagesOutputIsCheckedAgainstItsSchemaAndEveryProblemIsListed() throws IOException {
        Path file = write(GOOD_EXTRACT, GOOD_SUMMARY.replace("{{task}}", "{{tsak}}").replace("{{#stages.extract.items}}", "{{#stages.extract.itmes}}{{/stages.extract.itmes}}{{#stages.extract.items}}"));
        assertThatThrownBy(() -> WorkflowLoader.loadFile(file, dir, ROUTES))
                .hasMessageContaining("summary.mustache:2: {{#stages.extract.itmes}}: stages.extract has no property 'itmes' in its schema (properties: items); did you mean stages.extract.items?")
                .hasMessageContaining("summary.mustache:3: {{tsak}}: 'tsak' is not a name this template can use (it sees task, owner, input, stages); did you mean task?");
    }

    @Test
    void aLineAfterADelimiterChangeIsStillCounted() throws IOException {
        Path file = write(GOOD_EXTRACT, GOOD_SUMMARY.replace("<%input.transcript%>", "<%input.transcrpt%>"));
        assertThatThrownBy(() -> WorkflowLoader.loadFile(file, dir, ROUTES))
                .hasMessageContaining("summary.mustache:6: <%input.transcrpt%>: input has no property 'transcrpt'");
    }

    @Test
    void aContextThatLeavesAFieldOutStillRefusesItByTheContext() throws IOException {
        Files.writeString(dir.resolve("extract.mustache"), GOOD_EXTRACT);
        Files.writeString(dir.resolve("summary.mustache"), GOOD_SUMMARY);
        Path file = dir.resolve("action-items.yaml");
        Files.writeString(file, WORKFLOW.replace("stages:\n  - id: extract", "context: { input: [attendees] }\nstages:\n  - id: extract"));
        assertThatThrownBy(() -> WorkflowLoader.loadFile(file, dir, ROUTES))
                .hasMessageContaining("prompt extract.mustache uses input.company, input.transcript, which this context does not declare");
    }

    @Test
    void anInputSchemaWithoutPropertiesLetsEveryNameThrough() throws IOException {
        Files.writeString(dir.resolve("p.mustache"), "{{input.anything.at.all}} {{#input.list}}{{whatever}}{{/input.list}}");
        Path file = dir.resolve("open.yaml");
        Files.writeString(file, """
                workflow: team/open
                version: 1
                input: { type: object }
                stages:
                  - id: only
                    model: { prompt: p.mustache, route: [primary] }
                    output: { schema: { type: object } }
                """);
        assertThatCode(() -> WorkflowLoader.loadFile(file, dir, ROUTES)).doesNotThrowAnyException();
    }

    @Test
    void toolPathsAndBodiesAndFunctionTemplatesAreCheckedAtTheirOwnLine() throws IOException {
        Files.writeString(dir.resolve("p.mustache"), "{{input.text}}");
        String workflow = """
                workflow: team/tools
                version: 1
                input: { type: object, properties: { text: { type: string }, customer: { type: string } } }
                stages:
                  - id: ask
                    model:
                      prompt: p.mustache
                      route: [primary]
                      tools:
                        - name: lookup
                          tool: crm
                          path: "/orders/{{args.order_id}}"
                          parameters: { type: object, properties: { order_id: { type: string } } }
                    output: { schema: { type: object, properties: { reply: { type: string } } } }
                  - id: note
                    tool:
                      name: crm
                      path: "/customers/{{input.customer}}/notes"
                      scope: draft
                      body: { text: "{{stages.ask.reply}}", by: "{{input.customer}}" }
                """;
        Path file = dir.resolve("tools.yaml");
        Files.writeString(file, workflow);
        assertThatCode(() -> WorkflowLoader.loadFile(file, dir, ROUTES)).doesNotThrowAnyException();

        Files.writeString(file, workflow.replace("{{args.order_id}}", "{{args.orderid}}"));
        assertThatThrownBy(() -> WorkflowLoader.loadFile(file, dir, ROUTES))
                .hasMessageStartingWith(file.toAbsolutePath().normalize() + ":12: stages[0].model.tools[0].path: {{args.orderid}}: args has no property 'orderid'")
                .hasMessageContaining("did you mean args.order_id?");
        Files.writeString(file, workflow.replace("{{stages.ask.reply}}", "{{stages.ask.replies}}"));
        assertThatThrownBy(() -> WorkflowLoader.loadFile(file, dir, ROUTES))
                .hasMessageStartingWith(file.toAbsolutePath().normalize() + ":20: stages[1].tool.body.text: {{stages.ask.replies}}: stages.ask has no property 'replies'");
        Files.writeString(file, workflow.replace("/customers/{{input.customer}}", "/customers/{{input.custmer}}"));
        assertThatThrownBy(() -> WorkflowLoader.loadFile(file, dir, ROUTES))
                .hasMessageStartingWith(file.toAbsolutePath().normalize() + ":18: stages[1].tool.path: {{input.custmer}}")
                .hasMessageContaining("did you mean input.customer?");
    }

    @Test
    void aDefinitionReadBackFromTheDatabaseIsNotRefusedForAPromptItWasRegisteredWith() throws IOException {
        Path file = write(GOOD_EXTRACT, GOOD_SUMMARY);
        WorkflowDefinition d = WorkflowLoader.loadFile(file, dir, ROUTES);
        // A version registered before the check existed may hold a name the check would refuse: its jobs must still run.
        var stored = (tools.jackson.databind.node.ObjectNode) d.document().deepCopy();
        ((tools.jackson.databind.node.ObjectNode) stored.at("/stages/0/model")).put("prompt_source", "{{input.transcrip}}");
        WorkflowDefinition back = WorkflowDefinition.fromStored(Json.canonical(stored), "stored meetings/action-items v1");
        assertThat(back.stages().getFirst()).isInstanceOf(ModelStage.class);
    }
}
