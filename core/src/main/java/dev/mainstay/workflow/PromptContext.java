package dev.mainstay.workflow;

import com.samskivert.mustache.Mustache;
import dev.mainstay.Json;
import dev.mainstay.config.YamlDocument;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a stage's prompt may see: a workflow's {@code context} block, at workflow or stage level.
 *
 * <pre>{@code
 * context: { input: [ticket, tone], stages: [triage] }
 * }</pre>
 *
 * Only the listed top-level input fields and the outputs of the listed earlier stages reach the
 * prompt template; everything else renders empty and never reaches a provider. A list left out
 * means none of that kind. Without a {@code context} block a prompt sees the whole input and every
 * earlier stage's output.
 *
 * @param input the top-level input fields the prompt may use, or {@code null} for all of them
 * @param stages the earlier stages whose outputs the prompt may use, or {@code null} for all of them
 */
public record PromptContext(Set<String> input, Set<String> stages) {
    /** No scoping: the whole input and every earlier output. */
    public static final PromptContext ALL = new PromptContext(null, null);

    public PromptContext {
        input = input == null ? null : Collections.unmodifiableSet(new LinkedHashSet<>(input));
        stages = stages == null ? null : Collections.unmodifiableSet(new LinkedHashSet<>(stages));
    }

    /** Whether the prompt sees everything. */
    public boolean isAll() {
        return input == null && stages == null;
    }

    /** The input with only the declared fields. */
    public JsonNode input(JsonNode full) {
        if (input == null || full == null || !full.isObject()) {
            return full;
        }
        ObjectNode out = Json.object();
        full.properties().forEach(e -> {
            if (input.contains(e.getKey())) {
                out.set(e.getKey(), e.getValue());
            }
        });
        return out;
    }

    /** The earlier outputs of the declared stages only. */
    public Map<String, JsonNode> stages(Map<String, JsonNode> earlier) {
        if (stages == null) {
            return earlier;
        }
        Map<String, JsonNode> out = new LinkedHashMap<>();
        earlier.forEach((id, output) -> {
            if (stages.contains(id)) {
                out.put(id, output);
            }
        });
        return out;
    }

    /**
     * Reads a {@code context} block.
     *
     * @param inherited the workflow's context, for a stage without its own block
     * @param inputFields the top-level properties of the input schema; empty to skip the check
     * @param stageIds the stages a listed stage may name (earlier ones, for a stage's block)
     */
    static PromptContext parse(YamlDocument doc, String pointer, PromptContext inherited, Set<String> inputFields, List<String> stageIds) {
        if (!doc.has(pointer) || doc.node(pointer).isNull()) {
            return inherited;
        }
        doc.requireObject(pointer);
        doc.onlyKeys(pointer, "input", "stages");
        List<String> input = doc.textList(pointer + "/input");
        for (int i = 0; i < input.size(); i++) {
            if (!inputFields.isEmpty() && !inputFields.contains(input.get(i))) {
                throw doc.error(item(doc, pointer + "/input", i), "'" + input.get(i) + "' is not a property of the input schema (properties: "
                        + String.join(", ", inputFields) + ")");
            }
        }
        List<String> stages = doc.textList(pointer + "/stages");
        for (int i = 0; i < stages.size(); i++) {
            if (!stageIds.contains(stages.get(i))) {
                throw doc.error(item(doc, pointer + "/stages", i), "'" + stages.get(i) + "' is not " + (stageIds.isEmpty()
                        ? "an earlier stage: this stage is the first" : "an earlier stage (earlier: " + String.join(", ", stageIds) + ")"));
            }
        }
        return new PromptContext(new LinkedHashSet<>(input), new LinkedHashSet<>(stages));
    }

    private static String item(YamlDocument doc, String list, int i) {
        return doc.node(list).isArray() ? list + "/" + i : list;
    }

    /**
     * The names the template uses under {@code input.} or {@code stages.} that this context does not
     * declare, e.g. {@code input.customer_email}; empty when every reference is declared. Mustache
     * looks a name up in every enclosing section, so names are checked wherever they stand.
     */
    List<String> undeclared(PromptTemplate template) {
        if (isAll()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        template.visit(name -> {
            String[] parts = name.split("\\.", 3);
            if (parts.length < 2) {
                return;
            }
            Set<String> declared = switch (parts[0]) {
                case "input" -> input;
                case "stages" -> stages;
                default -> null;
            };
            if (declared != null && !declared.contains(parts[1]) && !out.contains(parts[0] + "." + parts[1])) {
                out.add(parts[0] + "." + parts[1]);
            }
        });
        return out;
    }

    /** A visitor of every variable and section name of a template. */
    interface NameVisitor {
        void name(String name);

        default Mustache.Visitor asMustache() {
            return new Mustache.Visitor() {
                @Override
                public void visitText(String text) {
                }

                @Override
                public void visitVariable(String name) {
                    name(name);
                }

                @Override
                public boolean visitInclude(String name) {
                    return false;
                }

                @Override
                public boolean visitSection(String name) {
                    name(name);
                    return true;
                }

                @Override
                public boolean visitInvertedSection(String name) {
                    name(name);
                    return true;
                }
            };
        }
    }
}
