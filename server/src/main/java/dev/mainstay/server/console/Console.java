package dev.mainstay.server.console;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.MainstayException;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import dev.mainstay.engine.Engine;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.engine.Reviews;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobStatus;
import dev.mainstay.server.console.Sessions.Session;
import dev.mainstay.server.stream.EventStreams;
import dev.mainstay.store.Store;
import dev.mainstay.webhook.SecretBox;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 *
 * <p>This class holds what every page shares: routing, sessions and sign-in, the role checks, the
 * layout and the answers. Each page's handlers live in a class of their own ({@link OverviewPage},
 * {@link JobsPages}, {@link ReviewsPages}, {@link UsagePages}, {@link ProvidersPage},
 * {@link WorkflowsPages}, {@link WebhooksAuditPages}), as the API's resources do.
 */
public final class Console {
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    /** Only the console's own scripts, styles and streams; no inline script, no framing. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    private static final int MAX_FORM_BYTES = 256 * 1024;

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

    private final Sessions sessions;
    private final Templates templates = new Templates();
    private final SignInGuard guard;
    private final OverviewPage overview;
    private final ProvidersPage providers;
    private final JobsPages jobs;
    private final ReviewsPages reviewPages;
    private final UsagePages usage;
    private final WorkflowsPages workflows;
    private final WebhooksAuditPages webhooksAudit;

    /**
     * @param box the node's secrets key, which seals session cookies
     * @param envelope the job envelope of the JSON API for a job at an instant
     * @param guard what refuses an address after too many failed sign-ins
     * @param wakeDeliveries tells the node's webhook worker that replayed deliveries are due
     * @param diff why two jobs' results differ, as {@code GET /v1/jobs/{a}/diff/{b}} answers it
     * @param traceUrl a trace backend's page of a trace, {@code {trace_id}} where its id goes
     * @param versions the workflows' versions, their gate and their eval runs
     * @param streams the node's event streams, which wake a job's live page when the job moves on
     */
    public Console(Engine engine, Reviews reviews, LimitsAdmin limitsAdmin, dev.mainstay.engine.EvalCases evalCases, dev.mainstay.evals.EvalSuites suites,
            WorkflowRegistry registry, Store store, Clock clock, SecretBox box, BiFunction<Job, Instant, ObjectNode> envelope, SignInGuard guard,
            Runnable wakeDeliveries, BiFunction<Job, Job, ObjectNode> diff, Optional<String> traceUrl, Versions versions,
            EventStreams streams) {
        this.sessions = new Sessions(box, store, clock);
        this.guard = guard;
        this.providers = new ProvidersPage(engine);
        this.overview = new OverviewPage(engine, providers, registry, store, clock);
        this.jobs = new JobsPages(engine, streams, evalCases, suites, diff, traceUrl, registry, store, clock, templates, envelope);
        this.reviewPages = new ReviewsPages(reviews, registry, store, clock);
        this.usage = new UsagePages(limitsAdmin, registry, store, clock);
        this.workflows = new WorkflowsPages(versions, registry, store);
        this.webhooksAudit = new WebhooksAuditPages(store, clock, wakeDeliveries);
    }

    /** Registers the console's pages, actions and assets. */
    public void routing(HttpRouting.Builder rules) {
        rules.get("/console/assets/{name}", (req, res) -> Assets.serve(req.path().pathParameters().get("name"), res))
                .get("/console/sign-in", (req, res) -> signInPage(req, res, null, 200))
                .post("/console/sign-in", this::signIn)
                .get("/console", page(overview::overview))
                .get("/console/", page(overview::overview))
                .post("/console/sign-out", action((req, s, form) -> {
                    return redirect("/console/sign-in").withCookie(clearCookie(req));
                }))
                .get("/console/jobs", page(jobs::jobs))
                .get("/console/jobs/{id}", page(jobs::job))
                .get("/console/jobs/{id}/live", (req, res) -> jobs.live(req, res, session(req)))
                .post("/console/jobs/{id}/cancel", action(jobs::cancel))
                .post("/console/jobs/{id}/replay", action(jobs::replay))
                .post("/console/jobs/{id}/eval-case", action(jobs::saveAsCase))
                .get("/console/dead-letters", page(jobs::deadLetters))
                .post("/console/dead-letters/replay", action(jobs::replayDeadLetters))
                .get("/console/reviews", page(reviewPages::reviewQueue))
                .get("/console/reviews/{id}", page(reviewPages::review))
                .post("/console/reviews/{id}/decision", action(reviewPages::decide))
                .get("/console/usage", page(usage::usage))
                .post("/console/usage/limits", action(usage::setLimits))
                .get("/console/providers", page(providers::providers))
                .get("/console/workflows", page(workflows::workflows))
                .post("/console/workflows/activate", action(workflows::activate))
                .get("/console/webhooks", page(webhooksAudit::webhooks))
                .post("/console/webhooks/{endpoint}/replay", action(webhooksAudit::replayDeliveries))
                .get("/console/audit", page(webhooksAudit::audit))
                .post("/console/audit/verify", action(webhooksAudit::verifyAudit));
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

    static void headers(ServerResponse res) {
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header("X-Content-Type-Options", "nosniff");
        res.header("Referrer-Policy", "same-origin");
        res.header("X-Frame-Options", "DENY");
        res.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    }

    static void problem(ServerResponse res, Refused r) {
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

    static Optional<String> param(ServerRequest req, String name) {
        return req.query().first(name).asOptional().map(String::strip).filter(s -> !s.isEmpty());
    }

    static void require(Session s, Role... roles) {
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

    static String home(Role role) {
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

    // ---- what every page shows the same way -----------------------------------------------------------

    static String seconds(Duration d) {
        return d.toMillis() < 1000 ? d.toMillis() + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    static List<Map<String, Object>> options(List<String> values, String selected) {
        return values.stream().map(v -> Map.<String, Object>of("value", v, "selected", v.equals(selected))).toList();
    }

    static Map<String, Object> statusOf(JobStatus st) {
        String tone = switch (st) {
            case COMPLETED -> "good";
            case FAILED, CANCELLED -> "bad";
            case DEGRADED, PARTIALLY_COMPLETED, RETRYING, WAITING_FOR_REVIEW -> "warn";
            default -> "busy";
        };
        return Map.of("status", st.wire().replace('_', ' '), "statusWire", st.wire(), "tone", tone, "terminal", st.isTerminal());
    }

    static String pretty(JsonNode node) {
        return node == null || node.isNull() ? "none" : Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    }
}
