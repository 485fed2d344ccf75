package dev.mainstay.workflow;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.config.YamlDocument;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The template check of one stage: what its templates render over, as a JSON Schema, and the
 * messages for names that are not there. A prompt's problems name the prompt file and the line of
 * the tag; a tool stage's or function's name the workflow file and the field.
 */
final class TemplateNames {
    private TemplateNames() {
    }

    static void check(YamlDocument doc, String p, StageDefinition stage, PromptContext context, JsonNode inputSchema, List<StageDefinition> earlier,
                      List<String> allIds, Function<String, String> promptFile) {
        Function<String, String> notes = stagesNote(stage.id(), earlier, allIds);
        switch (stage) {
            case ModelStage m -> {
                List<TemplateCheck.Problem> problems = TemplateCheck.check(m.prompt().source(), view(inputSchema, earlier, context), notes);
                if (!problems.isEmpty()) {
                    String where = promptFile.apply(m.prompt().name());
                    List<String> lines = new ArrayList<>();
                    for (TemplateCheck.Problem problem : problems) {
                        lines.add(where + ":" + problem.line() + ": " + problem.tag() + ": " + problem.message());
                    }
                    throw new ConfigException(String.join("\n", lines) + "\n  (the prompt of " + YamlDocument.field(p) + " '" + stage.id() + "', "
                            + doc.where(p + "/model/prompt") + "; a name the template cannot see renders empty)");
                }
                for (int f = 0; f < m.tools().size(); f++) {
                    ToolStage call = m.tools().get(f).call();
                    ObjectNode args = Json.object().put("type", "object").put("additionalProperties", false);
                    args.putObject("properties").set("args", m.tools().get(f).parameters().node());
                    checkCall(doc, p + "/model/tools/" + f, call, args, name -> null);
                }
            }
            case ToolStage t -> checkCall(doc, p + "/tool", t, view(inputSchema, earlier, PromptContext.ALL), notes);
        }
    }

    /** A tool call's {@code path} and the strings of its {@code body}. */
    private static void checkCall(YamlDocument doc, String pointer, ToolStage call, JsonNode view, Function<String, String> notes) {
        checkText(doc, pointer + "/path", call.path(), view, notes);
        if (call.body() != null) {
            checkBody(doc, pointer + "/body", call.body(), view, notes);
        }
    }

    private static void checkBody(YamlDocument doc, String pointer, JsonNode body, JsonNode view, Function<String, String> notes) {
        if (body.isString()) {
            checkText(doc, pointer, body.stringValue(), view, notes);
        } else if (body.isObject()) {
            body.properties().forEach(e -> checkBody(doc, pointer + "/" + e.getKey().replace("~", "~0").replace("/", "~1"), e.getValue(), view, notes));
        } else if (body.isArray()) {
            for (int i = 0; i < body.size(); i++) {
                checkBody(doc, pointer + "/" + i, body.get(i), view, notes);
            }
        }
    }

    private static void checkText(YamlDocument doc, String pointer, String text, JsonNode view, Function<String, String> notes) {
        if (text == null || !text.contains("{{")) {
            return;
        }
        List<TemplateCheck.Problem> problems = TemplateCheck.check(text, view, notes);
        if (!problems.isEmpty()) {
            TemplateCheck.Problem first = problems.getFirst();
            throw doc.error(pointer, first.tag() + ": " + first.message());
        }
    }

    /**
     * {@code {input, stages}} as the stage's templates see them: the input schema (only the
     * declared fields, under a context), and the output schema of each earlier stage in scope. A
     * tool stage's output is whatever the integration answered, so it is not checked.
     */
    private static JsonNode view(JsonNode inputSchema, List<StageDefinition> earlier, PromptContext context) {
        ObjectNode root = Json.object().put("type", "object").put("additionalProperties", false);
        ObjectNode props = root.putObject("properties");
        JsonNode input = inputSchema;
        if (context.input() != null && inputSchema.path("properties").isObject()) {
            ObjectNode narrowed = (ObjectNode) inputSchema.deepCopy();
            ObjectNode kept = narrowed.putObject("properties");
            inputSchema.get("properties").properties().forEach(e -> {
                if (context.input().contains(e.getKey())) {
                    kept.set(e.getKey(), e.getValue());
                }
            });
            narrowed.put("additionalProperties", false);
            input = narrowed;
        }
        props.set("input", input);
        ObjectNode stages = props.putObject("stages").put("type", "object").put("additionalProperties", false);
        ObjectNode outputs = stages.putObject("properties");
        for (StageDefinition s : earlier) {
            if (context.stages() == null || context.stages().contains(s.id())) {
                outputs.set(s.id(), switch (s) {
                    case ModelStage m -> m.output().schema().node();
                    case ToolStage t -> Json.MAPPER.getNodeFactory().booleanNode(true);
                });
            }
        }
        return root;
    }

    /** Why {@code stages.<id>} cannot be used from stage {@code self}, or {@code null} when it is an earlier stage. */
    private static Function<String, String> stagesNote(String self, List<StageDefinition> earlier, List<String> allIds) {
        List<String> before = earlier.stream().map(StageDefinition::id).toList();
        return name -> {
            if (!name.startsWith("stages.")) {
                return null;
            }
            String id = name.substring("stages.".length());
            if (before.contains(id)) {
                return null;
            }
            if (id.equals(self)) {
                return "a stage cannot use its own output ('" + id + "' is this stage)";
            }
            if (allIds.contains(id)) {
                return "stage '" + id + "' runs after this one; a stage sees the outputs of earlier stages only";
            }
            return "'" + id + "' is not a stage of this workflow (earlier stages: " + (before.isEmpty() ? "none, this is the first" : String.join(", ", before)) + ")";
        };
    }
}
