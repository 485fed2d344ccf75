package dev.mainstay.server.http;

import dev.mainstay.engine.Engine;
import dev.mainstay.server.webhooks.Deliveries;
import dev.mainstay.engine.Activations;
import dev.mainstay.engine.EvalCases;
import dev.mainstay.engine.EvalRuns;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.engine.Reviews;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.server.stream.EventStreams;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import java.time.Clock;
import dev.mainstay.server.metrics.PrometheusMetrics;
import java.util.List;
import java.util.Optional;

/**
 * The HTTP API of DESIGN §4 on Helidon's routing: one {@link HttpService} per resource, whose
 * routes are tried in the order of the list below, then {@link Unrouted} for what none of them
 * took ({@code 404}, {@code 405} with {@code Allow}); every exception a route throws becomes its
 * RFC 9457 problem in {@link Problems}. Adding an endpoint is a route in its resource's
 * {@code routing}; adding a resource is a class and one line in this list.
 */
public final class HttpApi {
    private final HealthResource health;
    private final Authenticator auth;
    private final RouteTable routes;
    private final Optional<PrometheusMetrics> metrics;
    private final dev.mainstay.server.console.Console console;

    /**
     * @param newAccountLimits the limits every account created through the API starts with ({@code limits.defaults})
     * @param streams the node's live event streams
     * @param version Mainstay's version, for the OpenAPI document
     * @param deliveries webhooks out, inbound sources and callback tokens
     * @param sweeper the retention sweeper, for its admin routes
     * @param erasures erasure on request, for its admin routes
     * @param consoleTraceUrl the console's link to a trace backend, {@code {trace_id}} in it
     */
    public HttpApi(Engine engine, Reviews reviews, LimitsAdmin limitsAdmin, EvalRuns evalRuns, Activations activations, WorkflowRegistry registry, Store store, Clock clock, Hardening hardening, long maxBodyBytes, int maxJsonDepth,
            AccountLimits newAccountLimits, Optional<PrometheusMetrics> metrics, Optional<String> metricsKey, EventStreams streams, String version,
            Deliveries deliveries, dev.mainstay.retention.Sweeper sweeper, dev.mainstay.retention.Erasures erasures, Optional<String> consoleTraceUrl) {
        this.metrics = metrics;
        AuthThrottle throttle = new AuthThrottle(hardening.authFailures(), hardening.authFailureWindow(), clock);
        this.auth = new Authenticator(store, clock, throttle);
        RequestBody bodies = new RequestBody(maxBodyBytes, maxJsonDepth, hardening.maxStringLength());
        Permissions permissions = new Permissions(engine, store, registry);
        this.health = new HealthResource(engine, store, registry);
        StreamsResource delivery = new StreamsResource(streams, registry, auth, permissions, version);
        EvalCases evalCases = new EvalCases(store, registry, evalRuns.suites(), clock);
        VersionsResource versions = new VersionsResource(activations, registry, store, auth, bodies);
        List<HttpService> resources = List.of(
                health,
                new WorkflowsResource(engine, registry, store, clock, auth, permissions, bodies),
                new JobsResource(engine, store, clock, auth, permissions, delivery),
                new ReviewsResource(reviews, evalCases, store, auth, permissions, bodies),
                new UsageResource(limitsAdmin, registry, clock, auth),
                new KeysResource(store, clock, auth, bodies, newAccountLimits),
                new LimitsResource(limitsAdmin, store, auth, bodies),
                new AuditResource(store, auth),
                new StatsResource(store, clock, auth),
                new EvalsResource(evalRuns, evalCases, store, auth, bodies),
                versions,
                new LiveEvalsResource(store, registry, clock, auth),
                new TargetsResource(engine, auth),
                new WebhooksResource(store, deliveries.box(), registry, clock, auth, bodies, deliveries.settings().allowPrivate(), deliveries::wake),
                new InboundResource(deliveries.inbound(), store, engine, registry, clock, bodies),
                new CallbacksResource(store, deliveries.tokens(), registry, clock, bodies),
                new RetentionResource(sweeper, auth),
                new ErasuresResource(erasures, store, auth, bodies),
                delivery);
        if (metrics.isPresent()) {
            resources = new java.util.ArrayList<>(resources);
            resources.add(new MetricsResource(metrics.get(), auth, metricsKey));
        }
        this.routes = RouteTable.of(resources);
        // The console is HTML for people, not part of the JSON API: beside the route table, not in it.
        this.console = new dev.mainstay.server.console.Console(engine, reviews, limitsAdmin, evalCases, evalRuns.suites(), registry, store, clock, deliveries.box(),
                (job, now) -> JobView.render(job, store.stages(job.id()), store.events(job.id(), 0, 10_000), now),
                new dev.mainstay.server.console.Console.SignInGuard() {
                    @Override
                    public Optional<java.time.Duration> blocked(String address) {
                        return throttle.blocked(address);
                    }

                    @Override
                    public void failed(String address) {
                        throttle.failed(address);
                    }
                }, deliveries::wake, JobDiff::render, consoleTraceUrl,
                new dev.mainstay.server.console.Console.Versions(activations, evalRuns, versions::view), streams);
        for (Route r : routes.routes()) {
            String first = r.path().startsWith("/v1/") ? r.path().substring(4).split("/", 2)[0] : "";
            if (!first.isEmpty() && !first.startsWith("{") && !WorkflowDefinition.RESERVED_FIRST_SEGMENTS.contains(first)) {
                throw new IllegalStateException(r + " starts with '" + first + "', which WorkflowDefinition.RESERVED_FIRST_SEGMENTS lacks:"
                        + " a workflow could take its paths. Indicates a bug.");
            }
        }
    }

    /** Registers the routes, what answers the requests none of them takes, and the problem mapper. */
    public void routing(HttpRouting.Builder routing) {
        metrics.ifPresent(m -> routing.addFilter((chain, req, res) -> {
            long started = System.nanoTime();
            try {
                chain.proceed();
            } finally {
                String method = req.prologue().method().text();
                String route = routes.find(method, req.path().path()).map(Route::path).orElse("unrouted");
                m.httpRequest(method, route, res.status().code(), java.time.Duration.ofNanos(System.nanoTime() - started));
            }
        }));
        routes.register(routing);
        console.routing(routing);
        routing.any(new Unrouted(routes, auth));
        routing.error(Exception.class, new Problems());
    }

    /** What answers the requests the HTTP layer refuses before any route (malformed or oversized): problems too. */
    public static DirectHandlers transportErrors() {
        return TransportErrors.handlers();
    }

    /** Every route this API serves, as method and path template. */
    public RouteTable routes() {
        return routes;
    }

    /** From now on {@code /health/ready} answers {@code 503 stopping}. */
    public void markStopping() {
        health.markStopping();
    }
}
