package dev.mainstay.server.console;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.MainstayException;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import dev.mainstay.access.WorkflowAccess;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditCheck;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.Engine;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.engine.Reviews;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.StageRun;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.server.console.Sessions.Session;
import dev.mainstay.stats.JobStats;
import dev.mainstay.stats.Tally;
import dev.mainstay.stats.QueueSnapshot;
import dev.mainstay.stats.StatsQuery;
import dev.mainstay.store.Store;
import dev.mainstay.webhook.SecretBox;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The operator console under {@code /console}: HTML rendered here from Mustache templates, enhanced
 * by htmx and its SSE extension served from the jar, no third-party origin. It is not part of the
 * JSON API: its routes are registered beside the route table, not in it, and are absent from the
 * OpenAPI document. Every page and action checks the signed-in key's role on the server
 * ({@link Role}); every form carries the session's CSRF token and a post without it is refused.
 */
public final class Console {
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    /** Only the console's own scripts, styles and streams; no inline script, no framing. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    private static final int PAGE = 50;
    private static final int MAX_FORM_BYTES = 256 * 1024;
    private static final Duration LIVE_POLL = Duration.ofMillis(200);
    private static final Duration LIVE_MAX = Duration.ofMinutes(10);

    /** What a signed-in key may do in the console, decided from its key alone. */
    enum Role {
        /** An admin key: every account, limits, audit, overview. */
        ADMIN,
        /** A key with the {@code reviewer} role: the review queue of its account, nothing else. */
        REVIEWER,
        /** Any other key: its own account's jobs, reviews and usage. */
        ACCOUNT;

        static Role of(Principal p) {
            if (p.admin()) {
                return ADMIN;
            }
            return p.roles().contains("reviewer") ? REVIEWER : ACCOUNT;
        }
    }

    /**
     * Counts failed sign-ins per client address, with the API's failed authentications: an address
     * that keeps sending wrong keys is refused for the rest of its window, here as there.
     */
    public interface SignInGuard {
        /** How long {@code address} is still refused, if it is. */
        Optional<Duration> blocked(String address);

        void failed(String address);
    }

    /**
     * What the workflows page reads and does: the activation gate (promote, roll back), the eval
     * runs it compares, and each workflow's versions as the admin API shows them.
     */
    public record Versions(dev.mainstay.engine.Activations activations, dev.mainstay.engine.EvalRuns evalRuns,
            java.util.function.Function<String, ObjectNode> view) {
    }

    /** A refusal the console answers with a page (a GET) or a problem (a POST). */
    static final class Refused extends RuntimeException {
        final int status;
        final ErrorCode code;

        Refused(int status, ErrorCode code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }

    private final Engine engine;
    private final Reviews reviews;
    private final dev.mainstay.engine.EvalCases evalCases;
    private final dev.mainstay.evals.EvalSuites suites;
    private final BiFunction<Job, Job, ObjectNode> diff;
    private final Optional<String> traceUrl;
    private final Versions versions;
    private final LimitsAdmin limitsAdmin;
    private final WorkflowRegistry registry;
    private final Store store;
    private final Clock clock;
    private final Sessions sessions;
    private final Templates templates = new Templates();
    private final BiFunction<Job, Instant, ObjectNode> envelope;
    private final SignInGuard guard;
    private final Runnable wakeDeliveries;

    /**
     * @param box the node's secrets key, which seals session cookies
     * @param envelope the job envelope of the JSON API for a job at an instant
     * @param guard what refuses an address after too many failed sign-ins
     * @param wakeDeliveries tells the node's webhook worker that replayed deliveries are due
     * @param diff why two jobs' results differ, as {@code GET /v1/jobs/{a}/diff/{b}} answers it
     * @param traceUrl a trace backend's page of a trace, {@code {trace_id}} where its id goes
     * @param versions the workflows' versions, their gate and their eval runs
     */
    public Console(Engine engine, Reviews reviews, LimitsAdmin limitsAdmin, dev.mainstay.engine.EvalCases evalCases, dev.mainstay.evals.EvalSuites suites,
            WorkflowRegistry registry, Store store, Clock clock, SecretBox box, BiFunction<Job, Instant, ObjectNode> envelope, SignInGuard guard,
            Runnable wakeDeliveries, BiFunction<Job, Job, ObjectNode> diff, Optional<String> traceUrl, Versions versions) {
        this.versions = versions;
        this.engine = engine;
        this.reviews = reviews;
        this.evalCases = evalCases;
        this.suites = suites;
        this.diff = diff;
        this.traceUrl = traceUrl;
        this.limitsAdmin = limitsAdmin;
        this.registry = registry;
        this.store = store;
        this.clock = clock;
        this.sessions = new Sessions(box, store, clock);
        this.envelope = envelope;
        this.guard = guard;
        this.wakeDeliveries = wakeDeliveries;
    }

    /** Registers the console's pages, actions and assets. */
    public void routing(HttpRouting.Builder rules) {
        rules.get("/console/assets/{name}", (req, res) -> Assets.serve(req.path().pathParameters().get("name"), res))
                .get("/console/sign-in", (req, res) -> signInPage(req, res, null, 200))
                .post("/console/sign-in", this::signIn)
                .get("/console", page(this::overview))
                .get("/console/", page(this::overview))
                .post("/console/sign-out", action((req, s, form) -> {
                    return redirect("/console/sign-in").withCookie(clearCookie(req));
                }))
                .get("/console/jobs", page(this::jobs))
                .get("/console/jobs/{id}", page(this::job))
                .get("/console/jobs/{id}/live", this::live)
                .post("/console/jobs/{id}/cancel", action(this::cancel))
                .post("/console/jobs/{id}/replay", action(this::replay))
                .post("/console/jobs/{id}/eval-case", action(this::saveAsCase))
                .get("/console/dead-letters", page(this::deadLetters))
                .post("/console/dead-letters/replay", action(this::replayDeadLetters))
                .get("/console/reviews", page(this::reviewQueue))
                .get("/console/reviews/{id}", page(this::review))
                .post("/console/reviews/{id}/decision", action(this::decide))
                .get("/console/usage", page(this::usage))
                .post("/console/usage/limits", action(this::setLimits))
                .get("/console/providers", page(this::providers))
                .get("/console/workflows", page(this::workflows))
                .post("/console/workflows/activate", action(this::activate))
                .get("/console/webhooks", page(this::webhooks))
                .post("/console/webhooks/{endpoint}/replay", action(this::replayDeliveries))
                .get("/console/audit", page(this::audit))
                .post("/console/audit/verify", action(this::verifyAudit));
    }

    // ---- plumbing: sessions, pages, actions ------------------------------------------------------

    /** What a page handler answers: a template and its model, a status, perhaps a redirect. */
    record Answer(int status, String template, Map<String, Object> model, String location, String cookie) {
        Answer withCookie(String c) {
            return new Answer(status, template, model, location, c);
        }
    }

    static Answer view(String template, Map<String, Object> model) {
        return new Answer(200, template, model, null, null);
    }

    static Answer redirect(String location) {
        return new Answer(303, null, Map.of(), location, null);
    }

    @FunctionalInterface
    interface Page {
        Answer answer(ServerRequest req, Session session) throws Exception;
    }

    @FunctionalInterface
    interface Action {
        Answer answer(ServerRequest req, Session session, Map<String, String> form) throws Exception;
    }

    private Handler page(Page page) {
        return (req, res) -> {
            Optional<Session> session = session(req);
            if (session.isEmpty()) {
                String next = req.path().path() + (req.query().rawValue().isEmpty() ? "" : "?" + req.query().rawValue());
                send(req, res, redirect("/console/sign-in?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8)), null);
                return;
            }
            try {
                send(req, res, page.answer(req, session.get()), session.get());
            } catch (Refused r) {
                send(req, res, errorPage(r.status, r.getMessage()), session.get());
            } catch (MainstayException e) {
                send(req, res, errorPage(status(e.code()), e.getMessage()), session.get());
            }
        };
    }

    private Handler action(Action action) {
        return (req, res) -> {
            Map<String, String> form;
            try {
                form = form(req);
            } catch (Refused r) {
                problem(res, r);
                return;
            }
            Optional<Session> session = session(req);
            if (session.isEmpty()) {
                problem(res, new Refused(401, ErrorCode.UNAUTHORIZED, "sign in to the console first: no valid session cookie was sent"));
                return;
            }
            if (!Sessions.csrfMatches(session.get(), form.get("csrf"))) {
                problem(res, new Refused(403, ErrorCode.FORBIDDEN, "the form's CSRF token is missing or does not match this session; reload the page and try again"));
                return;
            }
            try {
                send(req, res, action.answer(req, session.get(), form), session.get());
            } catch (Refused r) {
                problem(res, r);
            } catch (MainstayException e) {
                send(req, res, errorPage(status(e.code()), e.getMessage()), session.get());
            }
        };
    }

    private Optional<Session> session(ServerRequest req) {
        for (String header : req.headers().all(HeaderNames.COOKIE, List::of)) {
            for (String part : header.split(";")) {
                String p = part.strip();
                if (p.startsWith(Sessions.COOKIE + "=")) {
                    return sessions.session(p.substring(Sessions.COOKIE.length() + 1));
                }
            }
        }
        return Optional.empty();
    }

    private void send(ServerRequest req, ServerResponse res, Answer a, Session session) {
        headers(res);
        if (a.cookie() != null) {
            res.header(HeaderNames.SET_COOKIE, a.cookie());
        }
        if (a.location() != null) {
            res.status(Status.create(a.status()));
            res.header(HeaderNames.LOCATION, a.location());
            res.send();
            return;
        }
        Map<String, Object> model = new LinkedHashMap<>(a.model());
        if (session != null) {
            Role role = Role.of(session.principal());
            model.put("csrf", session.csrf());
            model.put("signedIn", true);
            model.put("who", session.keyId() + (role == Role.ADMIN ? " (admin)" : role == Role.REVIEWER ? " (reviewer, " + session.accountId() + ")" : " (" + session.accountId() + ")"));
            model.put("navAdmin", role == Role.ADMIN);
            model.put("navJobs", role != Role.REVIEWER);
            model.put("navUsage", role != Role.REVIEWER);
        }
        model.put("nav_" + a.template().split("-")[0], true);
        res.status(Status.create(a.status()));
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
        res.send(templates.page(a.template(), model).getBytes(StandardCharsets.UTF_8));
    }

    private static void headers(ServerResponse res) {
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header("X-Content-Type-Options", "nosniff");
        res.header("Referrer-Policy", "same-origin");
        res.header("X-Frame-Options", "DENY");
        res.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    }

    private static void problem(ServerResponse res, Refused r) {
        headers(res);
        ObjectNode o = Json.object();
        o.put("type", "urn:mainstay:problem:" + r.code.code());
        o.put("title", r.status == 401 ? "Unauthorized" : r.status == 403 ? "Forbidden" : r.status == 413 ? "Content Too Large" : "Bad Request");
        o.put("status", r.status);
        o.put("code", r.code.code());
        o.put("detail", r.getMessage());
        o.put("retryable", false);
        res.status(Status.create(r.status));
        res.header(HeaderNames.CONTENT_TYPE, "application/problem+json");
        res.send(Json.write(o).getBytes(StandardCharsets.UTF_8));
    }

    private Answer errorPage(int status, String message) {
        return new Answer(status, "error", Map.of("status", status, "message", message), null, null);
    }

    private static int status(ErrorCode code) {
        return switch (code) {
            case NOT_FOUND -> 404;
            case FORBIDDEN -> 403;
            case UNAUTHORIZED -> 401;
            case INVALID_INPUT -> 400;
            default -> 409;
        };
    }

    /** An {@code application/x-www-form-urlencoded} body, each name once. */
    private static Map<String, String> form(ServerRequest req) {
        if (!req.content().hasEntity()) {
            return Map.of();
        }
        byte[] bytes;
        try (var in = req.content().inputStream()) {
            bytes = in.readNBytes(MAX_FORM_BYTES + 1);
        } catch (java.io.IOException e) {
            throw new Refused(400, ErrorCode.INVALID_INPUT, "the form could not be read: " + e.getMessage());
        }
        if (bytes.length > MAX_FORM_BYTES) {
            throw new Refused(413, ErrorCode.INVALID_INPUT, "the form is larger than " + MAX_FORM_BYTES + " bytes");
        }
        Map<String, String> out = new LinkedHashMap<>();
        String body = new String(bytes, StandardCharsets.UTF_8);
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.merge(name, value, (a, b) -> a + "\n" + b);
            } catch (IllegalArgumentException e) {
                throw new Refused(400, ErrorCode.INVALID_INPUT, "the form is not valid URL-encoded text");
            }
        }
        return out;
    }

    private static String cookie(ServerRequest req, String value, Duration maxAge) {
        return Sessions.COOKIE + "=" + value + "; Path=/console; HttpOnly; SameSite=Strict; Max-Age=" + maxAge.toSeconds() + (req.isSecure() ? "; Secure" : "");
    }

    private static String clearCookie(ServerRequest req) {
        return cookie(req, "", Duration.ZERO);
    }

    private static Optional<String> param(ServerRequest req, String name) {
        return req.query().first(name).asOptional().map(String::strip).filter(s -> !s.isEmpty());
    }

    private static void require(Session s, Role... roles) {
        Role role = Role.of(s.principal());
        for (Role r : roles) {
            if (r == role) {
                return;
            }
        }
        throw new Refused(403, ErrorCode.FORBIDDEN, "this key (" + s.keyId() + ", " + role.name().toLowerCase(java.util.Locale.ROOT)
                + ") may not use this page or action");
    }

    // ---- sign in and out ------------------------------------------------------------------------

    private void signInPage(ServerRequest req, ServerResponse res, String error, int status) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("next", safeNext(req.query().first("next").asOptional().orElse("")));
        if (error != null) {
            model.put("error", error);
        }
        signInForm(req, res, new Answer(status, "signin", model, null, null));
    }

    /**
     * Shows the sign-in form with a fresh sign-in token, both in a hidden field and in a
     * {@code SameSite=Strict} cookie (double submit): another site can make a browser post the form,
     * but it can neither read the field nor send the cookie, so it cannot sign the browser into a
     * session of its own key.
     */
    private void signInForm(ServerRequest req, ServerResponse res, Answer a) {
        String token = Sessions.signInToken();
        Map<String, Object> model = new LinkedHashMap<>(a.model());
        model.put("signinCsrf", token);
        res.header(HeaderNames.SET_COOKIE, Sessions.SIGN_IN_COOKIE + "=" + token + "; Path=/console/sign-in; HttpOnly; SameSite=Strict; Max-Age="
                + Sessions.SIGN_IN_LIFETIME.toSeconds() + (req.isSecure() ? "; Secure" : ""));
        send(req, res, new Answer(a.status(), a.template(), model, a.location(), a.cookie()), null);
    }

    private static Optional<String> cookieValue(ServerRequest req, String name) {
        for (String header : req.headers().all(HeaderNames.COOKIE, List::of)) {
            for (String part : header.split(";")) {
                String p = part.strip();
                if (p.startsWith(name + "=")) {
                    return Optional.of(p.substring(name.length() + 1));
                }
            }
        }
        return Optional.empty();
    }

    private void signIn(ServerRequest req, ServerResponse res) {
        Map<String, String> form;
        try {
            form = form(req);
        } catch (Refused r) {
            problem(res, r);
            return;
        }
        if (!Sessions.signInTokenMatches(cookieValue(req, Sessions.SIGN_IN_COOKIE).orElse(null), form.get("csrf"))) {
            problem(res, new Refused(403, ErrorCode.FORBIDDEN,
                    "the sign-in form's CSRF token is missing or does not match its cookie; open the sign-in page again and sign in from there"));
            return;
        }
        String address = address(req);
        Optional<Duration> wait = guard.blocked(address);
        if (wait.isPresent()) {
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("next", safeNext(form.getOrDefault("next", "")));
            model.put("error", "Too many failed sign-ins from this address; try again in " + Math.max(1, wait.get().toSeconds()) + " s.");
            res.header("Retry-After", Long.toString(Math.max(1, wait.get().toSeconds())));
            signInForm(req, res, new Answer(429, "signin", model, null, null));
            return;
        }
        Optional<ApiKey> key = sessions.key(form.get("api_key"));
        if (key.isEmpty()) {
            guard.failed(address);
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("next", safeNext(form.getOrDefault("next", "")));
            model.put("error", "That API key is not valid (unknown, revoked or expired).");
            signInForm(req, res, new Answer(401, "signin", model, null, null));
            return;
        }
        LOG.info("console sign-in with key {} of account {}", key.get().id(), key.get().accountId());
        String next = safeNext(form.getOrDefault("next", ""));
        send(req, res, redirect(next.isEmpty() ? home(Role.of(key.get().principal())) : next).withCookie(cookie(req, sessions.open(key.get()), Sessions.LIFETIME)), null);
    }

    /** The peer's IP address; forwarding headers are not trusted, since any client can set them. */
    private static String address(ServerRequest req) {
        try {
            if (req.remotePeer().address() instanceof java.net.InetSocketAddress a && a.getAddress() != null) {
                return a.getAddress().getHostAddress();
            }
            return req.remotePeer().host();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private static String home(Role role) {
        return switch (role) {
            case ADMIN -> "/console";
            case REVIEWER -> "/console/reviews";
            case ACCOUNT -> "/console/jobs";
        };
    }

    /** Only a path of the console itself: a sign-in link must not send the browser elsewhere. */
    private static String safeNext(String next) {
        return next.startsWith("/console") && !next.startsWith("//") && !next.contains("\\") && next.chars().noneMatch(ch -> ch < 0x20) ? next : "";
    }

    // ---- overview ---------------------------------------------------------------------------------

    private Answer overview(ServerRequest req, Session s) {
        Role role = Role.of(s.principal());
        if (role != Role.ADMIN) {
            return redirect(home(role));
        }
        String windowText = param(req, "window").filter(w -> List.of("1h", "24h", "7d").contains(w)).orElse("24h");
        Instant now = clock.instant();
        Summary summary = summary(windowText, now);
        Map<String, Object> model = new LinkedHashMap<>(summary.model());
        model.put("asOf", summary.at().toString());
        model.put("inFlight", engine.runningCount());
        model.put("breakers", breakers());
        model.put("title", "Overview");
        return view("overview", model);
    }

    /** The overview's figures for one window as computed at {@code at}. */
    private record Summary(Instant at, Map<String, Object> model) {
    }

    /**
     * What the overview reads from the store: the queue and the window's counts, most of them
     * pre-bucketed by the stats fold, so every view computes its figures afresh.
     */
    private Summary summary(String windowText, Instant now) {
        Map<String, Object> model = new LinkedHashMap<>();
        QueueSnapshot q = store.queueSnapshot(now);
        List<Map<String, Object>> queue = new ArrayList<>();
        for (JobStatus st : JobStatus.values()) {
            Long n = q.unfinished().get(st);
            if (n != null && n > 0) {
                queue.add(Map.of("status", st.wire(), "count", n));
            }
        }
        model.put("queue", queue);
        model.put("oldestDue", q.oldestDue() == null || q.oldestDue().isZero() ? "none" : seconds(q.oldestDue()));
        model.put("deadLetters", q.deadLetters());
        model.put("openReviews", q.openReviews());
        Duration window = switch (windowText) {
            case "1h" -> Duration.ofHours(1);
            case "7d" -> Duration.ofDays(7);
            default -> Duration.ofHours(24);
        };
        model.put("windows", options(List.of("1h", "24h", "7d"), window.equals(Duration.ofHours(1)) ? "1h" : window.equals(Duration.ofDays(7)) ? "7d" : "24h"));
        StatsQuery.Bucket bucket = window.compareTo(Duration.ofDays(2)) > 0 ? StatsQuery.Bucket.DAY : StatsQuery.Bucket.HOUR;
        StatsQuery all = new StatsQuery(Optional.empty(), Optional.empty(), now.minus(window), now.plusMillis(1), bucket);
        Tally tally = store.tally(all);
        model.put("chart", Chart.finished(JobStats.of(all, tally).series()));
        List<Map<String, Object>> workflows = new ArrayList<>();
        for (WorkflowDefinition w : registry.all().stream().sorted(Comparator.comparing(WorkflowDefinition::name)).toList()) {
            StatsQuery one = new StatsQuery(Optional.empty(), Optional.of(w.name()), all.from(), all.to(), bucket);
            JobStats st = JobStats.of(one, tally.only(w.name()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", w.name());
            m.put("version", w.version());
            m.put("submitted", st.submitted());
            m.put("success", percent(st.successRate()));
            m.put("fallback", percent(st.fallbackRate()));
            m.put("retry", percent(st.retryRate()));
            m.put("firstPass", percent(st.validationFirstPassRate()));
            m.put("p50", st.finished() == 0 ? "–" : st.totalMillis().p50() + " ms");
            m.put("p95", st.finished() == 0 ? "–" : st.totalMillis().p95() + " ms");
            m.put("cost", AccountLimits.Money.usd(st.costMicros()));
            workflows.add(m);
        }
        model.put("workflows", workflows);
        return new Summary(now, model);
    }

    private static String percent(java.util.OptionalDouble rate) {
        return rate.isPresent() ? String.format(java.util.Locale.ROOT, "%.1f%%", rate.getAsDouble() * 100) : "–";
    }

    private List<Map<String, Object>> breakers() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (TargetHealth.Snapshot h : engine.targetHealth()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", h.target().provider() + "/" + h.target().model());
            m.put("state", h.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
            m.put("ok", h.state() == TargetHealth.State.CLOSED);
            m.put("p95", h.p95().map(Console::seconds).orElse("none yet"));
            m.put("calls", h.calls());
            m.put("failures", h.failures());
            m.put("errorRate", h.calls() == 0 ? "0%" : String.format(java.util.Locale.ROOT, "%.1f%%", 100.0 * h.failures() / h.calls()));
            out.add(m);
        }
        return out;
    }

    private Answer providers(ServerRequest req, Session s) {
        require(s, Role.ADMIN);
        return view("providers", Map.of("title", "Providers", "breakers", breakers(), "rateLimits", RateLimitRows.of(engine)));
    }

    /** Each active workflow: its schemas, stages and prompts, and the eval runs of it with their quality over time. */
    private Answer workflows(ServerRequest req, Session s) {
        require(s, Role.ADMIN);
        return workflowsPage(req, 200, null, Map.of());
    }

    private static final int MAX_REASON = 1000;

    /**
     * Promotes or rolls back a workflow: the chosen version serves from now on, audited with the
     * reason and the signed-in key as actor, as {@code POST /v1/admin/workflows/{name}/versions/{v}/activate} does.
     */
    private Answer activate(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN);
        String workflow = form.getOrDefault("workflow", "").strip();
        String versionText = form.getOrDefault("version", "").strip();
        String reason = form.getOrDefault("reason", "").strip();
        if (registry.newest(workflow).isEmpty()) {
            throw new Refused(404, ErrorCode.NOT_FOUND, "no workflow '" + workflow + "' is loaded");
        }
        Map<String, Object> errors = new LinkedHashMap<>();
        Integer version = null;
        if (!versionText.matches("[0-9]{1,7}") || registry.loaded(workflow).stream().noneMatch(d -> d.version() == Integer.parseInt(versionText))) {
            errors.put("versionError", "choose one of the versions this node loads: " + registry.loaded(workflow).stream().map(WorkflowDefinition::version).toList());
        } else {
            version = Integer.parseInt(versionText);
        }
        if (reason.isEmpty()) {
            errors.put("reasonError", "required: why this version serves now, for the audit log");
        } else if (reason.length() > MAX_REASON) {
            errors.put("reasonError", "at most " + MAX_REASON + " characters, got " + reason.length());
        }
        if (!errors.isEmpty()) {
            errors.put("reason", reason);
            return workflowsPage(req, 422, workflow, errors);
        }
        int previous = versions.activations().activate(workflow, version, reason, "key:" + s.keyId());
        LOG.info("console activated {} v{} (was v{}) by key {}", workflow, version, previous, s.keyId());
        return redirect("/console/workflows?activated=" + URLEncoder.encode(workflow + " v" + version + " (was v" + previous + ")", StandardCharsets.UTF_8)
                + "#wf-" + workflow);
    }

    /** Two finished runs of one suite compared case by case, or why they cannot be. */
    private Map<String, Object> comparison(String workflow, String before, String after) {
        Map<String, Object> m = new LinkedHashMap<>();
        Optional<dev.mainstay.store.EvalRun> a = store.evalRun(before).filter(r -> r.workflow().equals(workflow));
        Optional<dev.mainstay.store.EvalRun> b = store.evalRun(after).filter(r -> r.workflow().equals(workflow));
        if (a.isEmpty()) {
            m.put("beforeError", "no eval run " + before + " of " + workflow);
        }
        if (b.isEmpty()) {
            m.put("afterError", "no eval run " + after + " of " + workflow);
        }
        if (a.isPresent() && b.isPresent()) {
            if (!a.get().suite().equals(b.get().suite())) {
                m.put("afterError", "run " + b.get().id() + " is of suite " + b.get().suite() + ", run " + a.get().id() + " of suite " + a.get().suite()
                        + "; only runs of one suite compare case by case");
            } else if (a.get().status() != dev.mainstay.store.EvalRun.Status.COMPLETED || b.get().status() != dev.mainstay.store.EvalRun.Status.COMPLETED) {
                m.put("afterError", "run " + a.get().id() + " is " + a.get().status().wire() + " and run " + b.get().id() + " is " + b.get().status().wire()
                        + "; runs compare once both are completed");
            }
        }
        if (!m.isEmpty()) {
            return m;
        }
        dev.mainstay.evals.RunComparison cmp = dev.mainstay.evals.RunComparison.of(versions.evalRuns().results(a.get().id()), versions.evalRuns().results(b.get().id()));
        m.put("suite", a.get().suite());
        m.put("before", a.get().id() + " (v" + a.get().version() + ")");
        m.put("after", b.get().id() + " (v" + b.get().version() + ")");
        m.put("qualityBefore", String.format(java.util.Locale.ROOT, "%.3f", cmp.qualityBefore()));
        m.put("qualityAfter", String.format(java.util.Locale.ROOT, "%.3f", cmp.qualityAfter()));
        m.put("regression", cmp.regression() > 0);
        List<Map<String, Object>> counts = new ArrayList<>();
        for (dev.mainstay.evals.RunComparison.Change c : dev.mainstay.evals.RunComparison.Change.values()) {
            counts.add(Map.of("change", c.name().toLowerCase(java.util.Locale.ROOT), "count", cmp.count(c)));
        }
        m.put("counts", counts);
        List<Map<String, Object>> cases = new ArrayList<>();
        for (dev.mainstay.evals.RunComparison.CaseChange c : cmp.cases()) {
            String change = c.change().name().toLowerCase(java.util.Locale.ROOT);
            List<String> diffs = c.differences().stream().map(d -> d.field() + ": " + (d.before().isMissingNode() ? "none" : Json.write(d.before())) + " → "
                    + (d.after().isMissingNode() ? "none" : Json.write(d.after()))).toList();
            cases.add(Map.of("case", c.caseId(), "change", change, "tone", c.change() == dev.mainstay.evals.RunComparison.Change.REGRESSED ? "bad"
                    : c.change() == dev.mainstay.evals.RunComparison.Change.IMPROVED ? "good" : "", "differences", diffs));
        }
        m.put("cases", cases);
        return Map.of("result", m);
    }

    /** The workflows page; {@code formOf} names the workflow whose activation form was refused, with its values and errors. */
    private Answer workflowsPage(ServerRequest req, int status, String formOf, Map<String, Object> refused) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (WorkflowDefinition w : registry.all().stream().sorted(Comparator.comparing(WorkflowDefinition::name)).toList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", w.name());
            m.put("version", w.version());
            m.put("latency", w.latency().name().toLowerCase(java.util.Locale.ROOT));
            m.put("input", pretty(w.input().node()));
            List<Map<String, Object>> stages = new ArrayList<>();
            for (var st : w.stages()) {
                Map<String, Object> sm = new LinkedHashMap<>();
                switch (st) {
                    case ModelStage ms -> {
                        sm.put("id", ms.id());
                        sm.put("kind", "model, route " + String.join(" → ", ms.route()));
                        sm.put("prompt", ms.prompt().name());
                        sm.put("promptText", ms.prompt().source());
                        sm.put("output", pretty(ms.output().schema().node()));
                    }
                    case dev.mainstay.workflow.ToolStage ts -> {
                        sm.put("id", ts.id());
                        sm.put("kind", "tool " + ts.tool() + " (" + ts.scope().name().toLowerCase(java.util.Locale.ROOT) + ")");
                    }
                }
                stages.add(sm);
            }
            m.put("stages", stages);
            List<dev.mainstay.store.EvalRun> runs = new ArrayList<>(store.finishedEvalRuns(w.name(), 20));
            runs.sort(Comparator.comparing(dev.mainstay.store.EvalRun::createdAt));
            List<Map<String, Object>> rows = new ArrayList<>();
            List<double[]> quality = new ArrayList<>();
            for (dev.mainstay.store.EvalRun r : runs) {
                JsonNode q = r.summary() == null ? null : r.summary().get("quality");
                if (q != null && q.isNumber()) {
                    quality.add(new double[] {quality.size(), q.asDouble()});
                }
                rows.add(Map.of("id", r.id(), "version", r.version(), "suite", r.suite(), "status", r.status().wire(), "created", r.createdAt().toString(),
                        "quality", q == null || !q.isNumber() ? "–" : String.format(java.util.Locale.ROOT, "%.3f", q.asDouble()),
                        "summary", r.summary() == null ? "" : Json.write(r.summary())));
            }
            m.put("runs", rows);
            if (!quality.isEmpty()) {
                m.put("qualityChart", Chart.quality(quality));
            }
            ObjectNode v = versions.view().apply(w.name());
            List<Map<String, Object>> vs = new ArrayList<>();
            for (JsonNode x : v.path("versions")) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("version", x.path("version").asInt());
                String state = x.path("state").asString();
                row.put("state", state);
                row.put("tone", switch (state) {
                    case "active" -> "good";
                    case "candidate" -> "warn";
                    default -> "";
                });
                JsonNode g = x.path("gate");
                if (g.isObject()) {
                    row.put("gate", Map.of("decision", g.path("decision").asString(), "suite", g.path("suite").asString(),
                            "quality", g.path("quality").isNumber() ? String.format(java.util.Locale.ROOT, "%.3f", g.path("quality").asDouble()) : "–",
                            "baseline", g.path("baseline_quality").isNumber() ? String.format(java.util.Locale.ROOT, "%.3f", g.path("baseline_quality").asDouble()) : "–",
                            "reason", g.path("reason").isString() ? g.path("reason").asString() : "",
                            "tone", "activated".equals(g.path("decision").asString()) ? "good" : "refused".equals(g.path("decision").asString()) ? "bad" : ""));
                }
                vs.add(row);
            }
            m.put("versions", vs);
            m.put("activatedBy", v.path("activated_by").isString() ? v.path("activated_by").asString() + " at " + v.path("activated_at").asString() : "");
            Map<String, Object> act = new LinkedHashMap<>(w.name().equals(formOf) ? refused : Map.of());
            act.putIfAbsent("reason", "");
            act.put("choices", vs.stream().map(x -> Map.of("version", x.get("version"), "state", x.get("state"), "selected", !"active".equals(x.get("state")))).toList());
            if (vs.size() > 1) {
                m.put("activate", act);
            }
            // Compare two runs: the newest two of one suite by default.
            List<Map<String, Object>> finished = rows.stream().filter(r -> "completed".equals(r.get("status"))).toList();
            String before = w.name().equals(param(req, "workflow").orElse(null)) ? param(req, "before").orElse("") : "";
            String after = w.name().equals(param(req, "workflow").orElse(null)) ? param(req, "after").orElse("") : "";
            if (finished.size() >= 2) {
                String b0 = before;
                String a0 = after;
                m.put("compareForm", Map.of(
                        "beforeChoices", finished.stream().map(r -> Map.of("id", r.get("id"), "label", r.get("id") + " · v" + r.get("version") + " · " + r.get("suite"),
                                "selected", r.get("id").equals(b0))).toList(),
                        "afterChoices", finished.stream().map(r -> Map.of("id", r.get("id"), "label", r.get("id") + " · v" + r.get("version") + " · " + r.get("suite"),
                                "selected", a0.isEmpty() ? r == finished.getLast() : r.get("id").equals(a0))).toList()));
            }
            if (!before.isEmpty() && !after.isEmpty()) {
                m.put("comparison", comparison(w.name(), before, after));
            }
            out.add(m);
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("title", "Workflows and evals");
        model.put("workflows", out);
        param(req, "activated").ifPresent(a -> model.put("activated", a));
        return new Answer(status, "workflows", model, null, null);
    }

    private static String seconds(Duration d) {
        return d.toMillis() < 1000 ? d.toMillis() + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    // ---- jobs ---------------------------------------------------------------------------------------

    private Answer jobs(ServerRequest req, Session s) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        return jobList(req, s, false);
    }

    private Answer deadLetters(ServerRequest req, Session s) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        return jobList(req, s, true);
    }

    private Answer jobList(ServerRequest req, Session s, boolean deadLetters) {
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

    private static List<Map<String, Object>> options(List<String> values, String selected) {
        return values.stream().map(v -> Map.<String, Object>of("value", v, "selected", v.equals(selected))).toList();
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

    private static Map<String, Object> statusOf(JobStatus st) {
        String tone = switch (st) {
            case COMPLETED -> "good";
            case FAILED, CANCELLED -> "bad";
            case DEGRADED, PARTIALLY_COMPLETED, RETRYING, WAITING_FOR_REVIEW -> "warn";
            default -> "busy";
        };
        return Map.of("status", st.wire().replace('_', ' '), "statusWire", st.wire(), "tone", tone, "terminal", st.isTerminal());
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

    private Answer job(ServerRequest req, Session s) {
        Job job = visibleJob(s, req.path().pathParameters().get("id"), false);
        return jobPage(req, s, job, 200, Map.of());
    }

    /** A job's page; {@code caseForm} holds a refused "save as eval case" form: its values and errors by field. */
    private Answer jobPage(ServerRequest req, Session s, Job job, int status, Map<String, Object> caseForm) {
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
    private Answer saveAsCase(ServerRequest req, Session s, Map<String, String> form) {
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
    private void live(ServerRequest req, ServerResponse res) throws InterruptedException {
        Optional<Session> session = session(req);
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
        headers(res);
        Instant until = clock.instant().plus(LIVE_MAX);
        String seen = null;
        try (SseSink sink = res.sink(SseSink.TYPE)) {
            while (true) {
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
                if (clock.instant().isAfter(until)) {
                    return;
                }
                Thread.sleep(LIVE_POLL.toMillis());
            }
        } catch (io.helidon.webserver.ServerConnectionException | java.io.UncheckedIOException e) {
            LOG.debug("console stream of job {} ended by the browser", job.id());
        }
    }

    private Answer cancel(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        Job job = visibleJob(s, req.path().pathParameters().get("id"), true);
        engine.cancel(job.accountId(), job.id(), "key:" + s.keyId());
        return redirect("/console/jobs/" + job.id());
    }

    private Answer replay(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        Job job = visibleJob(s, req.path().pathParameters().get("id"), true);
        engine.replay(job.accountId(), job.id(), "key:" + s.keyId());
        return redirect("/console/jobs/" + job.id());
    }

    private Answer replayDeadLetters(ServerRequest req, Session s, Map<String, String> form) {
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

    private static String pretty(JsonNode node) {
        return node == null || node.isNull() ? "none" : Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    }

    // ---- reviews --------------------------------------------------------------------------------------

    private Answer reviewQueue(ServerRequest req, Session s) {
        Principal p = s.principal();
        boolean admin = Role.of(p) == Role.ADMIN;
        List<Review> pending = store.reviews(new ReviewQuery(admin ? param(req, "account").orElse(null) : s.accountId(), Review.Status.PENDING,
                param(req, "workflow").orElse(null), 500, null));
        Instant now = clock.instant();
        List<Map<String, Object>> rows = new ArrayList<>();
        pending.stream().filter(r -> admin || readable(p, r)).sorted(Comparator.comparing(Review::createdAt)).forEach(r -> {
            Map<String, Object> m = reviewModel(r);
            m.put("age", seconds(Duration.between(r.createdAt(), now)).replace(".0 s", " s"));
            rows.add(m);
        });
        return view("reviews", Map.of("title", "Reviews", "reviews", rows, "empty", rows.isEmpty()));
    }

    private boolean readable(Principal p, Review r) {
        return registry.active(r.workflow()).map(WorkflowDefinition::access).orElse(WorkflowAccess.ANY).mayRead(p);
    }

    private Review visibleReview(Session s, String id) {
        Principal p = s.principal();
        boolean admin = Role.of(p) == Role.ADMIN;
        Review r = store.review(id).filter(x -> admin || x.accountId().equals(s.accountId()))
                .orElseThrow(() -> new Refused(404, ErrorCode.NOT_FOUND, "review " + id + " not found"));
        if (!admin && !readable(p, r)) {
            throw new Refused(403, ErrorCode.FORBIDDEN, "this key may not decide reviews of " + r.workflow());
        }
        return r;
    }

    private static Map<String, Object> reviewModel(Review r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("jobId", r.jobId());
        m.put("account", r.accountId());
        m.put("workflow", r.workflow());
        m.put("stage", r.stageId());
        m.put("reason", r.reason());
        m.put("status", r.status().wire());
        m.put("pending", r.status() == Review.Status.PENDING);
        m.put("created", r.createdAt().toString());
        m.put("expires", r.expiresAt().toString());
        m.put("onExpiry", r.onExpiry().wire());
        m.put("reviewer", r.reviewer());
        m.put("note", r.note());
        m.put("decided", r.decidedAt() == null ? null : r.decidedAt().toString());
        return m;
    }

    private Answer review(ServerRequest req, Session s) {
        Review r = visibleReview(s, req.path().pathParameters().get("id"));
        return reviewPage(r, ReviewForm.of(schema(r), r.proposed()), 200, null);
    }

    private Answer reviewPage(Review r, ReviewForm form, int status, String error) {
        Map<String, Object> model = reviewModel(r);
        model.put("title", "Review " + r.id());
        model.put("proposed", pretty(r.proposed()));
        model.put("output", pretty(r.output()));
        model.put("input", store.job(r.jobId()).map(j -> pretty(j.input())).orElse("none"));
        model.put("fields", form.fields().stream().map(ReviewForm.Field::toMap).toList());
        model.put("formError", error);
        return new Answer(status, "review", model, null, null);
    }

    private JsonNode schema(Review r) {
        return store.job(r.jobId()).flatMap(j -> registry.version(j.workflow(), j.workflowVersion())).map(w -> w.stages().get(r.stageIndex()))
                .map(st -> st instanceof ModelStage m ? m.output().schema().node() : null).orElse(null);
    }

    private Answer decide(ServerRequest req, Session s, Map<String, String> form) {
        Review r = visibleReview(s, req.path().pathParameters().get("id"));
        Review.Decision decision;
        try {
            decision = Review.Decision.fromWire(form.getOrDefault("decision", ""));
        } catch (IllegalArgumentException e) {
            throw new Refused(400, ErrorCode.INVALID_INPUT, "decision must be approve, edit or reject");
        }
        String note = form.getOrDefault("note", "").strip();
        if (note.length() > 2000) {
            throw new Refused(400, ErrorCode.INVALID_INPUT, "the note has more than 2000 characters");
        }
        String reviewer = s.keyId();
        if (decision != Review.Decision.EDIT) {
            reviews.decide(r.accountId(), r.id(), decision, null, note.isEmpty() ? null : note, reviewer);
            return redirect("/console/reviews/" + r.id());
        }
        ReviewForm edit = ReviewForm.of(schema(r), r.proposed()).read(form);
        if (edit.hasErrors()) {
            return reviewPage(r, edit, 422, "Nothing was saved: correct the fields marked below.");
        }
        try {
            reviews.decide(r.accountId(), r.id(), decision, edit.output(), note.isEmpty() ? null : note, reviewer);
        } catch (InvalidInputException e) {
            ReviewForm marked = edit.withViolations(e.violations());
            String unplaced = e.violations().stream().filter(v -> !marked.places(v)).map(Violation::message).reduce((a, b) -> a + "; " + b).orElse(null);
            return reviewPage(r, marked, 422, "Nothing was saved: " + (unplaced == null ? "correct the fields marked below." : unplaced));
        }
        return redirect("/console/reviews/" + r.id());
    }

    // ---- usage, limits, audit --------------------------------------------------------------------------

    private Answer usage(ServerRequest req, Session s) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        boolean admin = Role.of(s.principal()) == Role.ADMIN;
        String account = admin ? param(req, "account").orElse(s.accountId()) : s.accountId();
        return usagePage(account, admin, Map.of(), null, 200);
    }

    private Answer usagePage(String account, boolean admin, Map<String, String> errors, Map<String, String> sent, int status) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("title", "Usage and limits");
        model.put("account", account);
        model.put("admin", admin);
        Optional<?> exists = store.account(account);
        if (exists.isEmpty()) {
            model.put("unknown", true);
            return new Answer(admin ? 200 : 404, "usage", model, null, null);
        }
        LimitsAdmin.AccountLimitsView limits = limitsAdmin.limits(account);
        ObjectNode set = limits.set().toJson();
        ObjectNode effective = limits.effective().toJson();
        List<Map<String, Object>> fields = new ArrayList<>();
        for (String[] f : List.of(new String[] {"requests_per_minute", "Requests per minute"}, new String[] {"tokens_per_day", "Tokens per day"},
                new String[] {"cost_per_month_usd", "Monthly budget (USD)"}, new String[] {"max_concurrent_jobs", "Concurrent jobs"})) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", f[0]);
            m.put("label", f[1]);
            JsonNode v = set.get(f[0]);
            m.put("value", sent != null && sent.containsKey(f[0]) ? sent.get(f[0]) : v == null || v.isNull() ? "" : v.asString());
            JsonNode e = effective.get(f[0]);
            m.put("effective", e == null || e.isNull() ? "no limit" : e.asString());
            if (errors.containsKey(f[0])) {
                m.put("error", errors.get(f[0]));
            }
            fields.add(m);
        }
        model.put("fields", fields);
        Instant now = clock.instant();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (var row : limitsAdmin.usage(new dev.mainstay.usage.UsageQuery(account, now.minus(Duration.ofDays(30)), now, dev.mainstay.usage.UsageQuery.GroupBy.WORKFLOW))) {
            rows.add(Map.of("key", row.key(), "calls", row.calls(), "input", row.inputTokens(), "output", row.outputTokens(), "cost", AccountLimits.Money.usd(row.costMicros())));
        }
        model.put("usage", rows);
        model.put("noUsage", rows.isEmpty());
        return new Answer(status, "usage", model, null, null);
    }

    private Answer setLimits(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN);
        String account = form.getOrDefault("account", "").strip();
        if (store.account(account).isEmpty()) {
            throw new Refused(404, ErrorCode.INVALID_INPUT, "account '" + account + "' not found");
        }
        ObjectNode body = Json.object();
        Map<String, String> errors = new LinkedHashMap<>();
        for (String f : List.of("requests_per_minute", "tokens_per_day", "max_concurrent_jobs")) {
            String v = form.getOrDefault(f, "").strip();
            if (v.isEmpty()) {
                body.putNull(f);
            } else {
                try {
                    body.put(f, Long.parseLong(v));
                } catch (NumberFormatException e) {
                    errors.put(f, "Enter a whole number, or leave it empty for no limit.");
                }
            }
        }
        String cost = form.getOrDefault("cost_per_month_usd", "").strip();
        if (cost.isEmpty()) {
            body.putNull("cost_per_month_usd");
        } else {
            body.put("cost_per_month_usd", cost);
        }
        AccountLimits limits = null;
        try {
            limits = AccountLimits.fromJson(body);
        } catch (InvalidInputException e) {
            for (Violation v : e.violations()) {
                errors.putIfAbsent(v.pointer().replaceFirst("^/", ""), v.message());
            }
        }
        if (!errors.isEmpty()) {
            return usagePage(account, true, errors, form, 422);
        }
        limitsAdmin.setLimits(account, limits, s.keyId());
        LOG.info("limits of account {} set from the console by {}: {}", account, s.keyId(), limits.toJson());
        return redirect("/console/usage?account=" + URLEncoder.encode(account, StandardCharsets.UTF_8) + "&saved=1");
    }

    /** An account's webhook endpoints and each one's latest deliveries; dead ones may be replayed. */
    private Answer webhooks(ServerRequest req, Session s) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        boolean admin = Role.of(s.principal()) == Role.ADMIN;
        String account = admin ? param(req, "account").orElse(s.accountId()) : s.accountId();
        List<Map<String, Object>> endpoints = new ArrayList<>();
        for (var e : store.endpoints(account)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.id());
            m.put("url", e.url().toString());
            m.put("events", String.join(", ", e.events()));
            m.put("enabled", e.enabled());
            m.put("state", e.enabled() ? "enabled" : "disabled" + (e.disabledReason() == null ? "" : ": " + e.disabledReason()));
            List<Map<String, Object>> deliveries = new ArrayList<>();
            boolean anyDead = false;
            for (var d : store.deliveries(new dev.mainstay.webhook.DeliveryQuery(account, e.id(), null, null, null, null, 20))) {
                String status = d.status().name().toLowerCase(java.util.Locale.ROOT);
                anyDead |= status.equals("dead");
                deliveries.add(Map.of("id", d.id(), "event", d.eventType(), "job", d.jobId() == null ? "" : d.jobId(), "status", status,
                        "tone", status.equals("delivered") ? "good" : status.equals("dead") ? "bad" : "busy", "attempts", d.attempts(),
                        "last", d.lastStatus() == null ? (d.lastError() == null ? "" : d.lastError()) : "HTTP " + d.lastStatus(), "created", d.createdAt().toString()));
            }
            m.put("deliveries", deliveries);
            m.put("anyDead", anyDead);
            endpoints.add(m);
        }
        return view("webhooks", Map.of("title", "Webhooks", "account", account, "admin", admin, "endpoints", endpoints, "empty", endpoints.isEmpty()));
    }

    private Answer replayDeliveries(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        boolean admin = Role.of(s.principal()) == Role.ADMIN;
        String account = admin ? form.getOrDefault("account", s.accountId()) : s.accountId();
        String endpoint = req.path().pathParameters().get("endpoint");
        if (!"yes".equals(form.get("confirm"))) {
            throw new Refused(400, ErrorCode.INVALID_INPUT, "tick the confirmation box to replay the dead deliveries of endpoint " + endpoint);
        }
        if (store.endpoint(account, endpoint).isEmpty()) {
            throw new Refused(404, ErrorCode.NOT_FOUND, "webhook endpoint " + endpoint + " not found in account " + account);
        }
        int n = store.replayDeliveries(account, endpoint, List.of(), clock.instant());
        wakeDeliveries.run();
        LOG.info("{} dead deliveries of endpoint {} replayed from the console by {}", n, endpoint, s.keyId());
        return redirect("/console/webhooks?account=" + URLEncoder.encode(account, StandardCharsets.UTF_8));
    }

    private Answer audit(ServerRequest req, Session s) {
        require(s, Role.ADMIN);
        return auditPage(req, null);
    }

    private Answer auditPage(ServerRequest req, AuditCheck check) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("title", "Audit");
        String account = param(req, "account").orElse(null);
        String actionText = param(req, "action").orElse(null);
        AuditAction action = actionText == null ? null : AuditAction.fromWire(actionText).orElse(null);
        long after = param(req, "after").map(x -> {
            try {
                return Long.parseLong(x);
            } catch (NumberFormatException e) {
                return 0L;
            }
        }).orElse(0L);
        List<AuditRecord> records = store.auditLog(new AuditQuery(null, null, action, account, null, null, after, PAGE));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (AuditRecord r : records) {
            AuditRecord.Stored st = r.stored();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seq", r.seq());
            m.put("at", st.at());
            m.put("actor", st.actor());
            m.put("action", st.action());
            m.put("account", st.accountId());
            m.put("subject", st.subject());
            m.put("details", st.details());
            rows.add(m);
        }
        model.put("records", rows);
        model.put("empty", rows.isEmpty());
        model.put("account", account == null ? "" : account);
        model.put("actions", options(java.util.Arrays.stream(AuditAction.values()).map(AuditAction::wire).toList(), actionText));
        if (records.size() == PAGE) {
            model.put("next", "/console/audit?" + (account == null ? "" : "account=" + URLEncoder.encode(account, StandardCharsets.UTF_8) + "&")
                    + (actionText == null ? "" : "action=" + URLEncoder.encode(actionText, StandardCharsets.UTF_8) + "&") + "after=" + records.getLast().seq());
        }
        if (check != null) {
            switch (check) {
                case AuditCheck.Intact i -> model.put("check", Map.of("ok", true, "text", "Chain intact: " + i.records() + " records, head " + i.headHash()));
                case AuditCheck.Broken b -> model.put("check", Map.of("ok", false, "text", "Chain broken at record " + b.seq() + " (" + b.kind().wire() + "): " + b.problem()));
            }
        }
        return view("audit", model);
    }

    private Answer verifyAudit(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN);
        return auditPage(req, store.verifyAudit());
    }
}
