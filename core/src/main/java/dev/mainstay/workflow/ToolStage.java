package dev.mainstay.workflow;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import dev.mainstay.Json;
import dev.mainstay.tool.ToolScope;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A stage that calls an integration over HTTP: {@code method} to the tool's base URL plus
 * {@code path}, with {@code body}. Path and body are templates over {@code input} and
 * {@code stages.<id>} (earlier stages' outputs): a string that is exactly one {@code {{name}}}
 * becomes that JSON value, any other string is rendered with Mustache. The stage's output is the
 * integration's JSON answer.
 *
 * @param timeout overrides the tool's configured timeout, or {@code null}
 * @param approvalExpires how long an {@code execute} call waits for a person before it is rejected
 * @param callback how the result comes back when the stage is {@code mode: callback}, or
 *     {@code null} when the tool's HTTP answer is the result ({@code mode: call})
 */
public record ToolStage(String id, String tool, String method, String path, JsonNode body, ToolScope scope, Duration timeout,
                        Duration approvalExpires, boolean optional, Callback callback) implements StageDefinition {
    public static final Duration DEFAULT_APPROVAL_EXPIRY = Duration.ofHours(24);
    /** How long a callback stage waits for its callback unless it says otherwise. */
    public static final Duration DEFAULT_CALLBACK_TIMEOUT = Duration.ofHours(1);

    /**
     * A callback stage: the tool is sent the request with a callback URL, and the stage's output is
     * what is posted to that URL, checked against {@code result}, within {@code timeout}.
     */
    public record Callback(Duration timeout, dev.mainstay.contract.JsonSchema result) {
        public Callback {
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(result, "result");
        }
    }

    /** A stage whose result is the tool's HTTP answer. */
    public ToolStage(String id, String tool, String method, String path, JsonNode body, ToolScope scope, Duration timeout, Duration approvalExpires,
            boolean optional) {
        this(id, tool, method, path, body, scope, timeout, approvalExpires, optional, null);
    }
    private static final Pattern SINGLE = Pattern.compile("^\\{\\{\\s*([A-Za-z0-9_.\\-]+)\\s*}}$");
    private static final Mustache.Compiler MUSTACHE = Mustache.compiler().escapeHTML(false).defaultValue("");
    /** Values substituted into a path are one percent-encoded segment each: they cannot add segments, a query or {@code ..}. */
    private static final Mustache.Compiler PATH_MUSTACHE = Mustache.compiler().withEscaper(ToolStage::pathSegment).defaultValue("");

    public ToolStage {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(scope, "scope");
    }

    @Override
    public RetryPolicy retry() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO); // a tool's own retries are configured on the tool
    }

    /** The request this stage sends for a job: {@code {method, path, body}}. */
    public ObjectNode request(JsonNode input, Map<String, JsonNode> stageOutputs) {
        ObjectNode view = Json.object();
        view.set("input", input);
        ObjectNode stages = view.putObject("stages");
        stageOutputs.forEach(stages::set);
        return request(view);
    }

    /** The request over any view, e.g. {@code {args}} for a function a model asked for. */
    public ObjectNode request(ObjectNode view) {
        ObjectNode out = Json.object().put("method", method).put("path", PATH_MUSTACHE.compile(path).execute(Json.MAPPER.convertValue(view, Object.class)));
        if (body != null) {
            out.set("body", fill(body, view));
        }
        return out;
    }

    private static JsonNode fill(JsonNode template, ObjectNode view) {
        if (template.isString()) {
            return render(template.asString(), view);
        }
        if (template.isObject()) {
            ObjectNode out = Json.object();
            template.properties().forEach(e -> out.set(e.getKey(), fill(e.getValue(), view)));
            return out;
        }
        if (template.isArray()) {
            ArrayNode out = Json.array();
            template.values().forEach(v -> out.add(fill(v, view)));
            return out;
        }
        return template;
    }

    private static JsonNode render(String text, ObjectNode view) {
        Matcher single = SINGLE.matcher(text);
        if (single.matches()) {
            JsonNode v = view.at("/" + single.group(1).replace('.', '/'));
            return v.isMissingNode() ? Json.MAPPER.nullNode() : v;
        }
        Template t = MUSTACHE.compile(text);
        return Json.MAPPER.getNodeFactory().stringNode(t.execute(Json.MAPPER.convertValue(view, Object.class)));
    }

    static String pathSegment(String raw) {
        if (raw.equals(".") || raw.equals("..")) {
            return raw.replace(".", "%2E");
        }
        return java.net.URLEncoder.encode(raw, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Checks a template compiles; the message names what is wrong. */
    static void check(String text) {
        MUSTACHE.compile(text);
    }
}
