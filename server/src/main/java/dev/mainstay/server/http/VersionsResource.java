package dev.mainstay.server.http;

import static dev.mainstay.server.http.ApiException.refuse;
import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.Activations;
import dev.mainstay.store.EvalRun;
import dev.mainstay.store.Store;
import dev.mainstay.store.WorkflowActivationStore.ActivationGate;
import dev.mainstay.store.WorkflowActivationStore.WorkflowActivation;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.common.uri.UriPath;
import io.helidon.http.Method;
import io.helidon.http.PathMatcher;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Workflow versions, for operators (docs/evals.md#activation-gate): which version of each workflow
 * serves, which are candidates or retired, each version's gate and latest eval runs; and an
 * explicit promotion or rollback, audited with its reason.
 */
final class VersionsResource implements HttpService {
    private static final String NAME = "[a-z0-9][a-z0-9-]*(?:/[a-z0-9][a-z0-9-]*)+";
    private static final int MAX_REASON = 1000;
    private static final int RUNS_READ = 10_000;

    private final Activations activations;
    private final WorkflowRegistry registry;
    private final Store store;
    private final Authenticator auth;
    private final RequestBody bodies;

    VersionsResource(Activations activations, WorkflowRegistry registry, Store store, Authenticator auth, RequestBody bodies) {
        this.activations = activations;
        this.registry = registry;
        this.store = store;
        this.auth = auth;
        this.bodies = bodies;
    }

    /** A template whose {@code {workflow}} spans segments: workflow names have slashes. */
    private record NamePath(String template, PathMatcher matcher) implements PathMatcher, RouteTable.Template {
        static NamePath of(String template) {
            return new NamePath(template, PathMatchers.create(template.replace("{workflow}", "{workflow:" + NAME + "}").replace("{version}", "{version:[0-9]{1,18}}")));
        }

        @Override
        public PathMatchers.MatchResult match(UriPath path) {
            return matcher.match(path);
        }

        @Override
        public PathMatchers.PrefixMatchResult prefixMatch(UriPath path) {
            return PathMatchers.PrefixMatchResult.notAccepted(); // registered at the root only
        }
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/admin/workflows", handler(this::list))
                .route(Method.GET, NamePath.of("/v1/admin/workflows/{workflow}"), handler(this::one))
                .route(Method.POST, NamePath.of("/v1/admin/workflows/{workflow}/versions/{version}/activate"), handler(this::activate));
    }

    private Reply list(ServerRequest req) {
        auth.admin(req);
        QueryParameters.of(req).check("the workflows query is not valid");
        ArrayNode list = Json.array();
        registry.all().stream().map(WorkflowDefinition::name).sorted().forEach(name -> list.add(view(name)));
        return Reply.json(200, Json.object().set("workflows", list));
    }

    private Reply one(ServerRequest req) {
        auth.admin(req);
        return Reply.json(200, view(known(req.path().pathParameters().get("workflow"))));
    }

    private Reply activate(ServerRequest req) {
        Principal admin = auth.admin(req);
        String name = known(req.path().pathParameters().get("workflow"));
        long number = Long.parseLong(req.path().pathParameters().get("version"));
        if (number < 1 || number > 1_000_000) {
            throw refuse(ErrorCode.NOT_FOUND, "workflow '" + name + "' has no version " + number + "; versions are whole numbers from 1 to 1000000");
        }
        int version = (int) number;
        JsonNode body = bodies.json(req);
        if (!body.isObject()) {
            throw new InvalidInputException("the activation request is not valid", List.of(new Violation("", "must be an object with a reason")));
        }
        List<Violation> bad = new java.util.ArrayList<>();
        for (String field : body.propertyNames()) {
            if (!field.equals("reason")) {
                bad.add(new Violation("/" + field, "is not a field of an activation request; its only field is reason"));
            }
        }
        JsonNode reason = body.path("reason");
        if (!reason.isString() || reason.asString().isBlank()) {
            bad.add(new Violation("/reason", "is required: why this version serves now, for the audit log"));
        } else if (reason.asString().length() > MAX_REASON) {
            bad.add(new Violation("/reason", "must be at most " + MAX_REASON + " characters, got " + reason.asString().length()));
        }
        if (!bad.isEmpty()) {
            throw new InvalidInputException("the activation request is not valid", bad);
        }
        int previous = activations.activate(name, version, reason.asString().strip(), "key:" + admin.keyId());
        ObjectNode out = view(name);
        out.put("previous_version", previous);
        return Reply.json(200, out);
    }

    private String known(String name) {
        if (registry.newest(name).isEmpty()) {
            throw refuse(ErrorCode.UNKNOWN_WORKFLOW, "no workflow '" + name + "' is loaded; GET /v1/admin/workflows lists them");
        }
        return name;
    }

    /** A workflow's versions as {@code GET /v1/admin/workflows/{workflow}} answers them (the console shows the same). */
    ObjectNode view(String name) {
        WorkflowDefinition newest = registry.newest(name).orElseThrow();
        WorkflowActivation record = store.workflowActivations().get(name);
        Map<Integer, Activations.State> states = activations.states(name);
        Map<Integer, ActivationGate> gates = new LinkedHashMap<>();
        store.activationGates(name).forEach(g -> gates.put(g.version(), g));
        Map<String, EvalRun> lastRuns = new LinkedHashMap<>();
        for (EvalRun r : store.finishedEvalRuns(name, RUNS_READ)) {
            lastRuns.merge(r.version() + "/" + r.suite(), r, (a, b) -> b.finishedAt().isAfter(a.finishedAt()) ? b : a);
        }
        ObjectNode o = Json.object();
        o.put("name", name);
        o.put("active_version", registry.active(name).map(WorkflowDefinition::version).orElse(null));
        o.put("activated_at", record == null ? null : record.changedAt().toString());
        o.put("activated_by", record == null ? null : record.changedBy());
        if (newest.activation().isPresent()) {
            var a = newest.activation().get();
            o.putObject("activation").put("suite", a.suite()).put("min_score", a.minScore()).put("max_regression", a.maxRegression());
        } else {
            o.putNull("activation");
        }
        ArrayNode versions = o.putArray("versions");
        for (WorkflowDefinition d : registry.loaded(name)) {
            ObjectNode v = versions.addObject();
            v.put("version", d.version());
            v.put("state", states.getOrDefault(d.version(), Activations.State.RETIRED).wire());
            v.put("content_hash", d.contentHash());
            ActivationGate g = gates.get(d.version());
            if (g == null) {
                v.putNull("gate");
            } else {
                ObjectNode gate = v.putObject("gate");
                gate.put("suite", g.suite()).put("run", g.runId()).put("baseline_version", g.baselineVersion()).put("baseline_run", g.baselineRunId());
                gate.put("decision", g.decision() == null ? "pending" : g.decision());
                gate.put("decided_at", g.decidedAt() == null ? null : g.decidedAt().toString());
                if (g.detail() != null) {
                    for (String f : List.of("quality", "baseline_quality", "regression", "regressed", "reason")) {
                        gate.set(f, g.detail().path(f));
                    }
                }
            }
            ArrayNode runs = v.putArray("last_runs");
            lastRuns.values().stream().filter(r -> r.version() == d.version()).sorted(Comparator.comparing(EvalRun::suite)).forEach(r -> runs.addObject()
                    .put("suite", r.suite()).put("run", r.id()).put("finished_at", r.finishedAt().toString())
                    .set("quality", r.summary().path("quality"))
                    .set("pass_rate", r.summary().path("pass_rate"))
                    .set("meets_threshold", r.summary().path("meets_threshold")));
        }
        return o;
    }

}
