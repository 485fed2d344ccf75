package dev.mainstay.server.http;

import dev.mainstay.tracing.TraceContext;
import static dev.mainstay.server.http.ApiException.refuse;
import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.engine.Engine;
import dev.mainstay.job.Job;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.Latency;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.ToolStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The workflows a node serves: {@code GET /v1/workflows} lists them, and
 * {@code POST /v1/{workflow}} submits a job (DESIGN §3, latency models and idempotency of §4).
 */
final class WorkflowsResource implements HttpService {
    private static final Pattern PREFER_WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*\"?(\\d{1,6})\"?", Pattern.CASE_INSENSITIVE);
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final Duration MAX_WAIT = Duration.ofSeconds(300);
    private static final Duration INSTANT_SLACK = Duration.ofMillis(250);

    private final Engine engine;
    private final WorkflowRegistry registry;
    private final Store store;
    private final Clock clock;
    private final Authenticator auth;
    private final Permissions permissions;
    private final RequestBody bodies;

    WorkflowsResource(Engine engine, WorkflowRegistry registry, Store store, Clock clock, Authenticator auth, Permissions permissions, RequestBody bodies) {
        this.engine = engine;
        this.registry = registry;
        this.store = store;
        this.clock = clock;
        this.auth = auth;
        this.permissions = permissions;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/workflows", handler(this::list))
                .route(Method.POST, new WorkflowPath(registry), handler(this::submit));
    }

    private Reply list(ServerRequest req) {
        auth.authenticate(req);
        ArrayNode list = Json.array();
        for (WorkflowDefinition w : registry.all()) {
            ObjectNode o = list.addObject();
            o.put("name", w.name());
            o.put("version", w.version());
            o.put("description", w.description());
            o.put("path", w.path());
            o.put("latency", w.latency().wire());
            o.put("deadline_ms", w.deadline().toMillis());
            o.put("content_hash", w.contentHash());
            if (w.draft()) {
                o.put("dev", true); // a dev-mode draft: the file differs from the version on record
            }
            o.set("input_schema", w.input().node());
            ArrayNode stages = o.putArray("stages");
            w.stages().forEach(s -> {
                ObjectNode st = stages.addObject().put("id", s.id());
                switch (s) {
                    case ModelStage m -> {
                        st.put("kind", "model");
                        st.put("prompt_version", m.prompt().version());
                        ArrayNode route = st.putArray("route");
                        m.route().forEach(route::add);
                    }
                    case ToolStage t -> st.put("kind", "tool").put("tool", t.tool()).put("scope", t.scope().wire()).put("method", t.method());
                }
            });
        }
        return Reply.json(200, Json.object().set("workflows", list));
    }

    private Reply submit(ServerRequest req) throws InterruptedException {
        Principal principal = auth.authenticate(req);
        String name = req.path().pathParameters().get("workflow");
        // The path matched while the workflow was active; in dev mode a reload in between may have
        // stopped serving it, and the answer is then the one for a name no workflow has.
        WorkflowDefinition workflow = registry.active(name).orElseThrow(() -> refuse(ErrorCode.UNKNOWN_WORKFLOW,
                "no workflow '" + name + "'; GET /v1/workflows lists the workflows this server runs"));
        QueryParameters query = QueryParameters.of(req);
        long version = query.number("version", 0, 1, 1_000_000);
        query.check("the submit's query is not valid");
        if (version != 0) {
            // Another loaded version than the one serving, to try it out: operators only.
            if (!principal.admin()) {
                throw refuse(ErrorCode.FORBIDDEN, "?version= is for the admin key; a key of account " + principal.accountId() + " submits to the version serving");
            }
            workflow = registry.version(name, (int) version).orElseThrow(() -> refuse(ErrorCode.NOT_FOUND,
                    "no version " + version + " of workflow '" + name + "' is loaded or on record"));
        }
        permissions.requireRun(principal, workflow);
        Optional<String> key = RequestHeaders.single(req, HeaderNames.create("Idempotency-Key")).map(String::strip);
        if (key.isPresent() && !IDEMPOTENCY_KEY.matcher(key.get()).matches()) {
            throw new ApiException(Problem.invalid("Idempotency-Key must be 1 to 255 visible ASCII characters",
                    List.of(Problem.FieldError.parameter("Idempotency-Key", "1 to 255 visible ASCII characters"))));
        }
        JsonNode body = bodies.json(req);
        // A malformed traceparent is no context, as the W3C recommendation asks, not a 400.
        TraceContext trace = TraceContext.fromHeaders(req.headers().first(HeaderNames.create("traceparent")).orElse(null),
                req.headers().first(HeaderNames.create("tracestate")).orElse(null));
        Engine.Submission submission = engine.submit(principal, workflow, body, key.orElse(null), trace);
        Job job = submission.job();

        Duration wait = Duration.ZERO;
        String applied = null;
        Optional<Duration> preferred = preferWait(req);
        if (workflow.latency() == Latency.INSTANT) {
            wait = Duration.between(clock.instant(), job.deadlineAt()).plus(INSTANT_SLACK);
        } else if (workflow.latency() == Latency.WAIT && preferred.isPresent()) {
            wait = preferred.get().compareTo(MAX_WAIT) > 0 ? MAX_WAIT : preferred.get();
            applied = "wait=" + wait.toSeconds();
        }
        if (!job.status().isTerminal() && wait.compareTo(Duration.ZERO) > 0) {
            job = engine.awaitTerminal(principal.accountId(), job.id(), wait);
        }
        Reply reply = Reply.json(job.status().isTerminal() ? 200 : 202, JobView.render(job, store.stages(job.id()), clock.instant()))
                .withHeader("Location", "/v1/jobs/" + job.id());
        if (applied != null) {
            reply = reply.withHeader("Preference-Applied", applied);
        }
        if (!submission.created()) {
            reply = reply.withHeader("Idempotent-Replayed", "true");
        }
        return reply;
    }

    private static Optional<Duration> preferWait(ServerRequest req) {
        for (String prefer : req.headers().all(HeaderNames.create("Prefer"), List::of)) {
            Matcher m = PREFER_WAIT.matcher(prefer);
            if (m.find()) {
                return Optional.of(Duration.ofSeconds(Long.parseLong(m.group(1))));
            }
        }
        return Optional.empty();
    }
}
