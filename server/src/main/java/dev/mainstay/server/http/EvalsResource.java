package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.MainstayException;
import dev.mainstay.access.Principal;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.EvalCases;
import dev.mainstay.engine.EvalRuns;
import dev.mainstay.evals.CaseResult;
import dev.mainstay.evals.CorrectionRejectedException;
import dev.mainstay.evals.RunComparison;
import dev.mainstay.store.EvalRun;
import dev.mainstay.store.EvalRunCase;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoredEvalCase;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Eval runs, for operators (docs/evals.md): start runs of a workflow version's suites, read a
 * run case by case, compare two runs of one suite, and the quality of each version over time; and
 * the cases a suite holds in the store, taken from real jobs.
 */
final class EvalsResource implements HttpService {
    private static final Set<String> START_FIELDS = Set.of("workflow", "version", "suite", "concurrency", "model_grading");
    private static final int HISTORY_LIMIT = 1000;

    private static final Set<String> CASE_FIELDS = Set.of("job", "expect", "correction", "name", "tags");

    private final EvalRuns runs;
    private final EvalCases cases;
    private final Store store;
    private final Authenticator auth;
    private final RequestBody bodies;

    EvalsResource(EvalRuns runs, EvalCases cases, Store store, Authenticator auth, RequestBody bodies) {
        this.runs = runs;
        this.cases = cases;
        this.store = store;
        this.auth = auth;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules rules) {
        // Before the runs' routes: a suite may be named "runs", and no run id is "cases".
        rules.route(Method.POST, SuitePath.cases(), handler(this::addCase))
                .route(Method.GET, SuitePath.cases(), handler(this::cases))
                .route(Method.DELETE, SuitePath.kase(), handler(this::deleteCase));
        rules.post("/v1/admin/evals/runs", handler(this::start))
                .get("/v1/admin/evals/runs/{id}", handler(this::run))
                .get("/v1/admin/evals/runs/{id}/compare/{other}", handler(this::compare))
                .get("/v1/admin/evals/history", handler(this::history));
    }

    private Reply start(ServerRequest req) {
        Principal admin = auth.admin(req);
        JsonNode body = bodies.json(req);
        List<Violation> bad = new ArrayList<>();
        if (!body.isObject()) {
            throw new InvalidInputException("the run request is not valid", List.of(new Violation("", "must be an object")));
        }
        for (String name : body.propertyNames()) {
            if (!START_FIELDS.contains(name)) {
                bad.add(new Violation("/" + name, "is not a field of a run request; the fields are " + new java.util.TreeSet<>(START_FIELDS)));
            }
        }
        JsonNode workflow = body.path("workflow");
        if (!workflow.isString() || workflow.asString().isBlank()) {
            bad.add(new Violation("/workflow", "must be the name of a loaded workflow"));
        }
        Integer version = null;
        if (body.has("version") && !body.get("version").isNull()) {
            JsonNode v = body.get("version");
            if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > 1_000_000) {
                bad.add(new Violation("/version", "must be a whole number from 1 to 1000000"));
            } else {
                version = v.asInt();
            }
        }
        String suite = null;
        if (body.has("suite") && !body.get("suite").isNull()) {
            if (!body.get("suite").isString() || body.get("suite").asString().isBlank()) {
                bad.add(new Violation("/suite", "must be the name of a suite the workflow version names"));
            } else {
                suite = body.get("suite").asString();
            }
        }
        int concurrency = EvalRuns.DEFAULT_CONCURRENCY;
        if (body.has("concurrency") && !body.get("concurrency").isNull()) {
            JsonNode c = body.get("concurrency");
            if (!c.isIntegralNumber() || c.asLong() < 1 || c.asLong() > EvalRuns.MAX_CONCURRENCY) {
                bad.add(new Violation("/concurrency", "must be a whole number from 1 to " + EvalRuns.MAX_CONCURRENCY));
            } else {
                concurrency = c.asInt();
            }
        }
        boolean modelGrading = false;
        if (body.has("model_grading") && !body.get("model_grading").isNull()) {
            if (!body.get("model_grading").isBoolean()) {
                bad.add(new Violation("/model_grading", "must be true or false"));
            } else {
                modelGrading = body.get("model_grading").booleanValue();
            }
        }
        if (!bad.isEmpty()) {
            throw new InvalidInputException("the run request is not valid", bad);
        }
        List<EvalRun> started = runs.start(workflow.asString(), version, suite, concurrency, admin.keyId(), modelGrading);
        ObjectNode out = Json.object();
        ArrayNode list = out.putArray("runs");
        for (EvalRun r : started) {
            list.add(view(r));
        }
        return Reply.json(202, out);
    }

    private Reply run(ServerRequest req) {
        auth.admin(req);
        EvalRun run = find(req.path().pathParameters().get("id"));
        ObjectNode out = view(run);
        ArrayNode cases = out.putArray("cases");
        for (EvalRunCase c : store.evalRunCases(run.id())) {
            if (c.scored()) {
                cases.add(c.result());
            } else {
                cases.addObject().put("case", c.caseId()).put("job", c.jobId()).put("status", c.jobId() == null ? "pending" : "running");
            }
        }
        return Reply.json(200, out);
    }

    private Reply compare(ServerRequest req) {
        auth.admin(req);
        EvalRun a = find(req.path().pathParameters().get("id"));
        EvalRun b = find(req.path().pathParameters().get("other"));
        if (!a.suite().equals(b.suite())) {
            throw ApiException.refuse(ErrorCode.INVALID_INPUT, "run " + a.id() + " is of suite " + a.suite() + " and run " + b.id() + " of suite " + b.suite()
                    + "; only runs of one suite compare case by case");
        }
        if (a.status() != EvalRun.Status.COMPLETED || b.status() != EvalRun.Status.COMPLETED) {
            throw ApiException.refuse(ErrorCode.INVALID_STATE, "run " + a.id() + " is " + a.status().wire() + " and run " + b.id() + " is " + b.status().wire()
                    + "; runs compare once both are completed");
        }
        RunComparison cmp = RunComparison.of(runs.results(a.id()), runs.results(b.id()));
        ObjectNode out = Json.object();
        out.set("before", view(a));
        out.set("after", view(b));
        out.put("quality_before", cmp.qualityBefore());
        out.put("quality_after", cmp.qualityAfter());
        out.put("quality_delta", cmp.qualityDelta());
        out.put("regression", cmp.regression());
        ObjectNode counts = out.putObject("counts");
        for (RunComparison.Change change : RunComparison.Change.values()) {
            counts.put(wire(change), cmp.count(change));
        }
        out.set("regressed", Json.MAPPER.valueToTree(cmp.regressed().stream().map(RunComparison.CaseChange::caseId).toList()));
        ArrayNode cases = out.putArray("cases");
        for (RunComparison.CaseChange c : cmp.cases()) {
            ObjectNode o = cases.addObject();
            o.put("case", c.caseId());
            o.put("change", wire(c.change()));
            o.set("score_before", score(c.before()));
            o.set("score_after", score(c.after()));
            ArrayNode diffs = o.putArray("differences");
            for (RunComparison.Difference d : c.differences()) {
                ObjectNode one = diffs.addObject().put("field", d.field());
                one.set("before", d.before().isMissingNode() ? null : d.before());
                one.set("after", d.after().isMissingNode() ? null : d.after());
            }
            o.put("omitted", c.omitted());
        }
        return Reply.json(200, out);
    }

    private Reply history(ServerRequest req) {
        auth.admin(req);
        QueryParameters query = QueryParameters.of(req);
        String workflow = query.text("workflow").orElse(null);
        query.check("the history query is not valid");
        ObjectNode out = Json.object();
        out.put("workflow", workflow);
        ArrayNode list = out.putArray("runs");
        for (EvalRun r : store.finishedEvalRuns(workflow, HISTORY_LIMIT)) {
            ObjectNode o = list.addObject();
            o.put("run", r.id());
            o.put("workflow", r.workflow());
            o.put("version", r.version());
            o.put("suite", r.suite());
            o.put("suite_hash", r.suiteHash());
            o.put("finished_at", r.finishedAt().toString());
            o.set("quality", r.summary().path("quality"));
            o.set("pass_rate", r.summary().path("pass_rate"));
            o.set("meets_threshold", r.summary().path("meets_threshold"));
        }
        return Reply.json(200, out);
    }

    private Reply addCase(ServerRequest req) {
        Principal admin = auth.admin(req);
        String suite = req.path().pathParameters().get("suite");
        cases.suite(suite);
        JsonNode body = bodies.json(req);
        EvalCases.Capture capture = capture(body, suite, null, "");
        StoredEvalCase checked;
        try {
            checked = cases.check(capture, "/correction", "key:" + admin.keyId());
        } catch (CorrectionRejectedException e) {
            throw new ApiException(new Problem(422, e.code(), e.getMessage(), false, java.util.Optional.empty(),
                    e.violations().stream().map(Problem.FieldError::of).toList()));
        }
        StoredEvalCase added = cases.add(checked, "");
        return Reply.json(201, caseView(added)).withHeader("Location", "/v1/admin/evals/" + added.suite() + "/cases/" + added.id());
    }

    /**
     * Reads a capture's fields from {@code body} (a request of its own, or a review decision's
     * {@code save_as_case}); {@code jobId} when the caller knows the job, and {@code at} the pointer
     * of the object in the request.
     */
    static EvalCases.Capture capture(JsonNode body, String suite, String jobId, String at) {
        List<Violation> bad = new ArrayList<>();
        if (!body.isObject()) {
            throw new InvalidInputException("the case request is not valid", List.of(new Violation(at, "must be an object")));
        }
        Set<String> allowed = jobId == null ? CASE_FIELDS : Set.of("suite", "name", "tags");
        for (String name : body.propertyNames()) {
            if (!allowed.contains(name)) {
                bad.add(new Violation(at + "/" + name, "is not a field here; the fields are " + new java.util.TreeSet<>(allowed)));
            }
        }
        String job = jobId;
        String expect = StoredEvalCase.CORRECTION;
        if (jobId == null) {
            JsonNode j = body.path("job");
            if (!j.isString() || !j.asString().matches("[A-Za-z0-9_]{1,80}")) {
                bad.add(new Violation(at + "/job", "required: the id of the job to take the input from"));
            } else {
                job = j.asString();
            }
            JsonNode e = body.path("expect");
            if (!e.isString() || !(e.asString().equals(StoredEvalCase.OUTPUT) || e.asString().equals(StoredEvalCase.CORRECTION))) {
                bad.add(new Violation(at + "/expect", "required: output (the job's result is the expected answer) or correction (the answer in correction)"));
            } else {
                expect = e.asString();
            }
        }
        String name = null;
        if (body.has("name") && !body.get("name").isNull()) {
            if (!body.get("name").isString()) {
                bad.add(new Violation(at + "/name", "must be a string"));
            } else {
                name = body.get("name").asString();
            }
        }
        List<String> tags = new ArrayList<>();
        if (body.has("tags") && !body.get("tags").isNull()) {
            JsonNode t = body.get("tags");
            if (!t.isArray()) {
                bad.add(new Violation(at + "/tags", "must be a list of strings"));
            } else {
                for (int i = 0; i < t.size(); i++) {
                    if (!t.get(i).isString()) {
                        bad.add(new Violation(at + "/tags/" + i, "must be a string"));
                    } else {
                        tags.add(t.get(i).asString());
                    }
                }
            }
        }
        if (!bad.isEmpty()) {
            throw new InvalidInputException("the case request is not valid", bad);
        }
        return new EvalCases.Capture(suite, job, expect, jobId == null ? body.get("correction") : null, name, tags, null, at);
    }

    private Reply cases(ServerRequest req) {
        auth.admin(req);
        String suite = req.path().pathParameters().get("suite");
        QueryParameters query = QueryParameters.of(req);
        int limit = (int) query.number("limit", EvalCases.DEFAULT_PAGE, 1, EvalCases.MAX_PAGE);
        String cursor = query.cursor();
        query.check("the case list query is not valid");
        List<StoredEvalCase> page = cases.list(suite, cursor, limit);
        ObjectNode out = Json.object().put("suite", suite);
        ArrayNode list = out.putArray("cases");
        page.forEach(k -> list.add(caseView(k)));
        out.put("next_cursor", page.size() == limit ? page.getLast().id() : null);
        return Reply.json(200, out);
    }

    private Reply deleteCase(ServerRequest req) {
        Principal admin = auth.admin(req);
        String id = req.path().pathParameters().get("id");
        cases.delete(req.path().pathParameters().get("suite"), id, "key:" + admin.keyId());
        return Reply.json(200, Json.object().put("id", id).put("deleted", true));
    }

    /** A stored case as the API shows it, and as {@code ./mainstay eval export-cases} prints it: a case of a JSON Lines suite, with where it came from. */
    static ObjectNode caseView(StoredEvalCase k) {
        ObjectNode o = Json.object();
        o.put("id", k.name());
        o.set("input", k.input());
        o.set("expected", k.expected());
        o.set("tags", Json.MAPPER.valueToTree(k.tags()));
        ObjectNode from = o.putObject("stored");
        from.put("id", k.id());
        from.put("suite", k.suite());
        from.put("workflow", k.workflow());
        from.put("version", k.workflowVersion());
        from.put("job", k.jobId());
        from.put("review", k.reviewId());
        from.put("expect", k.expect());
        from.put("created_by", k.createdBy());
        from.put("created_at", k.createdAt().toString());
        return o;
    }

    private EvalRun find(String id) {
        return store.evalRun(id).orElseThrow(() -> new MainstayException(ErrorCode.NOT_FOUND, "no eval run " + id));
    }

    private static JsonNode score(CaseResult r) {
        return r == null || r.score().isEmpty() ? null : Json.MAPPER.valueToTree(r.score().getAsDouble());
    }

    private static String wire(RunComparison.Change c) {
        return c.name().toLowerCase(java.util.Locale.ROOT);
    }

    static ObjectNode view(EvalRun r) {
        ObjectNode o = Json.object();
        o.put("id", r.id());
        o.put("workflow", r.workflow());
        o.put("version", r.version());
        o.put("suite", r.suite());
        o.put("suite_hash", r.suiteHash());
        o.put("status", r.status().wire());
        o.put("concurrency", r.concurrency());
        o.put("model_grading", r.modelGrading());
        o.put("requested_by", r.requestedBy());
        o.put("created_at", r.createdAt().toString());
        o.put("finished_at", r.finishedAt() == null ? null : r.finishedAt().toString());
        o.set("summary", r.summary());
        return o;
    }
}
