package dev.mainstay.workflow;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import dev.mainstay.ContentHash;
import dev.mainstay.Json;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A Mustache prompt with its identity: the file name and the hash of its text. The hash, not the
 * file name, is what provenance records, so an edited prompt is always told apart.
 *
 * <p>The template sees {@code input} (the job input, defaults applied) and {@code stages.<id>}
 * (outputs of earlier stages). Nothing is HTML-escaped; a missing value renders empty.
 */
public final class PromptTemplate {
    private static final Mustache.Compiler COMPILER = Mustache.compiler().escapeHTML(false).defaultValue("").nullValue("");

    private final String name;
    private final String source;
    private final String hash;
    private final Template template;
    private final String draftOf;

    private PromptTemplate(String name, String source, Template template, String draftOf) {
        this.name = name;
        this.source = source;
        this.hash = ContentHash.sha256(source);
        this.template = template;
        this.draftOf = draftOf;
    }

    /**
     * The same prompt as part of a dev-mode draft of a workflow: its version stamp names the draft,
     * so a result produced by a draft is never mistaken for one of the registered version.
     *
     * @param workflowHash the content hash of the draft definition
     */
    PromptTemplate inDraft(String workflowHash) {
        return new PromptTemplate(name, source, template, workflowHash);
    }

    /** @throws IllegalArgumentException if the text is not a valid template */
    public static PromptTemplate compile(String name, String source) {
        try {
            return new PromptTemplate(name, source, COMPILER.compile(source), null);
        } catch (MustacheException e) {
            throw new IllegalArgumentException("not a valid Mustache template: " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    public String hash() {
        return hash;
    }

    /**
     * {@code name@shorthash}, the prompt's version stamp; in a dev-mode draft
     * {@code name@shorthash+dev.<short hash of the draft workflow>}.
     */
    public String version() {
        return name + "@" + ContentHash.shortForm(hash) + (draftOf == null ? "" : dev.mainstay.job.Provenance.DEV_MARKER + ContentHash.shortForm(draftOf));
    }

    /** Calls {@code visitor} with every variable and section name, in template order. */
    void visit(PromptContext.NameVisitor visitor) {
        template.visit(visitor.asMustache());
    }

    public String render(JsonNode input, Map<String, JsonNode> stageOutputs) {
        Map<String, Object> context = new AnswersEveryKey();
        context.put("input", input == null ? new AnswersEveryKey() : plain(input));
        Map<String, Object> stages = new AnswersEveryKey();
        stageOutputs.forEach((id, output) -> stages.put(id, plain(output)));
        context.put("stages", stages);
        return template.execute(context);
    }

    /**
     * Plain Java values for Mustache, with maps that answer every key: an optional field the
     * caller left out renders empty instead of failing the job.
     */
    private static Object plain(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isObject()) {
            Map<String, Object> out = new AnswersEveryKey();
            node.properties().forEach(e -> out.put(e.getKey(), plain(e.getValue())));
            return out;
        }
        if (node.isArray()) {
            java.util.List<Object> out = new java.util.ArrayList<>();
            node.values().forEach(v -> out.add(plain(v)));
            return out;
        }
        // The usual scalars directly: a conversion through the mapper costs a token buffer per value.
        if (node.isString()) {
            return node.asString();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isInt()) {
            return node.intValue();
        }
        if (node.isLong()) {
            return node.longValue();
        }
        if (node.isDouble()) {
            return node.doubleValue();
        }
        return Json.MAPPER.convertValue(node, Object.class);
    }

    private static final class AnswersEveryKey extends java.util.LinkedHashMap<String, Object> {
        @Override
        public boolean containsKey(Object key) {
            // Mustache first looks up a compound name ("input.document") whole; that one must miss.
            return !(key instanceof String k && k.indexOf('.') >= 0) || super.containsKey(key);
        }
    }
}
