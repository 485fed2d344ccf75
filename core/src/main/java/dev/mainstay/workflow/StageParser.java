package dev.mainstay.workflow;

import dev.mainstay.Json;
import dev.mainstay.config.YamlDocument;
import dev.mainstay.contract.ConfidenceGate;
import dev.mainstay.contract.JsonSchema;
import dev.mainstay.contract.OutputContract;
import dev.mainstay.contract.Rule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads one entry of a workflow's {@code stages:} (a model, review, transform or tool stage, with
 * its tools, rules, confidence gate and schemas), so that {@link WorkflowDefinition} holds the
 * workflow-wide parts and this class the per-stage ones.
 */
final class StageParser {
    private static final Pattern STAGE_ID = Pattern.compile("[a-z0-9][a-z0-9_-]*");

    private StageParser() {
    }

    static StageDefinition stage(YamlDocument doc, String p, BiFunction<String, String, String> promptText, Set<String> knownRoutes, ObjectNode resolved) {
        doc.requireObject(p);
        for (String kind : List.of("review", "transform")) {
            if (doc.has(p + "/" + kind)) {
                throw doc.error(p + "/" + kind, "'" + kind + "' stages are not available in this version of Mainstay; a stage is a 'model' or a 'tool' stage (a review comes from the fallback ladder's 'review' rung)");
            }
        }
        if (doc.has(p + "/tool")) {
            return toolStage(doc, p);
        }
        // "tool" is listed for the message: a stage with a tool key was taken as a tool stage above.
        doc.onlyKeys(p, "id", "model", "tool", "output", "retry", "optional", "redact", "context");
        String id = stageId(doc, p);
        doc.requireObject(p + "/model");
        String m = p + "/model";
        doc.onlyKeys(m, "prompt", "prompt_source", "system", "route", "max_output_tokens", "timeout", "tools", "max_tool_calls");
        String promptName = doc.requireText(m + "/prompt");
        String text = promptText.apply(m + "/prompt", promptName);
        PromptTemplate prompt;
        try {
            prompt = PromptTemplate.compile(promptName, text);
        } catch (IllegalArgumentException e) {
            throw doc.error(m + "/prompt", e.getMessage());
        }
        ((ObjectNode) resolved.at(m)).put("prompt_source", text);
        List<String> route = doc.textList(m + "/route");
        if (route.isEmpty()) {
            throw doc.error(m + "/route", "needs at least one route name");
        }
        if (!knownRoutes.isEmpty()) {
            for (int r = 0; r < route.size(); r++) {
                if (!knownRoutes.contains(route.get(r))) {
                    throw doc.error(m + "/route/" + r, "unknown route '" + route.get(r) + "' (configured routes: " + String.join(", ", new java.util.TreeSet<>(knownRoutes)) + ")");
                }
            }
        }
        int maxTokens = doc.integer(m + "/max_output_tokens", ModelStage.DEFAULT_MAX_OUTPUT_TOKENS, 1, 1_000_000);
        Duration timeout = doc.duration(m + "/timeout", ModelStage.DEFAULT_TIMEOUT);

        doc.requireObject(p + "/output");
        doc.onlyKeys(p + "/output", "schema", "rules", "confidence");
        doc.requireObject(p + "/output/schema");
        JsonSchema outputSchema = schema(doc, p + "/output/schema");
        OutputContract output = new OutputContract(outputSchema, rules(doc, p + "/output/rules"), confidence(doc, p + "/output/confidence", outputSchema));

        RetryPolicy retry = RetryPolicy.DEFAULT;
        if (doc.has(p + "/retry")) {
            doc.requireObject(p + "/retry");
            doc.onlyKeys(p + "/retry", "attempts", "backoff", "max_backoff");
            int attempts = doc.integer(p + "/retry/attempts", RetryPolicy.DEFAULT.attempts(), 1, 100);
            Duration backoff = doc.duration(p + "/retry/backoff", RetryPolicy.DEFAULT.backoff());
            Duration max = doc.duration(p + "/retry/max_backoff", backoff.compareTo(RetryPolicy.DEFAULT.maxBackoff()) > 0 ? backoff : RetryPolicy.DEFAULT.maxBackoff());
            if (max.compareTo(backoff) < 0) {
                throw doc.error(p + "/retry/max_backoff", "must not be shorter than backoff (" + backoff + ")");
            }
            retry = new RetryPolicy(attempts, backoff, max);
        }
        List<ModelTool> functions = functions(doc, m + "/tools");
        int maxToolCalls = doc.integer(m + "/max_tool_calls", ModelStage.DEFAULT_MAX_TOOL_CALLS, 1, 32);
        return new ModelStage(id, prompt, doc.text(m + "/system").orElse(null), route, maxTokens, timeout, output, retry, doc.bool(p + "/optional", false),
                functions, maxToolCalls);
    }

    private static final java.util.regex.Pattern FUNCTION_NAME = java.util.regex.Pattern.compile("[a-zA-Z][a-zA-Z0-9_-]{0,63}");

    /** {@code tools: [{name, description, tool, method, path, body, parameters}]}: functions the model may ask for, read-only. */
    private static List<ModelTool> functions(YamlDocument doc, String pointer) {
        if (!doc.has(pointer)) {
            return List.of();
        }
        JsonNode list = doc.node(pointer);
        if (!list.isArray() || list.isEmpty()) {
            throw doc.error(pointer, "must be a list of functions, e.g. [{name: lookup_order, tool: crm, path: \"/orders/{{args.id}}\", parameters: {...}}]");
        }
        List<ModelTool> out = new ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String f = pointer + "/" + i;
            doc.requireObject(f);
            doc.onlyKeys(f, "name", "description", "tool", "method", "path", "body", "parameters");
            String name = doc.requireText(f + "/name");
            if (!FUNCTION_NAME.matcher(name).matches() || name.equals("respond")) {
                throw doc.error(f + "/name", "must be letters, digits, '_' or '-' (at most 64, not 'respond'), got '" + name + "'");
            }
            if (!names.add(name)) {
                throw doc.error(f + "/name", "function '" + name + "' is declared twice");
            }
            String method = doc.text(f + "/method").orElse("GET").toUpperCase(java.util.Locale.ROOT);
            if (!TOOL_METHODS.contains(method)) {
                throw doc.error(f + "/method", "must be one of GET, POST, PUT, PATCH, DELETE; got '" + method + "'");
            }
            String path = doc.text(f + "/path").orElse("");
            if (!path.isEmpty() && !path.startsWith("/")) {
                throw doc.error(f + "/path", "must start with '/': it is appended to the tool's base_url");
            }
            try {
                ToolStage.check(path);
            } catch (RuntimeException e) {
                throw doc.error(f + "/path", "is not a valid template: " + e.getMessage());
            }
            JsonNode body = doc.has(f + "/body") ? doc.node(f + "/body") : null;
            doc.requireObject(f + "/parameters");
            JsonSchema parameters = schema(doc, f + "/parameters");
            ToolStage call = new ToolStage(name, doc.requireText(f + "/tool"), method, path, body, dev.mainstay.tool.ToolScope.READ, null,
                    ToolStage.DEFAULT_APPROVAL_EXPIRY, false);
            out.add(new ModelTool(name, doc.text(f + "/description").orElse(null), parameters, call));
        }
        return out;
    }

    private static String stageId(YamlDocument doc, String p) {
        String id = doc.requireText(p + "/id");
        if (!STAGE_ID.matcher(id).matches()) {
            throw doc.error(p + "/id", "must be lowercase letters, digits, '-' or '_', got '" + id + "'");
        }
        return id;
    }

    private static final Set<String> TOOL_METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");

    private static ToolStage toolStage(YamlDocument doc, String p) {
        doc.onlyKeys(p, "id", "tool", "optional");
        String id = stageId(doc, p);
        String t = p + "/tool";
        doc.requireObject(t);
        doc.onlyKeys(t, "name", "method", "path", "body", "scope", "timeout", "approval_expires", "mode", "result");
        String name = doc.requireText(t + "/name");
        String method = doc.text(t + "/method").orElse("POST").toUpperCase(java.util.Locale.ROOT);
        if (!TOOL_METHODS.contains(method)) {
            throw doc.error(t + "/method", "must be one of GET, POST, PUT, PATCH, DELETE; got '" + method + "'");
        }
        String path = doc.text(t + "/path").orElse("");
        if (!path.isEmpty() && !path.startsWith("/")) {
            throw doc.error(t + "/path", "must start with '/': it is appended to the tool's base_url");
        }
        try {
            ToolStage.check(path);
        } catch (RuntimeException e) {
            throw doc.error(t + "/path", "is not a valid template: " + e.getMessage());
        }
        String scopeText = doc.text(t + "/scope").orElseThrow(() -> doc.error(t + "/scope", "is required: read, draft or execute"));
        dev.mainstay.tool.ToolScope scope = dev.mainstay.tool.ToolScope.fromWire(scopeText)
                .orElseThrow(() -> doc.error(t + "/scope", "must be read, draft or execute; got '" + scopeText + "'"));
        JsonNode body = doc.has(t + "/body") ? doc.node(t + "/body") : null;
        if (body != null && ("GET".equals(method) || "DELETE".equals(method))) {
            throw doc.error(t + "/body", "a " + method + " request sends no body; use POST, PUT or PATCH");
        }
        Duration timeout = doc.has(t + "/timeout") ? doc.duration(t + "/timeout", null) : null;
        if (doc.has(t + "/approval_expires") && scope != dev.mainstay.tool.ToolScope.EXECUTE) {
            throw doc.error(t + "/approval_expires", "only execute-scoped calls wait for an approval");
        }
        Duration expires = doc.duration(t + "/approval_expires", ToolStage.DEFAULT_APPROVAL_EXPIRY);
        String mode = doc.text(t + "/mode").orElse("call");
        ToolStage.Callback callback = null;
        switch (mode) {
            case "call" -> {
                if (doc.has(t + "/result")) {
                    throw doc.error(t + "/result", "only a callback stage (mode: callback) declares the schema of its result");
                }
            }
            case "callback" -> {
                if (scope == dev.mainstay.tool.ToolScope.DRAFT) {
                    throw doc.error(t + "/mode", "a draft call is never made, so it gets no callback; use scope read or execute");
                }
                // For a callback stage, timeout is how long the job waits for the callback; the request itself keeps the tool's timeout.
                callback = new ToolStage.Callback(timeout == null ? ToolStage.DEFAULT_CALLBACK_TIMEOUT : timeout,
                        doc.has(t + "/result") ? schema(doc, t + "/result") : JsonSchema.compile(Json.object().put("type", "object")));
                timeout = null;
            }
            default -> throw doc.error(t + "/mode", "must be call or callback; got '" + mode + "'");
        }
        return new ToolStage(id, name, method, path, body, scope, timeout, expires, doc.bool(p + "/optional", false), callback);
    }

    private static List<Rule> rules(YamlDocument doc, String pointer) {
        List<String> expressions = doc.textList(pointer);
        List<Rule> rules = new ArrayList<>(expressions.size());
        for (int i = 0; i < expressions.size(); i++) {
            try {
                rules.add(Rule.compile(expressions.get(i)));
            } catch (IllegalArgumentException e) {
                throw doc.error(doc.node(pointer).isArray() ? pointer + "/" + i : pointer, e.getMessage());
            }
        }
        return rules;
    }

    private static ConfidenceGate confidence(YamlDocument doc, String pointer, JsonSchema outputSchema) {
        if (!doc.has(pointer)) {
            return null;
        }
        doc.requireObject(pointer);
        doc.onlyKeys(pointer, "field", "min", "below");
        String field = doc.requireText(pointer + "/field");
        JsonNode type = outputSchema.node().path("properties").path(field).path("type");
        if (!type.isMissingNode() && !allowsNumbers(type)) {
            throw doc.error(pointer + "/field", "the output schema declares '" + field + "' with type " + Json.write(type)
                    + "; the confidence gate needs a number field");
        }
        JsonNode min = doc.node(pointer + "/min");
        if (min.isMissingNode() || min.isNull()) {
            throw doc.error(pointer + "/min", "is required (the lowest acceptable value of '" + field + "', e.g. 0.6)");
        }
        if (!min.isNumber() || !Double.isFinite(min.doubleValue())) {
            throw doc.error(pointer + "/min", "must be a number, got " + YamlDocument.kind(min));
        }
        String below = doc.text(pointer + "/below").orElseThrow(() -> doc.error(pointer + "/below", "is required: review or fallback"));
        ConfidenceGate.Action action;
        try {
            action = ConfidenceGate.Action.valueOf(below.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw doc.error(pointer + "/below", "must be one of review, fallback; got '" + below + "'");
        }
        return new ConfidenceGate(field, min.doubleValue(), action);
    }

    private static boolean allowsNumbers(JsonNode type) {
        for (JsonNode t : type.isArray() ? type : Json.array().add(type)) {
            if (t.isString() && ("number".equals(t.stringValue()) || "integer".equals(t.stringValue()))) {
                return true;
            }
        }
        return false;
    }

    static JsonSchema schema(YamlDocument doc, String pointer) {
        try {
            return JsonSchema.compile(doc.node(pointer));
        } catch (dev.mainstay.contract.InvalidSchemaException e) {
            throw doc.error(pointer + e.pointer(), e.getMessage());
        } catch (IllegalArgumentException e) {
            throw doc.error(pointer, e.getMessage());
        }
    }
}
