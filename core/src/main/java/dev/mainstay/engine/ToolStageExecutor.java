package dev.mainstay.engine;

import dev.mainstay.ContentHash;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.store.AuditTrail;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.JobTransition;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.net.OutboundGuard;
import dev.mainstay.review.Review;
import dev.mainstay.store.Store;
import dev.mainstay.tool.ToolCall;
import dev.mainstay.tool.ToolScope;
import dev.mainstay.tool.ToolSpec;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.ModelTool;
import dev.mainstay.workflow.ToolStage;
import dev.mainstay.provider.ToolRequest;
import dev.mainstay.workflow.WorkflowDefinition;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.tracing.TraceSpan;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs tool stages. The effect of a call is bracketed in the store: the intent is recorded before
 * the request leaves and the outcome after the answer, and every attempt, retry, replay and node
 * sends the same {@code Idempotency-Key: <job id>/<stage id>}, so a crash between the two makes no
 * second effect at an integration that honours the key, and a call recorded as done is never made
 * again. An {@code execute} call is only made after a person approved it through the review API;
 * a {@code draft} call is never made: its request is the stage's output, for a person to apply.
 */
final class ToolStageExecutor {
    private static final int MAX_RESPONSE_CHARS = 1_000_000;

    private final Store store;
    private final Map<String, ToolSpec> tools;
    private final Clock clock;
    private final EngineConfig config;
    private final JobIds ids;
    private final HttpClient http;
    private volatile dev.mainstay.webhook.CallbackTokens callbackTokens;
    private volatile java.util.function.Supplier<URI> callbackBase;

    private final JobSpans spans;

    ToolStageExecutor(Store store, Map<String, ToolSpec> tools, Clock clock, EngineConfig config, JobIds ids) {
        this(store, tools, clock, config, ids, JobSpans.NONE);
    }

    ToolStageExecutor(Store store, Map<String, ToolSpec> tools, Clock clock, EngineConfig config, JobIds ids, JobSpans spans) {
        this.spans = spans;
        this.store = store;
        this.tools = Map.copyOf(tools);
        this.clock = clock;
        this.config = config;
        this.ids = ids;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Lets callback stages run: their tokens, and where their callback URLs point. */
    void callbacks(dev.mainstay.webhook.CallbackTokens tokens, java.util.function.Supplier<URI> base) {
        this.callbackTokens = tokens;
        this.callbackBase = base;
    }

    /**
     * One step of a tool stage: its output (the integration's answer, or a draft call's request),
     * a request for approval, or its failure. The job waits {@code waiting_for_tool} while the
     * call is made; that bracket around the effect is written here, the step's end by the runner.
     *
     * @throws InterruptedException when the job was cancelled or its lease lost before the call
     */
    StageOutcome step(Job job, WorkflowDefinition wf, int index, ToolStage stage, Map<String, JsonNode> outputs, boolean last)
            throws InterruptedException {
        Instant started = clock.instant();
        ToolSpec spec = tools.get(stage.tool());
        if (spec == null) {
            return fail(job, index, stage, last, null, "tool '" + stage.tool() + "' is not configured on node " + config.nodeId(), started);
        }
        ObjectNode request = stage.request(job.input(), outputs);
        request.put("url", url(spec, request.path("path").asString()));
        request.remove("path");
        String key = ToolCall.key(job.id(), stage.id());
        Optional<ToolCall> recorded = store.toolCall(job.id(), stage.id());

        if (stage.scope() == ToolScope.DRAFT) {
            ObjectNode draft = Json.object().put("applied", false).put("tool", stage.tool()).put("scope", "draft").put("idempotency_key", key);
            draft.set("request", request);
            return complete(job, index, stage, last, draft, ResultType.DRAFT, started, null);
        }
        if (recorded.isPresent() && recorded.get().status() == ToolCall.Status.DONE) {
            // Done before (a crash after the call, or a resumed job): the effect is not made again.
            return complete(job, index, stage, last, recorded.get().response(), ResultType.FULL, started, recorded.get());
        }
        String approvedBy = recorded.map(ToolCall::approvedBy).orElse(null);
        if (stage.scope() == ToolScope.EXECUTE && approvedBy == null) {
            return askApproval(job, wf, index, stage, request, key);
        }
        if (stage.callback() != null) {
            return callback(job, index, stage, spec, request, key, recorded, approvedBy, last, started);
        }

        Instant now = clock.instant();
        ToolCall intent = new ToolCall(job.id(), stage.id(), stage.tool(), stage.scope(), key, ToolCall.Status.INTENT, request, null, null, approvedBy, null, now);
        store.recordToolCall(intent);
        if (!store.apply(JobTransition.to(job.id(), JobStatus.WAITING_FOR_TOOL, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                .event("tool_started", Json.object().put("stage", stage.id()).put("tool", stage.tool()).put("scope", stage.scope().wire())
                        .put("idempotency_key", key)).build())) {
            throw new InterruptedException("job " + job.id() + " was cancelled or its lease lost before tool '" + stage.tool() + "' was called");
        }
        String refused = guard(request.path("url").asString(), spec);
        if (refused != null) {
            store.recordToolCall(new ToolCall(job.id(), stage.id(), stage.tool(), stage.scope(), key, ToolCall.Status.FAILED, request, null, null, approvedBy,
                    refused, clock.instant()));
            return fail(job, index, stage, last, intent, "tool '" + stage.tool() + "' was not called: " + refused, started);
        }
        Result result = traced(job, stage.id(), null, spec, stage, request, key);
        if (result.error() != null) {
            store.recordToolCall(new ToolCall(job.id(), stage.id(), stage.tool(), stage.scope(), key, ToolCall.Status.FAILED, request, null, result.status(),
                    approvedBy, result.error(), clock.instant()));
            return fail(job, index, stage, last, intent, result.error(), started);
        }
        ToolCall done = new ToolCall(job.id(), stage.id(), stage.tool(), stage.scope(), key, ToolCall.Status.DONE, request, result.body(), result.status(),
                approvedBy, null, clock.instant());
        store.recordToolCall(done);
        return complete(job, index, stage, last, result.body(), ResultType.FULL, started, done);
    }

    /**
     * A callback stage's step: the request goes out with the stage's callback URL (in the body's
     * {@code callback_url} and the {@code Mainstay-Callback-Url} header), and once the tool took it
     * the job waits, leased by no node, for the callback; the result it posts becomes the call's
     * recorded outcome, which the stage's next step finishes with. A step that finds the token
     * expired unused (the sweep sent the job back) fails as a tool that did not answer; one that
     * finds the intent alone (a node died around the request) sends it again, with the same key and
     * the same URL.
     */
    private StageOutcome callback(Job job, int index, ToolStage stage, ToolSpec spec, ObjectNode request, String key, Optional<ToolCall> recorded,
            String approvedBy, boolean last, Instant started) throws InterruptedException {
        dev.mainstay.webhook.CallbackTokens tokens = callbackTokens;
        if (tokens == null) {
            return fail(job, index, stage, last, null, "stage '" + stage.id() + "' waits for a callback, which node " + config.nodeId() + " does not take", started);
        }
        Instant now = clock.instant();
        String token = tokens.forStage(job.id(), index);
        String hash = dev.mainstay.webhook.CallbackTokens.hash(token);
        Optional<dev.mainstay.store.InboundStore.CallbackToken> issued = store.callbackToken(hash);
        if (recorded.isPresent() && recorded.get().status() == ToolCall.Status.INTENT && issued.isPresent() && issued.get().usedAt() == null
                && !issued.get().expiresAt().isAfter(now)) {
            return fail(job, index, stage, last, recorded.get(), "tool '" + stage.tool() + "' did not call back within " + stage.callback().timeout().toSeconds()
                    + " s (due by " + issued.get().expiresAt() + ")", started);
        }
        String url = callbackBase.get() + "/v1/callbacks/" + token;
        request.put("callback_url", url);
        if (request.get("body") instanceof ObjectNode body) {
            body.put("callback_url", url);
        }
        store.saveCallbackToken(new dev.mainstay.store.InboundStore.CallbackToken(hash, job.id(), index, stage.id(), now.plus(stage.callback().timeout()), null));
        ToolCall intent = new ToolCall(job.id(), stage.id(), stage.tool(), stage.scope(), key, ToolCall.Status.INTENT, request, null, null, approvedBy, null, now);
        store.recordToolCall(intent);
        if (!store.apply(JobTransition.to(job.id(), JobStatus.WAITING_FOR_TOOL, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                .event("tool_started", Json.object().put("stage", stage.id()).put("tool", stage.tool()).put("scope", stage.scope().wire())
                        .put("idempotency_key", key).put("callback", true)).build())) {
            throw new InterruptedException("job " + job.id() + " was cancelled or its lease lost before tool '" + stage.tool() + "' was called");
        }
        String refused = guard(request.path("url").asString(), spec);
        if (refused != null) {
            store.recordToolCall(intent.with(ToolCall.Status.FAILED, clock.instant()));
            return fail(job, index, stage, last, intent, "tool '" + stage.tool() + "' was not called: " + refused, started);
        }
        Result result = traced(job, stage.id(), null, spec, stage, request, key);
        if (result.error() != null) {
            store.recordToolCall(new ToolCall(job.id(), stage.id(), stage.tool(), stage.scope(), key, ToolCall.Status.FAILED, request, null, result.status(),
                    approvedBy, result.error(), clock.instant()));
            return fail(job, index, stage, last, intent, result.error(), started);
        }
        return new StageOutcome.AwaitCallback(stage.id(), now.plus(stage.callback().timeout()), clock.instant());
    }

    /**
     * Makes a function call a model asked for, as the stage's {@code tools} declare it (always
     * read-scoped), and returns what the model is told: the integration's JSON answer, or
     * {@code {"error": …}} it can act on. The job is {@code waiting_for_tool} meanwhile.
     *
     * @param n the call's number within the attempt, part of its idempotency key
     * @throws InterruptedException when the job was cancelled or its lease lost meanwhile
     */
    String callForModel(Job job, ModelStage stage, ToolRequest request, int n) throws InterruptedException {
        Optional<ModelTool> declared = stage.tool(request.name());
        if (declared.isEmpty()) {
            return error("there is no function named '" + request.name() + "'; the functions offered are "
                    + String.join(", ", stage.tools().stream().map(ModelTool::name).toList()));
        }
        ModelTool function = declared.get();
        JsonNode args = request.arguments() == null || !request.arguments().isObject() ? Json.object() : request.arguments();
        var violations = function.parameters().validate(args);
        if (!violations.isEmpty()) {
            return error("the arguments do not match the function's parameters: " + violations.stream().limit(5).map(Object::toString).toList());
        }
        ToolSpec spec = tools.get(function.call().tool());
        if (spec == null) {
            return error("function '" + function.name() + "' is not available on this node");
        }
        ObjectNode view = Json.object();
        view.set("args", args);
        ObjectNode call = function.call().request(view);
        call.put("url", url(spec, call.path("path").asString()));
        call.remove("path");
        String key = ToolCall.key(job.id(), stage.id()) + "/" + function.name() + "-" + n;
        Instant now = clock.instant();
        if (!store.apply(JobTransition.to(job.id(), JobStatus.WAITING_FOR_TOOL, now).from(JobStatus.PROCESSING).leasedBy(config.nodeId())
                .event("tool_started", Json.object().put("stage", stage.id()).put("tool", spec.name()).put("function", function.name())
                        .put("scope", "read").put("idempotency_key", key)).build())) {
            throw new InterruptedException("job " + job.id() + " was cancelled or its lease lost");
        }
        String refused = guard(call.path("url").asString(), spec);
        Result result = refused != null ? new Result(null, null, "not called: " + refused) : traced(job, stage.id(), function.name(), spec, function.call(), call, key);
        Instant done = clock.instant();
        ObjectNode details = Json.object().put("stage", stage.id()).put("tool", spec.name()).put("function", function.name()).put("scope", "read")
                .put("status", result.error() == null ? "done" : "failed").put("idempotency_key", key).put("method", call.path("method").asString());
        if (result.status() != null) {
            details.put("http_status", result.status());
        }
        if (result.body() != null) {
            details.put("response_hash", ContentHash.shortForm(ContentHash.sha256(Json.canonical(result.body()))));
        }
        if (!store.apply(JobTransition.to(job.id(), JobStatus.PROCESSING, done).from(JobStatus.WAITING_FOR_TOOL).leasedBy(config.nodeId())
                .event("tool_finished", Json.object().put("stage", stage.id()).put("function", function.name()).put("status", result.error() == null ? "done" : "failed"))
                .audit(new AuditEvent(done, AuditTrail.ENGINE, AuditAction.TOOL_CALLED, job.accountId(), job.id(), details)).build())) {
            throw new InterruptedException("job " + job.id() + " was cancelled or its lease lost");
        }
        return result.error() == null ? Json.write(result.body()) : error(result.error());
    }

    /** Why {@code url} may not be called, or {@code null}: the SSRF guard, and a URL that does not parse. */
    private static String guard(String url, ToolSpec spec) {
        try {
            return OutboundGuard.refusal(URI.create(url), spec.allowPrivate());
        } catch (IllegalArgumentException e) {
            return "the request URL is not valid: " + e.getMessage();
        }
    }

    private static String error(String message) {
        return Json.write(Json.object().put("error", message));
    }

    private static String url(ToolSpec spec, String path) {
        String base = spec.baseUrl().toString();
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path;
    }

    private record Result(JsonNode body, Integer status, String error) {
    }

    /** {@link #call} in a span of the job's trace, which the request's {@code traceparent} names. */
    private Result traced(Job job, String stageId, String function, ToolSpec spec, ToolStage stage, ObjectNode request, String key) throws InterruptedException {
        TraceSpan span = spans.tool(job, stageId, spec.name(), function);
        try (TraceContext.Scope entered = spans.on() ? span.enter() : null) {
            Result r = call(spec, stage, request, key);
            if (r.status() != null) {
                span.set("http.response.status_code", (long) r.status());
            }
            if (r.error() != null) {
                span.error(r.status() == null ? "tool_unreachable" : Integer.toString(r.status()), r.error());
            }
            return r;
        } finally {
            span.end();
        }
    }

    /** The call with the tool's retries: connection failures, timeouts, 429 and 5xx are tried again with the same key. */
    private Result call(ToolSpec spec, ToolStage stage, ObjectNode request, String key) throws InterruptedException {
        Duration timeout = stage.timeout() != null ? stage.timeout() : spec.timeout();
        String method = request.path("method").asString();
        JsonNode body = request.get("body");
        String lastError = null;
        Integer lastStatus = null;
        for (int attempt = 0; attempt <= spec.retries(); attempt++) {
            if (attempt > 0) {
                Thread.sleep(Math.min(5_000, 200L << Math.min(attempt - 1, 5)));
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(request.path("url").asString())).timeout(timeout)
                    .header("Idempotency-Key", key).header("Accept", "application/json").header("User-Agent", "mainstay/" + config.toolchainVersion());
            spec.headers().forEach(b::header);
            TraceContext trace = TraceContext.current();
            if (trace.present()) {
                // The job's trace goes on in the integration if it traces too.
                b.header("traceparent", trace.traceparent());
                if (trace.tracestate() != null) {
                    b.header("tracestate", trace.tracestate());
                }
            }
            if (request.has("callback_url")) {
                b.header("Mainstay-Callback-Url", request.path("callback_url").asString());
            }
            if (body != null && !body.isNull()) {
                b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            try {
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                lastStatus = r.statusCode();
                if (r.statusCode() >= 200 && r.statusCode() < 300) {
                    return new Result(answer(r), r.statusCode(), null);
                }
                lastError = "tool '" + stage.tool() + "' answered HTTP " + r.statusCode() + " to " + method + " " + request.path("url").asString();
                if (r.statusCode() != 429 && r.statusCode() < 500) {
                    return new Result(null, lastStatus, lastError); // the request itself is wrong: trying again changes nothing
                }
            } catch (HttpTimeoutException e) {
                lastError = "tool '" + stage.tool() + "' did not answer within " + timeout.toMillis() + " ms";
            } catch (IOException e) {
                lastError = "tool '" + stage.tool() + "' could not be reached: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
        }
        return new Result(null, lastStatus, lastError + (spec.retries() > 0 ? " (after " + (spec.retries() + 1) + " attempts)" : ""));
    }

    private static JsonNode answer(HttpResponse<String> r) {
        String text = r.body() == null ? "" : r.body();
        if (text.isBlank()) {
            return Json.object().put("status", r.statusCode());
        }
        try {
            JsonNode parsed = Json.parse(text);
            return parsed.isObject() ? parsed : Json.object().set("result", parsed);
        } catch (RuntimeException notJson) {
            return Json.object().put("status", r.statusCode()).put("body", text.length() > MAX_RESPONSE_CHARS ? text.substring(0, MAX_RESPONSE_CHARS) : text);
        }
    }

    /** Parks the job until a person approves or rejects the call through the review API. */
    private StageOutcome askApproval(Job job, WorkflowDefinition wf, int index, ToolStage stage, ObjectNode request, String key) {
        Instant now = clock.instant();
        store.recordToolCall(new ToolCall(job.id(), stage.id(), stage.tool(), stage.scope(), key, ToolCall.Status.AWAITING_APPROVAL, request, null, null, null, null, now));
        Review review = new Review(ids.next("rev"), job.id(), job.accountId(), wf.name(), index, stage.id(),
                "approval_required: tool '" + stage.tool() + "' would " + request.path("method").asString() + " " + request.path("url").asString()
                        + " (scope execute); approve to make the call once, or reject",
                request, null, Review.Status.PENDING, Review.Decision.REJECT, null, null, null, now, now.plus(stage.approvalExpires()), null);
        return new StageOutcome.ToReview(review, null, List.of(), now);
    }

    private StageOutcome complete(Job job, int index, ToolStage stage, boolean last, JsonNode output, ResultType type, Instant started, ToolCall call) {
        Instant now = clock.instant();
        Provenance provenance = new Provenance("tool", stage.tool(), null, null, config.toolchainVersion(), List.of(), "passed");
        StageRun run = new StageRun(job.id(), index, stage.id(), StageRun.COMPLETED, output, 1, provenance, Usage.ZERO, null, started, now);
        return new StageOutcome.Completed(run, type, last ? provenance : null, List.of(), StageOutcome.Via.tool(call == null ? null : toolEvent(job, stage, call, now)), now);
    }

    /** A failed call: an optional stage that is not the last is skipped, anything else fails the job (dead-lettered: a later replay may reach the tool). */
    private StageOutcome fail(Job job, int index, ToolStage stage, boolean last, ToolCall call, String message, Instant started) {
        Instant now = clock.instant();
        JobError error = new JobError(ErrorCode.TOOL_FAILED, message, true);
        StageRun run = new StageRun(job.id(), index, stage.id(), StageRun.FAILED, null, 1, null, Usage.ZERO, error, started, now);
        StageOutcome.Via via = StageOutcome.Via.tool(call == null ? null : toolEvent(job, stage, call.with(ToolCall.Status.FAILED, now), now));
        return stage.optional() && !last ? new StageOutcome.Partial(run, List.of(), via, now) : new StageOutcome.Fail(error, run, List.of(), null, via, now);
    }

    private static AuditEvent toolEvent(Job job, ToolStage stage, ToolCall call, Instant now) {
        ObjectNode details = Json.object().put("stage", stage.id()).put("tool", stage.tool()).put("scope", stage.scope().wire())
                .put("status", call.status().wire()).put("idempotency_key", call.idempotencyKey()).put("method", call.request().path("method").asString());
        if (call.httpStatus() != null) {
            details.put("http_status", call.httpStatus());
        }
        if (call.response() != null) {
            details.put("response_hash", ContentHash.shortForm(ContentHash.sha256(Json.canonical(call.response()))));
        }
        if (call.approvedBy() != null) {
            details.put("approved_by", call.approvedBy());
        }
        return new AuditEvent(now, AuditTrail.ENGINE, AuditAction.TOOL_CALLED, job.accountId(), job.id(), details);
    }
}
