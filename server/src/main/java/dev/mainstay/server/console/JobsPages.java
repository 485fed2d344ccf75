package dev.mainstay.server.console;

import static dev.mainstay.server.console.Console.headers;
import static dev.mainstay.server.console.Console.options;
import static dev.mainstay.server.console.Console.param;
import static dev.mainstay.server.console.Console.pretty;
import static dev.mainstay.server.console.Console.problem;
import static dev.mainstay.server.console.Console.redirect;
import static dev.mainstay.server.console.Console.require;
import static dev.mainstay.server.console.Console.statusOf;
import static dev.mainstay.server.console.Console.view;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.MainstayException;
import dev.mainstay.access.Principal;
import dev.mainstay.access.WorkflowAccess;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.Engine;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.StageRun;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.server.console.Console.Answer;
import dev.mainstay.server.console.Console.Refused;
import dev.mainstay.server.console.Console.Role;
import dev.mainstay.server.console.Sessions.Session;
import dev.mainstay.server.stream.EventStreams;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Jobs and dead letters: the lists, a job's page and its live part, and the actions on jobs (cancel, replay, save as an eval case). */
final class JobsPages {
    private static final Logger LOG = LoggerFactory.getLogger(JobsPages.class);
    private static final int PAGE = 50;
    private static final Duration LIVE_MAX = Duration.ofMinutes(10);

    private final Engine engine;
    private final EventStreams streams;
    private final dev.mainstay.engine.EvalCases evalCases;
    private final dev.mainstay.evals.EvalSuites suites;
    private final BiFunction<Job, Job, ObjectNode> diff;
    private final Optional<String> traceUrl;
    private final WorkflowRegistry registry;
    private final Store store;
    private final Clock clock;
    private final Templates templates;
    private final BiFunction<Job, Instant, ObjectNode> envelope;

    JobsPages(Engine engine, EventStreams streams, dev.mainstay.engine.EvalCases evalCases, dev.mainstay.evals.EvalSuites suites, BiFunction<Job, Job, ObjectNode> diff,
            Optional<String> traceUrl, WorkflowRegistry registry, Store store, Clock clock, Templates templates, BiFunction<Job, Instant, ObjectNode> envelope) {
        this.engine = engine;
        this.streams = streams;
        this.evalCases = evalCases;
        this.suites = suites;
        this.diff = diff;
        this.traceUrl = traceUrl;
        this.registry = registry;
        this.store = store;
        this.clock = clock;
        this.templates = templates;
        this.envelope = envelope;
    }

    Answer jobs(ServerRequest req, Session s) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        return jobList(req, s, false);
    }

    Answer deadLetters(ServerRequest req, Session s) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        return jobList(req, s, true);
    }

    Answer jobList(ServerRequest req, Session s, boolean deadLetters) {
        Principal p = s.principal();
        boolean admin = Role.of(p) == Role.ADMIN;
        Map<String, Object> model = new LinkedHashMap<>();
        Map<String, String> filters = new LinkedHashMap<>();
        for (String f : List.of("workflow", "status", "result_type", "error_code", "account", "idempotency_key", "job_id", "cursor")) {
            param(req, f).ifPresent(v -> filters.put(f, v));
        }
        List<String> problems = new ArrayList<>();
        JobStatus status = null;
        if (filters.containsKey("status")) {
            try {
                status = JobStatus.fromWire(filters.get("status"));
            } catch (IllegalArgumentException e) {
                problems.add("Unknown status '" + filters.get("status") + "'.");
            }
        }
        String account = admin ? filters.get("account") : s.accountId();
        List<Job> jobs = new ArrayList<>();
        String next = null;
        if (problems.isEmpty()) {
            if (filters.containsKey("job_id")) {
                store.job(filters.get("job_id")).filter(j -> admin || j.accountId().equals(s.accountId())).ifPresent(jobs::add);
            } else {
                JobPage page = store.jobs(new JobQuery(account, filters.get("workflow"), status, deadLetters ? Boolean.TRUE : null, filters.get("result_type"),
                        filters.get("error_code"), filters.get("idempotency_key"), PAGE, filters.get("cursor")));
                jobs.addAll(page.jobs());
                next = page.nextCursor().orElse(null);
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Job j : jobs) {
            if (!admin && !access(j).mayRead(p)) {
                continue;
            }
            rows.add(jobRow(j));
        }
        model.put("jobs", rows);
        model.put("empty", rows.isEmpty());
        model.put("problems", problems);
        model.put("admin", admin);
        Map<String, Object> f = new LinkedHashMap<>(filters);
        f.remove("cursor");
        model.put("f", f);
        model.put("statuses", options(java.util.Arrays.stream(JobStatus.values()).map(JobStatus::wire).toList(), filters.get("status")));
        model.put("resultTypes", options(List.of("full", "draft", "fallback"), filters.get("result_type")));
        model.put("workflows", options(registry.all().stream().map(WorkflowDefinition::name).sorted().toList(), filters.get("workflow")));
        if (next != null) {
            StringBuilder q = new StringBuilder(deadLetters ? "/console/dead-letters?" : "/console/jobs?");
            f.forEach((k, v) -> q.append(k).append('=').append(URLEncoder.encode(v.toString(), StandardCharsets.UTF_8)).append('&'));
            q.append("cursor=").append(URLEncoder.encode(next, StandardCharsets.UTF_8));
            model.put("next", q.toString());
        }
        model.put("deadLetters", deadLetters);
        model.put("title", deadLetters ? "Dead letters" : "Jobs");
        return view(deadLetters ? "deadletters" : "jobs", model);
    }

    private Map<String, Object> jobRow(Job j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id());
        m.put("account", j.accountId());
        m.put("workflow", j.workflow());
        m.put("version", j.workflowVersion());
        m.putAll(statusOf(j.status()));
        m.put("resultType", j.resultType() == null ? "" : j.resultType().wire());
        m.put("error", j.error() == null ? "" : j.error().code().code());
        m.put("idempotencyKey", j.idempotencyKey() == null ? "" : j.idempotencyKey());
        m.put("created", j.createdAt().toString());
        m.put("cost", AccountLimits.Money.usd(j.usage().costMicros()));
        m.put("deadLetter", j.deadLetter());
        return m;
    }

    private WorkflowAccess access(Job job) {
        return registry.active(job.workflow()).or(() -> registry.version(job.workflow(), job.workflowVersion())).map(WorkflowDefinition::access)
                .orElse(WorkflowAccess.ANY);
    }

    /** The job {@code id} as the session may see it: any account's for an admin, else its own account's and readable workflows. */
    private Job visibleJob(Session s, String id, boolean run) {
        Principal p = s.principal();
        Role role = Role.of(p);
        Job job = store.job(id).filter(j -> role == Role.ADMIN || j.accountId().equals(s.accountId()))
                .orElseThrow(() -> new Refused(404, ErrorCode.NOT_FOUND, "job " + id + " not found"));
        if (role == Role.REVIEWER) {
            throw new Refused(403, ErrorCode.FORBIDDEN, "a reviewer key sees reviews only, not job " + id);
        }
        if (role == Role.ACCOUNT && (run ? !access(job).mayRun(p) : !access(job).mayRead(p))) {
            throw new Refused(403, ErrorCode.FORBIDDEN, "this key may not " + (run ? "run" : "read") + " jobs of " + job.workflow());
        }
        return job;
    }

    Answer job(ServerRequest req, Session s) {
        Job job = visibleJob(s, req.path().pathParameters().get("id"), false);
        return jobPage(req, s, job, 200, Map.of());
    }

    /** A job's page; {@code caseForm} holds a refused "save as eval case" form: its values and errors by field. */
    Answer jobPage(ServerRequest req, Session s, Job job, int status, Map<String, Object> caseForm) {
        Map<String, Object> model = new LinkedHashMap<>(live(job));
        Instant now = clock.instant();
        model.put("title", "Job " + job.id());
        model.put("envelope", Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(envelope.apply(job, now)));
        model.put("input", pretty(job.input()));
        model.put("account", job.accountId());
        model.put("workflow", job.workflow());
        model.put("version", job.workflowVersion());
        model.put("idempotencyKey", job.idempotencyKey() == null ? "none" : job.idempotencyKey());
        model.put("created", job.createdAt().toString());
        job.trace().traceId().ifPresent(id -> {
            model.put("traceId", id);
            traceUrl.ifPresent(u -> model.put("traceLink", u.replace("{trace_id}", id)));
        });
        Optional<String> other = param(req, "diff");
        model.put("diffWith", other.orElse(""));
        if (other.isPresent()) {
            Optional<Job> b = other.get().matches("[A-Za-z0-9_]{1,80}") ? store.job(other.get())
                    .filter(j -> Role.of(s.principal()) == Role.ADMIN || j.accountId().equals(s.accountId())) : Optional.empty();
            if (b.isEmpty()) {
                model.put("diffError", "no job " + other.get() + " that this key may see");
            } else {
                ObjectNode d = diff.apply(job, b.get());
                List<Map<String, Object>> rows = new ArrayList<>();
                for (JsonNode x : d.path("differences")) {
                    rows.add(Map.of("field", x.path("field").asString(), "a", x.path("a").isNull() ? "none" : Json.write(x.path("a")),
                            "b", x.path("b").isNull() ? "none" : Json.write(x.path("b"))));
                }
                List<String> why = new ArrayList<>();
                d.path("explanation").forEach(x -> why.add(x.asString()));
                model.put("diff", Map.of("other", b.get().id(), "sameResult", d.path("same_result").isNull() ? "unknown (payloads expired)"
                        : d.path("same_result").asBoolean() ? "yes" : "no", "differences", rows, "explanation", why, "json", pretty(d)));
            }
        }
        if (Role.of(s.principal()) == Role.ADMIN) {
            List<dev.mainstay.evals.EvalSuite> named = suites.of(job.workflow(), job.workflowVersion());
            if (!named.isEmpty()) {
                Object chosen = caseForm.getOrDefault("suite", named.getFirst().name());
                Map<String, Object> form = new LinkedHashMap<>(caseForm);
                form.put("suites", named.stream().map(x -> Map.of("name", x.name(), "selected", x.name().equals(chosen))).toList());
                form.putIfAbsent("name", "");
                model.put("caseForm", form);
            }
        }
        return new Answer(status, "job", model, null, null);
    }

    /**
     * Saves the job as a case of one of the suites its workflow names, its result the expected
     * output: checked and stored by {@code EvalCases} as {@code POST /v1/admin/evals/{suite}/cases}
     * does, audited with the signed-in key as actor. A refusal is shown at its field.
     */
    Answer saveAsCase(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN);
        Job job = visibleJob(s, req.path().pathParameters().get("id"), false);
        String suite = form.getOrDefault("suite", "").strip();
        String name = form.getOrDefault("name", "").strip();
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("suite", suite);
        values.put("name", name);
        Map<String, String> errors = new LinkedHashMap<>();
        if (suites.of(job.workflow(), job.workflowVersion()).stream().noneMatch(x -> x.name().equals(suite))) {
            errors.put("suite", "choose a suite that " + job.workflow() + " v" + job.workflowVersion() + " names");
        } else {
            try {
                var checked = evalCases.check(new dev.mainstay.engine.EvalCases.Capture(suite, job.id(), dev.mainstay.store.StoredEvalCase.OUTPUT, null,
                        name.isEmpty() ? null : name, List.of(), null, ""), "/correction", "key:" + s.keyId());
                var added = evalCases.add(checked, "");
                LOG.info("console saved job {} as eval case {} of suite {}", job.id(), added.name(), added.suite());
                Map<String, Object> model = new LinkedHashMap<>();
                model.put("saved", Map.of("suite", added.suite(), "name", added.name()));
                Answer page = jobPage(req, s, job, 200, model);
                return page;
            } catch (InvalidInputException e) {
                for (Violation v : e.violations()) {
                    String field = v.pointer().equals("/name") ? "name" : v.pointer().equals("/suite") ? "suite" : "job";
                    errors.merge(field, v.message(), (a, b) -> a + "; " + b);
                }
            }
        }
        errors.forEach((field, message) -> values.put(field + "Error", message));
        values.put("refused", true);
        return jobPage(req, s, job, 422, values);
    }

    /** What changes while a job runs: status, stages, events, usage. */
    private Map<String, Object> live(Job job) {
        Map<String, Object> m = new LinkedHashMap<>(statusOf(job.status()));
        m.put("id", job.id());
        m.put("resultType", job.resultType() == null ? "none yet" : job.resultType().wire());
        if (job.error() != null) {
            m.put("error", Map.of("code", job.error().code().code(), "message", job.error().message(), "retryable", job.error().retryable()));
        }
        m.put("inputTokens", job.usage().inputTokens());
        m.put("outputTokens", job.usage().outputTokens());
        m.put("cost", AccountLimits.Money.usd(job.usage().costMicros()));
        m.put("deadLetter", job.deadLetter());
        m.put("result", pretty(job.result()));
        m.put("provenance", job.provenance() == null ? "none yet" : pretty(job.provenance().toJson()));
        m.put("mayCancel", !job.status().isTerminal());
        m.put("mayReplay", job.status() == JobStatus.FAILED || job.deadLetter());
        List<Map<String, Object>> stages = new ArrayList<>();
        for (StageRun st : store.stages(job.id())) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("index", st.index());
            r.put("id", st.stageId());
            r.put("status", st.status());
            r.put("attempts", st.attempts());
            r.put("target", st.provenance() == null ? "" : st.provenance().provider() + " " + st.provenance().model());
            r.put("fallback", st.provenance() == null || st.provenance().fallbackPath().isEmpty() ? "" : String.join(" → ", st.provenance().fallbackPath()));
            r.put("error", st.error() == null ? "" : st.error().code().code());
            r.put("started", st.startedAt() == null ? "" : st.startedAt().toString());
            r.put("completed", st.completedAt() == null ? "" : st.completedAt().toString());
            stages.add(r);
        }
        m.put("stages", stages);
        List<Map<String, Object>> events = new ArrayList<>();
        long last = 0;
        for (JobEvent e : store.events(job.id(), 0, 1000)) {
            events.add(Map.of("seq", e.seq(), "type", e.type(), "at", e.at().toString(), "data", e.data() == null ? "" : Json.write(e.data())));
            last = e.seq();
        }
        m.put("events", events);
        m.put("lastSeq", last);
        return m;
    }

    /**
     * The job's live part as server-sent events of HTML for htmx's SSE extension: {@code job}
     * whenever the job moved on, {@code done} once it is terminal (the page then closes the stream).
     */
    void live(ServerRequest req, ServerResponse res, Optional<Session> session) throws InterruptedException {
        if (session.isEmpty()) {
            problem(res, new Refused(401, ErrorCode.UNAUTHORIZED, "sign in to the console first: no valid session cookie was sent"));
            return;
        }
        Job job;
        try {
            job = visibleJob(session.get(), req.path().pathParameters().get("id"), false);
        } catch (Refused r) {
            problem(res, r);
            return;
        }
        EventStreams.Admitted admitted;
        switch (streams.admit(job.accountId())) {
            case EventStreams.Admitted a -> admitted = a;
            case EventStreams.Refused r -> {
                res.header("Retry-After", Long.toString(r.retryAfter().toSeconds()));
                problem(res, r.accountFull()
                        ? new Refused(429, ErrorCode.RATE_LIMITED, "account " + job.accountId() + " holds " + r.open() + " open event streams, the most it may; close some pages")
                        : new Refused(503, ErrorCode.OVERLOADED, "this node holds " + r.open() + " open event streams, the most it may; try again shortly"));
                return;
            }
        }
        headers(res);
        Instant until = clock.instant().plus(LIVE_MAX);
        Duration heartbeat = streams.config().heartbeat();
        String seen = null;
        // Watching starts before the first read, so that nothing the job does after that read is missed.
        try (EventStreams.JobWatch watch = streams.watch(admitted, job.id()); SseSink sink = res.sink(SseSink.TYPE)) {
            boolean changed = true;
            while (true) {
                if (changed) {
                    Job now = store.job(job.id()).orElse(job);
                    Map<String, Object> model = live(now);
                    model.put("csrf", session.get().csrf());
                    String state = now.status().wire() + "/" + model.get("lastSeq") + "/" + now.updatedAt();
                    if (!state.equals(seen)) {
                        seen = state;
                        // One line: an SSE data field ends at a newline. A character reference is the same
                        // newline to the HTML parser, so pretty JSON in a <pre> keeps its lines.
                        sink.emit(SseEvent.builder().name("job").data(templates.fragment("job-live", model).replace("\r", "").replace("\n", "&#10;")).build());
                    }
                    if (now.status().isTerminal()) {
                        sink.emit(SseEvent.builder().name("done").data(now.status().wire()).build());
                        return;
                    }
                }
                if (watch.stopping() || clock.instant().isAfter(until)) {
                    return; // the browser reconnects, to another node if this one is stopping
                }
                changed = watch.changed(heartbeat);
                if (!changed) {
                    sink.emit(SseEvent.builder().comment("heartbeat").build());
                }
            }
        } catch (io.helidon.webserver.ServerConnectionException | java.io.UncheckedIOException e) {
            LOG.debug("console stream of job {} ended by the browser", job.id());
        }
    }

    Answer cancel(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        Job job = visibleJob(s, req.path().pathParameters().get("id"), true);
        engine.cancel(job.accountId(), job.id(), "key:" + s.keyId());
        return redirect("/console/jobs/" + job.id());
    }

    Answer replay(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        Job job = visibleJob(s, req.path().pathParameters().get("id"), true);
        engine.replay(job.accountId(), job.id(), "key:" + s.keyId());
        return redirect("/console/jobs/" + job.id());
    }

    Answer replayDeadLetters(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        List<String> ids = form.getOrDefault("job", "").lines().map(String::strip).filter(x -> !x.isEmpty()).toList();
        if (!"yes".equals(form.get("confirm"))) {
            throw new Refused(400, ErrorCode.INVALID_INPUT, "tick the confirmation box to replay " + ids.size() + " dead-lettered jobs");
        }
        int replayed = 0;
        List<String> refused = new ArrayList<>();
        for (String id : ids) {
            try {
                Job job = visibleJob(s, id, true);
                engine.replay(job.accountId(), job.id(), "key:" + s.keyId());
                replayed++;
            } catch (Refused | MainstayException e) {
                refused.add(id + ": " + e.getMessage());
            }
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("title", "Dead letters replayed");
        model.put("replayed", replayed);
        model.put("refused", refused);
        return view("replayed", model);
    }
}
