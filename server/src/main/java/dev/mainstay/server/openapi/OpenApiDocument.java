package dev.mainstay.server.openapi;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.contract.SchemaSampler;
import dev.mainstay.job.JobStatus;
import dev.mainstay.workflow.Latency;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.StageDefinition;
import dev.mainstay.workflow.WorkflowDefinition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAPI 3.1 document of a node's HTTP API, built from the workflows it runs: one operation
 * per workflow whose request body is the workflow's input schema and whose answer is the job
 * envelope with the workflow's output schema as its {@code result}, then every fixed endpoint,
 * the RFC 9457 problem, the headers and the security scheme. The caller passes only the workflows
 * it may show (those a key's roles may run), so the document never names the others.
 *
 * <p>A workflow's schemas are JSON Schema 2020-12, which OpenAPI 3.1 takes as they are; only their
 * local references ({@code #/$defs/…}) are rewritten to the place the schema takes in this document.
 */
public final class OpenApiDocument {
    private static final String EXAMPLE_TEXT = "Mainstay runs each AI feature as a durable job. Jobs survive restarts. "
            + "Every result carries its provenance.";
    private static final String PROBLEM = "application/problem+json";

    private OpenApiDocument() {
    }

    /**
     * The document.
     *
     * @param version Mainstay's version, the document's {@code info.version}
     * @param serverUrl where the API is served, e.g. {@code http://127.0.0.1:8080}; {@code null} for
     *     {@code /}, the address the document was fetched from
     * @param workflows the workflows to describe, already filtered to those the reader may run
     * @param withKey whether the document was asked for with a key (it says how to get the workflows otherwise)
     */
    public static ObjectNode build(String version, String serverUrl, List<WorkflowDefinition> workflows, boolean withKey) {
        ObjectNode doc = Json.object();
        doc.put("openapi", "3.1.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Mainstay API");
        info.put("version", version);
        info.put("description", "Every AI feature of this node as a typed endpoint that runs a durable job. "
                + (withKey ? "This document lists the workflows the calling key may run."
                        : "Ask with an API key (Authorization: Bearer) to see the workflows that key may run."));
        info.putObject("license").put("name", "Proprietary").put("identifier", "LicenseRef-Proprietary");
        // A relative server is where the document was fetched from: the node itself, behind whatever proxy.
        doc.putArray("servers").addObject().put("url", serverUrl == null ? "/" : serverUrl).put("description", "this node");
        doc.putArray("security").addObject().putArray("apiKey");
        ArrayNode tags = doc.putArray("tags");
        tag(tags, "workflows", "Submit jobs to the workflows this node runs.");
        tag(tags, "jobs", "Read, follow, cancel and replay jobs.");
        tag(tags, "reviews", "Human decisions on what a job produced.");
        tag(tags, "usage", "Tokens and cost.");
        tag(tags, "admin", "Operator endpoints; they take an admin key.");
        tag(tags, "health", "Liveness and readiness, without a key.");
        tag(tags, "meta", "This document.");

        ObjectNode components = Json.object();
        ObjectNode schemas = components.putObject("schemas");
        commonSchemas(schemas);
        ObjectNode paths = doc.putObject("paths");
        List<WorkflowDefinition> sorted = workflows.stream().sorted(Comparator.comparing(WorkflowDefinition::name)).toList();
        for (WorkflowDefinition w : sorted) {
            workflow(paths, schemas, w);
        }
        for (Operation op : Operations.ALL) {
            fixed(paths, op);
        }
        components.set("parameters", parameters());
        components.set("headers", headers());
        components.set("responses", problemResponses());
        components.putObject("securitySchemes").putObject("apiKey")
                .put("type", "http").put("scheme", "bearer")
                .put("description", "An API key (ms_live_… for an account, ms_admin_… for an operator) sent as a bearer token.");
        doc.set("components", components);
        return doc;
    }

    /** Every operation id in a document, for callers that list them. */
    public static List<String> operationIds(JsonNode doc) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                if (op.getValue().has("operationId")) {
                    out.add(op.getValue().get("operationId").asString());
                }
            }
        }
        return out;
    }

    private static void tag(ArrayNode tags, String name, String description) {
        tags.addObject().put("name", name).put("description", description);
    }

    // ---- workflows -----------------------------------------------------------------------------

    private static void workflow(ObjectNode paths, ObjectNode schemas, WorkflowDefinition w) {
        String base = typeName(w.name());
        String input = base + "Input";
        String job = base + "Job";
        schemas.set(input, relocate(w.input().node(), "#/components/schemas/" + input));
        ObjectNode envelope = schemas.putObject(job);
        envelope.put("description", "The job envelope of " + w.name() + ", its result checked against the workflow's output schema.");
        ArrayNode allOf = envelope.putArray("allOf");
        allOf.addObject().put("$ref", "#/components/schemas/Job");
        ObjectNode result = allOf.addObject().put("type", "object").putObject("properties").putObject("result");
        Optional<JsonNode> output = outputSchema(w);
        if (output.isPresent()) {
            String outName = base + "Output";
            schemas.set(outName, relocate(output.get(), "#/components/schemas/" + outName));
            result.put("description", "The last stage's output once the job has a result (a draft may be partial); null before.");
            ArrayNode any = result.putArray("anyOf");
            any.addObject().put("$ref", "#/components/schemas/" + outName);
            any.addObject().put("type", "null");
        } else {
            result.put("description", "The last stage's output (a tool's JSON answer); null before the job has one.");
        }

        ObjectNode op = paths.putObject(w.path()).putObject("post");
        op.put("operationId", "submit" + base);
        op.putArray("tags").add("workflows");
        op.put("summary", w.description() == null || w.description().isBlank() ? "Submits a job to " + w.name() : firstSentence(w.description()));
        op.put("description", description(w));
        ArrayNode params = op.putArray("parameters");
        params.addObject().put("$ref", "#/components/parameters/IdempotencyKey");
        if (w.latency() == Latency.WAIT) {
            params.addObject().put("$ref", "#/components/parameters/Prefer");
        }
        ObjectNode body = op.putObject("requestBody");
        body.put("required", true);
        ObjectNode media = body.putObject("content").putObject("application/json");
        media.putObject("schema").put("$ref", "#/components/schemas/" + input);
        JsonNode example = example(w.input().node());
        if (example != null) {
            media.putObject("examples").putObject("document").put("summary", "A request built from the input schema").set("value", example);
        }
        ObjectNode responses = op.putObject("responses");
        if (w.latency() != Latency.ASYNC) {
            jobResponse(responses, "200", "The job finished in time: its envelope with the result.", job, false);
        }
        jobResponse(responses, "202", "The job is durable and runs in the background; follow links.self or links.events.", job, true);
        for (int status : List.of(400, 401, 403, 404, 409, 413, 415, 429, 503)) {
            responses.putObject(Integer.toString(status)).put("$ref", "#/components/responses/Problem" + status);
        }
    }

    private static void jobResponse(ObjectNode responses, String status, String description, String schema, boolean accepted) {
        ObjectNode r = responses.putObject(status);
        r.put("description", description);
        ObjectNode headers = r.putObject("headers");
        headers.putObject("Location").put("$ref", "#/components/headers/Location");
        headers.putObject("Idempotent-Replayed").put("$ref", "#/components/headers/IdempotentReplayed");
        if (!accepted) {
            headers.putObject("Preference-Applied").put("$ref", "#/components/headers/PreferenceApplied");
        }
        r.putObject("content").putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/" + schema);
    }

    private static String description(WorkflowDefinition w) {
        String latency = switch (w.latency()) {
            case INSTANT -> "Answers 200 with the finished job within its deadline (" + w.deadline().toSeconds() + " s).";
            case WAIT -> "Answers 202 at once, or 200 with the finished job when Prefer: wait=N is sent and it finishes within N seconds.";
            case ASYNC -> "Always answers 202 at once; follow the job with GET /v1/jobs/{id}, its event stream, or a webhook.";
        };
        return (w.description() == null ? "" : w.description().strip() + "\n\n") + "Workflow " + w.name() + " version " + w.version()
                + ", latency " + w.latency().wire() + ". " + latency;
    }

    /** The output schema of the last model stage, when the last stage is one: the shape of a job's result. */
    private static Optional<JsonNode> outputSchema(WorkflowDefinition w) {
        if (w.stages().isEmpty()) {
            return Optional.empty();
        }
        StageDefinition last = w.stages().getLast();
        return last instanceof ModelStage m && m.output() != null ? Optional.of(m.output().schema().node()) : Optional.empty();
    }

    private static JsonNode example(JsonNode schema) {
        try {
            return SchemaSampler.answer(schema, "", EXAMPLE_TEXT);
        } catch (RuntimeException e) {
            return null; // a schema the sampler cannot fill gets no example rather than a wrong one
        }
    }

    /**
     * A copy of {@code schema} placed at {@code at}: its local references point into it there, and
     * its {@code $schema}/{@code $id} go (an {@code $id} would make its references resolve against
     * another base).
     */
    static JsonNode relocate(JsonNode schema, String at) {
        JsonNode copy = schema.deepCopy();
        if (copy instanceof ObjectNode o) {
            o.remove("$schema");
            o.remove("$id");
        }
        rewrite(copy, at);
        return copy;
    }

    private static void rewrite(JsonNode node, String at) {
        if (node instanceof ObjectNode o) {
            JsonNode ref = o.get("$ref");
            if (ref != null && ref.isString() && ref.asString().startsWith("#")) {
                o.put("$ref", at + ref.asString().substring(1));
            }
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                rewrite(e.getValue(), at);
            }
        } else if (node instanceof ArrayNode a) {
            a.forEach(n -> rewrite(n, at));
        }
    }

    /** {@code briefs/extract-key-points} → {@code BriefsExtractKeyPoints}. */
    static String typeName(String workflow) {
        StringBuilder out = new StringBuilder();
        for (String part : workflow.split("[^A-Za-z0-9]+")) {
            if (!part.isEmpty()) {
                out.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return out.toString();
    }

    private static String firstSentence(String text) {
        String t = text.strip();
        int dot = t.indexOf(". ");
        return dot < 0 ? t : t.substring(0, dot + 1);
    }

    // ---- fixed endpoints -----------------------------------------------------------------------

    private static void fixed(ObjectNode paths, Operation op) {
        ObjectNode path = paths.has(op.path()) ? (ObjectNode) paths.get(op.path()) : paths.putObject(op.path());
        ObjectNode o = path.putObject(op.method().toLowerCase(Locale.ROOT));
        o.put("operationId", op.id());
        o.putArray("tags").add(op.tag());
        o.put("summary", op.summary());
        if (op.access() == Operation.Access.NONE) {
            ArrayNode security = o.putArray("security");
            security.addObject();
            if (op.id().equals("openApi")) {
                security.addObject().putArray("apiKey");
            }
        } else if (op.access() == Operation.Access.ADMIN) {
            o.put("description", "Takes an admin key.");
        }
        ArrayNode params = o.putArray("parameters");
        for (String name : pathParameters(op.path())) {
            if (name.equals("suite")) {
                params.addObject().put("name", name).put("in", "path").put("required", true)
                        .put("description", "An eval suite's name: 1 to 64 lowercase letters, digits, '.', '_' and '-'.")
                        .putObject("schema").put("type", "string").put("pattern", "^[a-z0-9._-]{1,64}$");
                continue;
            }
            params.addObject().put("name", name).put("in", "path").put("required", true)
                    .put("description", "An id: 1 to 80 letters, digits and _.")
                    .putObject("schema").put("type", "string").put("pattern", "^[A-Za-z0-9_]{1,80}$");
        }
        for (Operation.Query q : op.query()) {
            params.addObject().put("name", q.name()).put("in", "query").put("required", false).put("description", q.description())
                    .putObject("schema").put("type", q.type());
        }
        boolean stream = op.id().equals("jobEvents") || op.id().equals("accountEvents");
        if (stream) {
            params.addObject().put("$ref", "#/components/parameters/LastEventId");
        }
        if (params.isEmpty()) {
            o.remove("parameters");
        }
        if (op.body() != null) {
            o.putObject("requestBody").put("required", true).putObject("content").putObject("application/json")
                    .putObject("schema").put("$ref", "#/components/schemas/" + op.body());
        }
        ObjectNode responses = o.putObject("responses");
        ObjectNode ok = responses.putObject(Integer.toString(op.status()));
        ok.put("description", op.summary());
        ObjectNode content = ok.putObject("content");
        if (op.id().equals("openApi")) {
            content.putObject("application/json").putObject("schema").put("type", "object")
                    .put("description", "An OpenAPI 3.1 document.");
        } else if (op.response() != null) {
            content.putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/" + op.response());
        }
        if (stream) {
            content.putObject("text/event-stream").putObject("schema").put("type", "string")
                    .put("description", "Server-Sent Events: id is the event's sequence number (the job stream) or its cursor (the account"
                            + " stream), event its type, data the event as JSON; a comment every 15 s keeps the connection open."
                            + " Reconnect with Last-Event-ID to resume with no gap and no repeat.");
        }
        if (op.id().equals("healthReady")) {
            responses.putObject("503").put("description", "The node is stopping or its store does not answer.")
                    .putObject("content").putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/Health");
        }
        for (int status : op.problems()) {
            if (status != 503 || !op.id().equals("healthReady")) {
                responses.putObject(Integer.toString(status)).put("$ref", "#/components/responses/Problem" + status);
            }
        }
    }

    /** What {@code GET /v1/admin/targets} answers: each target's breaker, latency and rate limits on this node. */
    private static void targets(ObjectNode schemas) {
        ObjectNode budget = schemas.putObject("TargetRateLimit").put("type", "object")
                .put("description", "One budget of a target: configured (requests_per_minute, tokens_per_minute, concurrent) or as the provider's"
                        + " rate-limit headers last reported it (requests, tokens, input_tokens, output_tokens).");
        budget.putArray("required").add("budget").add("limit").add("remaining").add("reset_at").add("source").add("updated_at");
        ObjectNode bp = budget.putObject("properties");
        bp.putObject("budget").put("type", "string").set("examples", Json.array().add("requests").add("tokens_per_minute"));
        bp.putObject("limit").set("type", Json.array().add("integer").add("null"));
        bp.putObject("remaining").set("type", Json.array().add("integer").add("null"));
        bp.putObject("reset_at").put("format", "date-time").put("description", "When the provider said the budget is full again; null for configured budgets, which refill continuously.")
                .set("type", Json.array().add("string").add("null"));
        bp.putObject("source").put("type", "string").set("enum", Json.array().add("config").add("headers"));
        bp.putObject("updated_at").put("format", "date-time").put("description", "When the headers last said so; null for configured budgets.")
                .set("type", Json.array().add("string").add("null"));

        ObjectNode target = schemas.putObject("Target").put("type", "object");
        target.putArray("required").add("target").add("state").add("consecutive_failures").add("open_until").add("p95_ms").add("calls").add("failures")
                .add("rate_limited_until").add("rate_limits");
        ObjectNode tp = target.putObject("properties");
        tp.putObject("target").put("type", "string").set("examples", Json.array().add("openai/gpt-4o-mini"));
        tp.putObject("state").put("type", "string").set("enum", Json.array().add("closed").add("open").add("half_open"));
        tp.putObject("consecutive_failures").put("type", "integer");
        tp.putObject("open_until").put("format", "date-time").set("type", Json.array().add("string").add("null"));
        tp.putObject("p95_ms").set("type", Json.array().add("integer").add("null"));
        tp.putObject("calls").put("type", "integer");
        tp.putObject("failures").put("type", "integer");
        tp.putObject("rate_limited_until").put("format", "date-time")
                .put("description", "While a budget the headers reported as used up has not reset: when it does. Calls wait or go to the route's next target until then.")
                .set("type", Json.array().add("string").add("null"));
        tp.putObject("rate_limits").put("type", "array").putObject("items").put("$ref", "#/components/schemas/TargetRateLimit");

        ObjectNode targets = schemas.putObject("Targets").put("type", "object");
        targets.putArray("required").add("node").add("targets");
        targets.putObject("properties").putObject("node").put("type", "string");
        ((ObjectNode) targets.get("properties")).putObject("targets").put("type", "array").putObject("items").put("$ref", "#/components/schemas/Target");
    }

    private static List<String> pathParameters(String path) {
        List<String> out = new ArrayList<>();
        for (String segment : path.split("/")) {
            if (segment.startsWith("{") && segment.endsWith("}")) {
                out.add(segment.substring(1, segment.length() - 1));
            }
        }
        return out;
    }

    // ---- components ----------------------------------------------------------------------------

    private static void commonSchemas(ObjectNode schemas) {
        schemas.putObject("Object").put("type", "object").put("description", "A JSON object; docs/api.md describes its fields.");
        targets(schemas);
        ObjectNode health = schemas.putObject("Health").put("type", "object");
        health.putArray("required").add("status");
        health.putObject("properties").putObject("status").put("type", "string");

        ObjectNode problem = schemas.putObject("Problem");
        problem.put("type", "object");
        problem.put("description", "An RFC 9457 problem. Branch on code; retryable says whether the same request may succeed later.");
        problem.putArray("required").add("type").add("title").add("status").add("code").add("retryable");
        ObjectNode p = problem.putObject("properties");
        p.putObject("type").put("type", "string").set("examples", Json.array().add("urn:mainstay:problem:invalid_input"));
        p.putObject("title").put("type", "string");
        p.putObject("status").put("type", "integer");
        p.putObject("detail").put("type", "string");
        p.putObject("instance").put("type", "string");
        ArrayNode codes = p.putObject("code").put("type", "string").putArray("enum");
        Arrays.stream(ErrorCode.values()).map(ErrorCode::code).sorted().forEach(codes::add);
        p.putObject("retryable").put("type", "boolean");
        p.putObject("retry_after").put("type", "integer").put("description", "Seconds to wait before trying again, when that is known.");
        ObjectNode item = p.putObject("errors").put("type", "array").putObject("items").put("type", "object");
        item.putArray("required").add("detail");
        ObjectNode ip = item.putObject("properties");
        ip.putObject("pointer").put("type", "string").put("description", "A JSON pointer into the request body.");
        ip.putObject("parameter").put("type", "string").put("description", "A query parameter or header.");
        ip.putObject("detail").put("type", "string");

        ObjectNode error = schemas.putObject("JobError").put("type", "object");
        error.putArray("required").add("code").add("message").add("retryable");
        ObjectNode ep = error.putObject("properties");
        ep.putObject("code").put("type", "string");
        ep.putObject("message").put("type", "string");
        ep.putObject("retryable").put("type", "boolean");

        ObjectNode usage = schemas.putObject("Usage").put("type", "object");
        ObjectNode up = usage.putObject("properties");
        up.putObject("input_tokens").put("type", "integer");
        up.putObject("output_tokens").put("type", "integer");
        up.putObject("cost_usd").put("type", "string").put("description", "US dollars as a decimal string, e.g. 0.000120.");

        ObjectNode job = schemas.putObject("Job").put("type", "object");
        job.put("description", "The job envelope: what every job response carries.");
        ArrayNode required = job.putArray("required");
        List.of("id", "workflow", "workflow_version", "status", "result_type", "result", "error", "retry_after", "provenance", "usage", "timings",
                "created_at", "updated_at", "completed_at", "links").forEach(required::add);
        ObjectNode jp = job.putObject("properties");
        jp.putObject("id").put("type", "string").set("examples", Json.array().add("job_01m82g19701f33jpxkfbsc489q"));
        jp.putObject("workflow").put("type", "string");
        jp.putObject("workflow_version").put("type", "integer");
        ArrayNode statuses = jp.putObject("status").put("type", "string").putArray("enum");
        Arrays.stream(JobStatus.values()).map(JobStatus::wire).forEach(statuses::add);
        ArrayNode resultTypes = jp.putObject("result_type").putArray("enum");
        List.of("full", "draft", "fallback").forEach(resultTypes::add);
        resultTypes.addNull();
        jp.putObject("result").put("description", "The last stage's output; null before the job has one.");
        nullable(jp, "error", "#/components/schemas/JobError");
        jp.putObject("retry_after").putArray("type").add("integer").add("null");
        jp.putObject("retry_at").put("type", "string").put("format", "date-time");
        jp.putObject("dead_letter").put("type", "boolean");
        jp.putObject("provenance").putArray("type").add("object").add("null");
        jp.putObject("usage").put("$ref", "#/components/schemas/Usage");
        ObjectNode timings = jp.putObject("timings").put("type", "object").putObject("properties");
        timings.putObject("queue_ms").putArray("type").add("integer").add("null");
        timings.putObject("run_ms").putArray("type").add("integer").add("null");
        timings.putObject("total_ms").putArray("type").add("integer").add("null");
        timings.putObject("deadline_at").put("type", "string").put("format", "date-time");
        jp.putObject("stages").put("type", "array").putObject("items").put("type", "object");
        jp.putObject("idempotency_key").putArray("type").add("string").add("null");
        jp.putObject("created_at").put("type", "string").put("format", "date-time");
        jp.putObject("updated_at").put("type", "string").put("format", "date-time");
        jp.putObject("started_at").putArray("type").add("string").add("null");
        jp.putObject("completed_at").putArray("type").add("string").add("null");
        ObjectNode links = jp.putObject("links").put("type", "object");
        links.putObject("additionalProperties").put("type", "string");

        ObjectNode list = schemas.putObject("JobList").put("type", "object");
        list.putArray("required").add("jobs").add("next_cursor");
        ObjectNode lp = list.putObject("properties");
        lp.putObject("jobs").put("type", "array").putObject("items").put("$ref", "#/components/schemas/Job");
        lp.putObject("next_cursor").putArray("type").add("string").add("null");

        ObjectNode event = schemas.putObject("JobEvent").put("type", "object");
        event.putArray("required").add("seq").add("type").add("data").add("at");
        ObjectNode evp = event.putObject("properties");
        evp.putObject("seq").put("type", "integer").put("description", "Grows with every event of the job; the stream's event id.");
        evp.putObject("type").put("type", "string").set("examples", Json.array().add("submitted").add("processing").add("completed"));
        evp.putObject("data").put("description", "What the event says; null for some types.");
        evp.putObject("at").put("type", "string").put("format", "date-time");
        ObjectNode events = schemas.putObject("JobEventList").put("type", "object");
        events.putArray("required").add("events");
        events.putObject("properties").putObject("events").put("type", "array").putObject("items").put("$ref", "#/components/schemas/JobEvent");

        ObjectNode workflows = schemas.putObject("WorkflowList").put("type", "object");
        workflows.putArray("required").add("workflows");
        ObjectNode wi = workflows.putObject("properties").putObject("workflows").put("type", "array").putObject("items").put("type", "object");
        ObjectNode wp = wi.putObject("properties");
        wp.putObject("name").put("type", "string");
        wp.putObject("version").put("type", "integer");
        wp.putObject("path").put("type", "string");
        wp.putObject("latency").put("type", "string");
        wp.putObject("input_schema").put("type", "object");
    }

    private static void nullable(ObjectNode properties, String name, String ref) {
        ArrayNode any = properties.putObject(name).putArray("anyOf");
        any.addObject().put("$ref", ref);
        any.addObject().put("type", "null");
    }

    private static ObjectNode parameters() {
        ObjectNode params = Json.object();
        params.putObject("IdempotencyKey").put("name", "Idempotency-Key").put("in", "header").put("required", false)
                .put("description", "Sending the same key and body again answers with the same job, never a second one; the same key with"
                        + " another body is 409 idempotency_conflict (422 when the first is still being written). Kept per account for 24 h.")
                .putObject("schema").put("type", "string").put("pattern", "^[\\x21-\\x7e]{1,255}$");
        params.putObject("Prefer").put("name", "Prefer").put("in", "header").put("required", false)
                .put("description", "wait=N: hold the answer up to N seconds (at most 300) until the job is finished.")
                .put("example", "wait=10")
                .putObject("schema").put("type", "string");
        params.putObject("LastEventId").put("name", "Last-Event-ID").put("in", "header").put("required", false)
                .put("description", "The id of the last event received; the stream resumes right after it (what EventSource sends on reconnect).")
                .putObject("schema").put("type", "string");
        return params;
    }

    private static ObjectNode headers() {
        ObjectNode headers = Json.object();
        headers.putObject("Location").put("description", "The job's address, /v1/jobs/{id}.").putObject("schema").put("type", "string");
        headers.putObject("IdempotentReplayed").put("description", "true when the answer is an earlier job found by its Idempotency-Key.")
                .putObject("schema").put("type", "string");
        headers.putObject("PreferenceApplied").put("description", "wait=N when a Prefer: wait=N was honoured.").putObject("schema").put("type", "string");
        headers.putObject("RetryAfter").put("description", "Seconds to wait before trying again.").putObject("schema").put("type", "integer");
        return headers;
    }

    private static ObjectNode problemResponses() {
        Map<Integer, String> what = new TreeMap<>(Map.ofEntries(
                Map.entry(400, "Bad input: the problem's errors name each bad field with a JSON pointer (invalid_input)."),
                Map.entry(401, "No key, or a key that is unknown or revoked (unauthorized)."),
                Map.entry(403, "The key's roles or the account's plan do not allow this (forbidden, not_eligible)."),
                Map.entry(404, "No such workflow, job or review in the caller's account (not_found, unknown_workflow)."),
                Map.entry(406, "The request does not accept text/event-stream."),
                Map.entry(409, "The request conflicts with the resource's state (idempotency_conflict, invalid_state)."),
                Map.entry(413, "The body is larger than the node accepts (payload_too_large)."),
                Map.entry(415, "The body is not application/json (unsupported_media_type)."),
                Map.entry(422, "The request is well formed but refused (validation_failed, review_rejected)."),
                Map.entry(429, "A rate, quota, budget or open-stream limit refused it; Retry-After says when to try again."),
                Map.entry(503, "The node is overloaded or stopping; Retry-After says when to try again (overloaded).")));
        ObjectNode responses = Json.object();
        what.forEach((status, description) -> {
            ObjectNode r = responses.putObject("Problem" + status);
            r.put("description", description);
            if (status == 429 || status == 503) {
                r.putObject("headers").putObject("Retry-After").put("$ref", "#/components/headers/RetryAfter");
            }
            r.putObject("content").putObject(PROBLEM).putObject("schema").put("$ref", "#/components/schemas/Problem");
        });
        return responses;
    }
}
