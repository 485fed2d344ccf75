package dev.mainstay.server;

import static dev.mainstay.server.ApiException.refuse;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.MainstayException;
import dev.mainstay.limits.LimitExceededException;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.usage.UsageQuery;
import dev.mainstay.access.Principal;
import dev.mainstay.access.WorkflowAccess;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.Engine;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.engine.Reviews;
import dev.mainstay.review.ReviewNotFoundException;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.Latency;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The HTTP API of DESIGN §4. One entry point routes by method and path so that every answer,
 * including 404 and 405, is Mainstay's own JSON and every refusal an RFC 9457 problem; nothing
 * a client sends can produce a stack trace.
 */
final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final Pattern JOB_PATH = Pattern.compile("/v1/jobs/([A-Za-z0-9_]{1,64})(/(cancel|replay|events))?");
    private static final Pattern DIFF_PATH = Pattern.compile("/v1/jobs/([A-Za-z0-9_]{1,64})/diff/([A-Za-z0-9_]{1,64})");
    private static final Pattern LIMITS_PATH = Pattern.compile("/v1/admin/accounts/([A-Za-z0-9_]{1,64})/limits");
    private static final Pattern REVIEW_PATH = Pattern.compile("/v1/reviews/([A-Za-z0-9_]{1,64})(/decision)?");
    private static final Pattern PREFER_WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*\"?(\\d{1,6})\"?", Pattern.CASE_INSENSITIVE);
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final Duration MAX_WAIT = Duration.ofSeconds(300);
    private static final Duration INSTANT_SLACK = Duration.ofMillis(250);

    private final Engine engine;
    private final Reviews reviews;
    private final LimitsAdmin limitsAdmin;
    private final WorkflowRegistry registry;
    private final Store store;
    private final ServerConfig config;
    private final Clock clock;
    private final Authenticator auth;
    private final RequestBody bodies;
    private final KeysApi keys;
    private volatile boolean stopping;

    private final AuditApi audit;

    HttpApi(Engine engine, Reviews reviews, LimitsAdmin limitsAdmin, WorkflowRegistry registry, Store store, ServerConfig config, Clock clock) {
        this.engine = engine;
        this.reviews = reviews;
        this.limitsAdmin = limitsAdmin;
        this.registry = registry;
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.auth = new Authenticator(store, clock, new AuthThrottle(config.hardening().authFailures(), config.hardening().authFailureWindow(), clock));
        this.bodies = new RequestBody(config);
        this.keys = new KeysApi(store, clock, auth, bodies, config.newAccountLimits());
        this.audit = new AuditApi(store);
    }

    void markStopping() {
        stopping = true;
    }

    void handle(ServerRequest req, ServerResponse res) {
        String path = req.path().path();
        Reply reply;
        try {
            reply = route(req.prologue().method().text(), path, req);
        } catch (InvalidInputException e) {
            reply = problem(new Problem(400, ErrorCode.INVALID_INPUT, e.getMessage(), false, Optional.empty(),
                    e.violations().stream().map(Problem.FieldError::of).toList()), path);
        } catch (ApiException e) {
            reply = problem(e.problem, path);
            for (String[] h : e.headers) {
                reply.header(h[0], h[1]);
            }
        } catch (LimitExceededException e) {
            reply = problem(new Problem(Problem.status(e.code()), e.code(), e.getMessage(), e.retryable(), e.retryAfter(), List.of()), path);
            ((ObjectNode) reply.body()).put("limit", e.hit().limit()).put("scope", e.hit().scope());
        } catch (dev.mainstay.store.StoreException e) {
            // The database is away (a restart, a failover) or refused: nothing was accepted that the
            // client was told about, and the same request with the same idempotency key is safe again.
            LOG.warn("the store failed answering {} {}: {}", req.prologue().method().text(), path, e.getMessage());
            reply = problem(new Problem(503, ErrorCode.OVERLOADED, "the database did not answer; retry shortly with the same Idempotency-Key",
                    true, Optional.of(Duration.ofSeconds(1)), List.of()), path);
        } catch (MainstayException e) {
            reply = problem(new Problem(Problem.status(e.code()), e.code(), e.getMessage(), e.retryable(), e.retryAfter(), List.of()), path);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reply = problem(new Problem(503, ErrorCode.OVERLOADED, "the server is shutting down; retry shortly", true, Optional.of(Duration.ofSeconds(1)), List.of()), path);
        } catch (RuntimeException e) {
            LOG.error("unexpected failure answering {} {}", req.prologue().method().text(), path, e);
            reply = problem(Problem.internal(), path);
        }
        send(res, reply);
    }

    private void send(ServerResponse res, Reply reply) {
        byte[] body = Json.write(reply.body()).getBytes(StandardCharsets.UTF_8);
        res.status(Status.create(reply.status()));
        boolean problem = reply.status() >= 400;
        res.header(HeaderNames.CONTENT_TYPE, problem ? "application/problem+json" : "application/json");
        SecurityHeaders.apply(res);
        for (String[] h : reply.headers()) {
            res.header(h[0], h[1]);
        }
        res.send(body);
    }

    private static Reply problem(Problem p, String instance) {
        Reply r = Reply.json(p.status(), p.toJson(instance));
        p.retryAfter().ifPresent(d -> r.header("Retry-After", Long.toString(Problem.seconds(d))));
        if (p.status() == 401) {
            r.header("WWW-Authenticate", "Bearer realm=\"mainstay\"");
        }
        return r;
    }

    // ---- routing -------------------------------------------------------------------------------

    private Reply route(String method, String path, ServerRequest req) throws InterruptedException {
        switch (path) {
            case "/health/live" -> {
                allow(method, "GET");
                return Reply.json(200, Json.object().put("status", "live"));
            }
            case "/health/ready" -> {
                allow(method, "GET");
                return ready();
            }
            case "/v1/workflows" -> {
                allow(method, "GET");
                auth.authenticate(req);
                return workflows();
            }
            case "/v1/jobs" -> {
                allow(method, "GET");
                return listJobs(auth.authenticate(req), req);
            }
            case "/v1/admin/targets" -> {
                allow(method, "GET");
                auth.admin(req);
                return targets();
            }
            case "/v1/admin/accounts" -> {
                allow(method, "POST");
                return keys.createAccount(auth.admin(req), req);
            }
            case "/v1/usage" -> {
                allow(method, "GET");
                Principal p = auth.authenticate(req);
                return usage(p.accountId(), req, false, w -> w.access().mayRun(p));
            }
            case "/v1/admin/audit" -> {
                allow(method, "GET");
                auth.admin(req);
                return audit.list(req);
            }
            case "/v1/admin/usage" -> {
                allow(method, "GET");
                auth.admin(req);
                return usage(req.query().first("account").asOptional().orElse(null), req, true, w -> true);
            }
            default -> {
                // handled below
            }
        }
        Reply keyReply = keys.route(method, path, req);
        if (keyReply != null) {
            return keyReply;
        }
        Matcher limits = LIMITS_PATH.matcher(path);
        if (limits.matches()) {
            Principal admin = auth.admin(req);
            String account = limits.group(1);
            if (store.account(account).isEmpty()) {
                throw refuse(ErrorCode.NOT_FOUND, "no account '" + account + "'");
            }
            if (method.equals("PUT")) {
                AccountLimits set = AccountLimits.fromJson(bodies.json(req));
                LOG.info("limits of account {} set by {}: {}", account, admin.keyId(), set.toJson());
                return Reply.json(200, limitsView(account, limitsAdmin.setLimits(account, set, admin.keyId())));
            }
            if (!method.equals("GET")) {
                throw new ApiException(Problem.of(ErrorCode.METHOD_NOT_ALLOWED, method + " is not allowed here; use GET or PUT")).header("Allow", "GET, PUT");
            }
            return Reply.json(200, limitsView(account, limitsAdmin.limits(account)));
        }
        Matcher review = REVIEW_PATH.matcher(path);
        if (path.equals("/v1/reviews")) {
            allow(method, "GET");
            return listReviews(auth.authenticate(req), req);
        }
        if (review.matches()) {
            String id = review.group(1);
            Principal p = auth.authenticate(req);
            if (review.group(2) == null) {
                allow(method, "GET");
                return Reply.json(200, ReviewView.render(readableReview(p, id)));
            }
            allow(method, "POST");
            readableReview(p, id);
            return decide(p, id, req);
        }
        Matcher diff = DIFF_PATH.matcher(path);
        if (diff.matches()) {
            Principal p = auth.authenticate(req);
            allow(method, "GET");
            return Reply.json(200, JobDiff.render(readableJob(p, diff.group(1)), readableJob(p, diff.group(2))));
        }
        Matcher job = JOB_PATH.matcher(path);
        if (job.matches()) {
            String id = job.group(1);
            String action = job.group(3);
            if (action == null) {
                allow(method, "GET");
                Principal p = auth.authenticate(req);
                Job j = readableJob(p, id);
                return Reply.json(200, JobView.render(j, store.stages(id), clock.instant()));
            }
            switch (action) {
                case "events" -> {
                    allow(method, "GET");
                    return events(auth.authenticate(req), id, req);
                }
                case "cancel" -> {
                    allow(method, "POST");
                    Principal p = auth.authenticate(req);
                    runnableJob(p, id);
                    Job j = engine.cancel(p.accountId(), id, "key:" + p.keyId());
                    return Reply.json(200, JobView.render(j, store.stages(id), clock.instant()));
                }
                default -> {
                    allow(method, "POST");
                    Principal p = auth.authenticate(req);
                    runnableJob(p, id);
                    Job j = engine.replay(p.accountId(), id, "key:" + p.keyId());
                    return Reply.json(202, JobView.render(j, store.stages(id), clock.instant())).header("Location", "/v1/jobs/" + id);
                }
            }
        }
        if (path.startsWith("/v1/jobs/")) {
            throw refuse(ErrorCode.NOT_FOUND, "no job '" + path.substring("/v1/jobs/".length()) + "' in this account");
        }
        if (path.startsWith("/v1/") && path.length() > 4) {
            String name = path.substring(4);
            Optional<WorkflowDefinition> workflow = registry.active(name);
            if (workflow.isPresent()) {
                Principal principal = auth.authenticate(req);
                allow(method, "POST");
                if (!workflow.get().access().mayRun(principal)) {
                    throw refuse(ErrorCode.FORBIDDEN, "this key may not run " + name + ": it needs one of the roles "
                            + sorted(workflow.get().access().run()) + " and has " + sorted(principal.roles()));
                }
                return submit(principal, workflow.get(), req);
            }
            if (method.equals("POST")) {
                auth.authenticate(req);
                throw refuse(ErrorCode.UNKNOWN_WORKFLOW, "no workflow '" + name + "'; GET /v1/workflows lists the workflows this server runs");
            }
        }
        throw refuse(ErrorCode.NOT_FOUND, "no resource at " + path + "; the API is described in docs/api.md");
    }

    // ---- permissions ---------------------------------------------------------------------------

    /**
     * Which roles a workflow's jobs need: the active version's rules, so that tightening
     * {@code access} in a new version also covers the jobs of older ones.
     */
    private WorkflowAccess access(String workflow, int version) {
        return registry.active(workflow).or(() -> registry.version(workflow, version)).map(WorkflowDefinition::access).orElse(WorkflowAccess.ANY);
    }

    /** The caller's job {@code id}, which its key may read; another account's job is simply not found. */
    private Job readableJob(Principal p, String id) {
        Job job = engine.job(p.accountId(), id);
        WorkflowAccess access = access(job.workflow(), job.workflowVersion());
        if (!access.mayRead(p)) {
            throw refuse(ErrorCode.FORBIDDEN, "this key may not read jobs of " + job.workflow() + ": it needs one of the roles "
                    + sorted(access.read()) + " and has " + sorted(p.roles()));
        }
        return job;
    }

    /** The caller's job {@code id}, which its key may run again or cancel. */
    private Job runnableJob(Principal p, String id) {
        Job job = engine.job(p.accountId(), id);
        WorkflowAccess access = access(job.workflow(), job.workflowVersion());
        if (!access.mayRun(p)) {
            throw refuse(ErrorCode.FORBIDDEN, "this key may not run or cancel jobs of " + job.workflow() + ": it needs one of the roles "
                    + sorted(access.run()) + " and has " + sorted(p.roles()));
        }
        return job;
    }

    private Review readableReview(Principal p, String id) {
        Review review = store.review(id).filter(r -> r.accountId().equals(p.accountId())).orElseThrow(() -> new ReviewNotFoundException(id));
        WorkflowAccess access = registry.active(review.workflow()).map(WorkflowDefinition::access).orElse(WorkflowAccess.ANY);
        if (!access.mayRead(p)) {
            throw refuse(ErrorCode.FORBIDDEN, "this key may not read or decide reviews of " + review.workflow() + ": it needs one of the roles "
                    + sorted(access.read()) + " and has " + sorted(p.roles()));
        }
        return review;
    }

    private boolean mayRead(Principal p, String workflow) {
        return registry.active(workflow).map(WorkflowDefinition::access).orElse(WorkflowAccess.ANY).mayRead(p);
    }

    private static List<String> sorted(Set<String> roles) {
        return roles.stream().sorted().toList();
    }

    private static void allow(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new ApiException(Problem.of(ErrorCode.METHOD_NOT_ALLOWED, method + " is not allowed here; use " + allowed)).header("Allow", allowed);
        }
    }

    // ---- handlers ------------------------------------------------------------------------------

    private Reply ready() {
        if (stopping) {
            return Reply.json(503, Json.object().put("status", "stopping")).header("Retry-After", "1");
        }
        try {
            store.countUnfinished(null);
        } catch (RuntimeException e) {
            return Reply.json(503, Json.object().put("status", "store unavailable").put("detail", e.getMessage()));
        }
        return Reply.json(200, Json.object().put("status", "ready").put("workflows", registry.all().size()).put("running_jobs", engine.runningCount()));
    }

    private Reply targets() {
        ArrayNode list = Json.array();
        for (var t : engine.targetHealth()) {
            ObjectNode o = list.addObject();
            o.put("target", t.target().toString());
            o.put("state", t.state().name().toLowerCase(Locale.ROOT));
            o.put("consecutive_failures", t.consecutiveFailures());
            o.put("open_until", t.openUntil() == null ? null : t.openUntil().toString());
            if (t.p95().isPresent()) {
                o.put("p95_ms", t.p95().get().toMillis());
            } else {
                o.putNull("p95_ms");
            }
            o.put("calls", t.calls());
            o.put("failures", t.failures());
        }
        return Reply.json(200, Json.object().put("node", engine.config().nodeId()).set("targets", list));
    }

    private Reply workflows() {
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
                    case dev.mainstay.workflow.ToolStage t -> st.put("kind", "tool").put("tool", t.tool()).put("scope", t.scope().wire()).put("method", t.method());
                }
            });
        }
        return Reply.json(200, Json.object().set("workflows", list));
    }

    private Reply submit(Principal principal, WorkflowDefinition workflow, ServerRequest req) throws InterruptedException {
        Optional<String> key = RequestHeaders.single(req, HeaderNames.create("Idempotency-Key")).map(String::strip);
        if (key.isPresent() && !IDEMPOTENCY_KEY.matcher(key.get()).matches()) {
            throw new ApiException(new Problem(400, ErrorCode.INVALID_INPUT, "Idempotency-Key must be 1 to 255 visible ASCII characters",
                    false, Optional.empty(), List.of(Problem.FieldError.parameter("Idempotency-Key", "1 to 255 visible ASCII characters"))));
        }
        JsonNode body = bodies.json(req);
        Engine.Submission submission = engine.submit(principal, workflow, body, key.orElse(null));
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
                .header("Location", "/v1/jobs/" + job.id());
        if (applied != null) {
            reply.header("Preference-Applied", applied);
        }
        if (!submission.created()) {
            reply.header("Idempotent-Replayed", "true");
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

    private Reply listJobs(Principal principal, ServerRequest req) {
        var query = req.query();
        List<Problem.FieldError> errors = new ArrayList<>();
        String workflow = query.first("workflow").asOptional().orElse(null);
        JobStatus status = null;
        Optional<String> statusText = query.first("status").asOptional();
        if (statusText.isPresent()) {
            try {
                status = JobStatus.fromWire(statusText.get());
            } catch (IllegalArgumentException e) {
                errors.add(Problem.FieldError.parameter("status", "unknown status '" + statusText.get() + "'; one of "
                        + String.join(", ", java.util.Arrays.stream(JobStatus.values()).map(JobStatus::wire).toList())));
            }
        }
        Boolean deadLetter = null;
        Optional<String> dl = query.first("dead_letter").asOptional();
        if (dl.isPresent()) {
            switch (dl.get()) {
                case "true" -> deadLetter = true;
                case "false" -> deadLetter = false;
                default -> errors.add(Problem.FieldError.parameter("dead_letter", "must be true or false"));
            }
        }
        int limit = parseLimit(query.first("limit").asOptional(), errors);
        String cursor = parseCursor(query.first("cursor").asOptional(), errors);
        if (!errors.isEmpty()) {
            throw new ApiException(new Problem(400, ErrorCode.INVALID_INPUT, "invalid query parameters", false, Optional.empty(), errors));
        }
        if (workflow != null && !mayRead(principal, workflow)) {
            throw refuse(ErrorCode.FORBIDDEN, "this key may not read jobs of " + workflow + ": it needs one of the roles "
                    + sorted(registry.active(workflow).map(w -> w.access().read()).orElse(Set.of())) + " and has " + sorted(principal.roles()));
        }
        JobPage page = store.jobs(new JobQuery(principal.accountId(), workflow, status, deadLetter, limit, cursor));
        Instant now = clock.instant();
        ArrayNode jobs = Json.array();
        // Jobs of workflows the key may not read are left out of the page, which may then be
        // shorter than the limit; next_cursor still continues after the whole page.
        page.jobs().stream().filter(j -> mayRead(principal, j.workflow())).forEach(j -> jobs.add(JobView.render(j, null, now)));
        ObjectNode out = Json.object();
        out.set("jobs", jobs);
        out.put("next_cursor", page.nextCursor().orElse(null));
        return Reply.json(200, out);
    }

    private Reply events(Principal principal, String jobId, ServerRequest req) {
        readableJob(principal, jobId);
        long after = 0;
        Optional<String> afterText = req.query().first("after").asOptional();
        if (afterText.isPresent()) {
            try {
                after = Long.parseLong(afterText.get());
            } catch (NumberFormatException e) {
                throw new ApiException(new Problem(400, ErrorCode.INVALID_INPUT, "invalid query parameters", false, Optional.empty(),
                        List.of(Problem.FieldError.parameter("after", "must be an event sequence number"))));
            }
        }
        ArrayNode list = Json.array();
        for (JobEvent e : store.events(jobId, after, 1000)) {
            ObjectNode o = list.addObject();
            o.put("seq", e.seq());
            o.put("type", e.type());
            o.set("data", e.data() == null ? Json.MAPPER.nullNode() : e.data());
            o.put("at", e.at().toString());
        }
        return Reply.json(200, Json.object().set("events", list));
    }

    private Reply listReviews(Principal principal, ServerRequest req) {
        var query = req.query();
        List<Problem.FieldError> errors = new ArrayList<>();
        Review.Status status = null;
        Optional<String> statusText = query.first("status").asOptional();
        if (statusText.isPresent()) {
            try {
                status = Review.Status.fromWire(statusText.get());
            } catch (IllegalArgumentException e) {
                errors.add(Problem.FieldError.parameter("status", "one of pending, approved, edited, rejected"));
            }
        }
        int limit = parseLimit(query.first("limit").asOptional(), errors);
        String cursor = parseCursor(query.first("cursor").asOptional(), errors);
        if (!errors.isEmpty()) {
            throw new ApiException(new Problem(400, ErrorCode.INVALID_INPUT, "invalid query parameters", false, Optional.empty(), errors));
        }
        List<Review> reviews = store.reviews(new ReviewQuery(principal.accountId(), status, query.first("workflow").asOptional().orElse(null), limit, cursor));
        ArrayNode list = Json.array();
        reviews.stream().filter(r -> mayRead(principal, r.workflow())).forEach(r -> list.add(ReviewView.render(r)));
        ObjectNode out = Json.object();
        out.set("reviews", list);
        out.put("next_cursor", reviews.size() == limit ? reviews.getLast().id() : null);
        return Reply.json(200, out);
    }

    private Reply decide(Principal principal, String reviewId, ServerRequest req) {
        JsonNode body = bodies.json(req);
        if (!body.isObject()) {
            throw new InvalidInputException("the body must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        List<Violation> errors = new ArrayList<>();
        for (String field : body.propertyNames()) {
            if (!Set.of("decision", "output", "note", "override").contains(field)) {
                errors.add(new Violation("/" + field, "unknown field (allowed: decision, output, note, override)"));
            }
        }
        Review.Decision decision = null;
        JsonNode d = body.get("decision");
        if (d == null || !d.isString()) {
            errors.add(new Violation("/decision", "required: approve, edit or reject"));
        } else {
            try {
                decision = Review.Decision.fromWire(d.stringValue());
            } catch (IllegalArgumentException e) {
                errors.add(new Violation("/decision", "must be approve, edit or reject, got '" + d.stringValue() + "'"));
            }
        }
        JsonNode note = body.get("note");
        if (note != null && (!note.isString() || note.stringValue().length() > 2000)) {
            errors.add(new Violation("/note", "must be a string of at most 2000 characters"));
        }
        if (decision != null && decision != Review.Decision.EDIT && body.has("output")) {
            errors.add(new Violation("/output", "only an 'edit' carries an output"));
        }
        JsonNode override = body.get("override");
        if (override != null && !override.isBoolean()) {
            errors.add(new Violation("/override", "must be true or false"));
        } else if (override != null && override.booleanValue() && decision != null && decision != Review.Decision.EDIT) {
            errors.add(new Violation("/override", "only an 'edit' overrides the output contract"));
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException("the decision is not valid", errors);
        }
        Review decided = reviews.decide(principal.accountId(), reviewId, decision, body.get("output"), note == null ? null : note.stringValue(), principal.keyId(),
                override != null && override.booleanValue());
        return Reply.json(200, ReviewView.render(decided));
    }

    private static String parseCursor(Optional<String> text, List<Problem.FieldError> errors) {
        if (text.isPresent() && !text.get().matches("[A-Za-z0-9_]{1,64}")) {
            errors.add(Problem.FieldError.parameter("cursor", "not a cursor returned by this endpoint"));
            return null;
        }
        return text.orElse(null);
    }

    private static int parseLimit(Optional<String> text, List<Problem.FieldError> errors) {
        if (text.isEmpty()) {
            return JobQuery.DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text.get());
            if (limit >= 1 && limit <= JobQuery.MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        errors.add(Problem.FieldError.parameter("limit", "must be a whole number from 1 to " + JobQuery.MAX_LIMIT));
        return JobQuery.DEFAULT_LIMIT;
    }

    // ---- limits and usage ----------------------------------------------------------------------

    private static ObjectNode limitsView(String account, LimitsAdmin.AccountLimitsView view) {
        ObjectNode out = Json.object().put("account", account);
        out.set("limits", view.set().toJson());
        out.set("effective", view.effective().toJson());
        return out;
    }

    /** {@code GET /v1/usage} and {@code GET /v1/admin/usage}: ledger totals over a period, grouped. */
    private Reply usage(String accountId, ServerRequest req, boolean admin, java.util.function.Predicate<WorkflowDefinition> mayRun) {
        var query = req.query();
        List<Problem.FieldError> errors = new ArrayList<>();
        Instant now = clock.instant();
        Instant monthStart = java.time.YearMonth.from(now.atZone(java.time.ZoneOffset.UTC)).atDay(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        Instant from = time(query.first("from").asOptional(), "from", monthStart, errors);
        Instant to = time(query.first("to").asOptional(), "to", now.plusMillis(1), errors);
        if (from != null && to != null && !from.isBefore(to)) {
            errors.add(Problem.FieldError.parameter("to", "must be after 'from'"));
        }
        String groupText = query.first("group_by").asOptional().orElse("day");
        UsageQuery.GroupBy groupBy = null;
        for (UsageQuery.GroupBy g : UsageQuery.GroupBy.values()) {
            if (g.wire().equals(groupText) && (admin || g != UsageQuery.GroupBy.ACCOUNT)) {
                groupBy = g;
            }
        }
        if (groupBy == null) {
            errors.add(Problem.FieldError.parameter("group_by", "one of day, workflow, model" + (admin ? ", account" : "") + "; got '" + groupText + "'"));
        }
        if (!errors.isEmpty()) {
            throw new ApiException(new Problem(400, ErrorCode.INVALID_INPUT, "the usage query is not valid", false, Optional.empty(), errors));
        }
        List<UsageQuery.Row> rows = limitsAdmin.usage(new UsageQuery(accountId, from, to, groupBy));
        ObjectNode out = Json.object();
        if (accountId != null) {
            out.put("account", accountId);
        }
        out.put("from", from.toString()).put("to", to.toString()).put("group_by", groupBy.wire());
        UsageQuery.Row total = new UsageQuery.Row("total", 0, 0, 0, 0, 0);
        ArrayNode groups = Json.array();
        for (UsageQuery.Row r : rows) {
            groups.add(usageRow(r).put("key", r.key()));
            total = total.plus(r);
        }
        out.set("totals", usageRow(total));
        out.set("groups", groups);
        if (accountId != null) {
            out.setAll(standing(accountId, mayRun));
        }
        return Reply.json(200, out);
    }

    /**
     * The account's budgets as they stand now and, for each workflow it may run, the worst case of
     * that workflow's cheapest first call and whether a submit would be admitted: the numbers
     * behind a {@code budget_exceeded} at submit.
     */
    private ObjectNode standing(String accountId, java.util.function.Predicate<WorkflowDefinition> mayRun) {
        var standing = limitsAdmin.standing(accountId, registry.all().stream().filter(mayRun)
                .sorted(java.util.Comparator.comparing(WorkflowDefinition::name)).toList());
        ObjectNode out = Json.object();
        ArrayNode budgets = out.putArray("budgets");
        for (var b : standing.budgets()) {
            ObjectNode o = budgets.addObject().put("limit", b.limit()).put("scope", b.label());
            amount(o, "max", b.unit(), b.max());
            amount(o, "spent", b.unit(), b.spent());
            amount(o, "reserved", b.unit(), b.reserved());
            amount(o, "remaining", b.unit(), b.remaining());
            o.put("resets_at", b.resetsAt() == null ? null : b.resetsAt().toString());
        }
        ArrayNode workflows = out.putArray("workflows");
        for (var w : standing.workflows()) {
            ObjectNode o = workflows.addObject().put("workflow", w.name()).put("version", w.version());
            if (w.cheapestFirstCall().isPresent()) {
                var c = w.cheapestFirstCall().get();
                o.putObject("first_call").put("stage", c.stage()).put("target", c.target().toString()).put("prompt_tokens", c.promptTokens())
                        .put("max_output_tokens", c.maxOutputTokens()).put("worst_case_usd", AccountLimits.Money.usd(c.costMicros()))
                        .put("worst_case_tokens", w.firstCallTokens());
            } else {
                o.putNull("first_call");
            }
            o.put("admitted", w.refusal().isEmpty());
            if (w.refusal().isPresent()) {
                o.putObject("refusal").put("code", w.refusal().get().code().code()).put("limit", w.refusal().get().limit())
                        .put("detail", w.refusal().get().message());
            } else {
                o.putNull("refusal");
            }
        }
        return out;
    }

    private static void amount(ObjectNode o, String field, dev.mainstay.limits.Hold.Unit unit, long value) {
        if (unit == dev.mainstay.limits.Hold.Unit.MICRO_USD) {
            o.put(field, AccountLimits.Money.usd(value));
        } else {
            o.put(field, value);
        }
    }

    private static ObjectNode usageRow(UsageQuery.Row r) {
        return Json.object().put("calls", r.calls()).put("input_tokens", r.inputTokens()).put("cached_input_tokens", r.cachedInputTokens())
                .put("output_tokens", r.outputTokens()).put("tokens", r.inputTokens() + r.outputTokens())
                .put("cost_usd", AccountLimits.Money.usd(r.costMicros()))
                // Included above: calls in flight when their node died, charged at their estimates.
                .put("unknown_outcome_calls", r.unknownOutcomeCalls()).put("unknown_outcome_cost_usd", AccountLimits.Money.usd(r.unknownOutcomeCostMicros()));
    }

    /** An RFC 3339 instant or a {@code YYYY-MM-DD} date (its UTC midnight). */
    private static Instant time(Optional<String> text, String parameter, Instant otherwise, List<Problem.FieldError> errors) {
        if (text.isEmpty()) {
            return otherwise;
        }
        String t = text.get().strip();
        Optional<Instant> at = Timestamps.timeOrDate(t);
        if (at.isEmpty()) {
            errors.add(Problem.FieldError.parameter(parameter, "must be a date (2026-11-01) or an RFC 3339 time (2026-11-01T00:00:00Z); got '" + t + "'"));
        }
        return at.orElse(null);
    }
}
