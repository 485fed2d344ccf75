package dev.mainstay.server.http;

import dev.mainstay.engine.Engine;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.engine.Reviews;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import java.time.Clock;
import java.util.List;

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

    /** @param newAccountLimits the limits every account created through the API starts with ({@code limits.defaults}) */
    public HttpApi(Engine engine, Reviews reviews, LimitsAdmin limitsAdmin, WorkflowRegistry registry, Store store, Clock clock, Hardening hardening, long maxBodyBytes, int maxJsonDepth,
            AccountLimits newAccountLimits, dev.mainstay.retention.Sweeper sweeper) {
        this.auth = new Authenticator(store, clock, new AuthThrottle(hardening.authFailures(), hardening.authFailureWindow(), clock));
        RequestBody bodies = new RequestBody(maxBodyBytes, maxJsonDepth, hardening.maxStringLength());
        Permissions permissions = new Permissions(engine, store, registry);
        this.health = new HealthResource(engine, store, registry);
        List<HttpService> resources = List.of(
                health,
                new WorkflowsResource(engine, registry, store, clock, auth, permissions, bodies),
                new JobsResource(engine, store, clock, auth, permissions),
                new ReviewsResource(reviews, store, auth, permissions, bodies),
                new UsageResource(limitsAdmin, registry, clock, auth),
                new KeysResource(store, clock, auth, bodies, newAccountLimits),
                new LimitsResource(limitsAdmin, store, auth, bodies),
                new AuditResource(store, auth),
                new TargetsResource(engine, auth),
                new RetentionResource(sweeper, auth));
        this.routes = RouteTable.of(resources);
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
        routes.register(routing);
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
