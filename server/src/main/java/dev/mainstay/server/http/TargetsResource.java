package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.engine.Engine;
import dev.mainstay.routing.TargetLimits;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /v1/admin/targets}: this node's view of each model target, its circuit breaker state,
 * latency, failures and rate limits, configured and learned from the providers' headers
 * (docs/providers.md).
 */
final class TargetsResource implements HttpService {
    private final Engine engine;
    private final Authenticator auth;

    TargetsResource(Engine engine, Authenticator auth) {
        this.engine = engine;
        this.auth = auth;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/admin/targets", handler(this::targets));
    }

    private Reply targets(ServerRequest req) {
        auth.admin(req);
        ArrayNode list = Json.array();
        Map<String, TargetLimits.Snapshot> limits = new LinkedHashMap<>();
        engine.targetLimits().forEach(l -> limits.put(l.target().toString(), l));
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
            limits(o, limits.remove(t.target().toString()));
        }
        // Targets with configured limits that this node has not called yet.
        for (TargetLimits.Snapshot l : limits.values()) {
            ObjectNode o = list.addObject();
            o.put("target", l.target().toString());
            o.put("state", "closed");
            o.put("consecutive_failures", 0);
            o.putNull("open_until");
            o.putNull("p95_ms");
            o.put("calls", 0);
            o.put("failures", 0);
            limits(o, l);
        }
        return Reply.json(200, Json.object().put("node", engine.config().nodeId()).set("targets", list));
    }

    /** {@code rate_limited_until} and one {@code rate_limits} entry per budget, configured or learned from headers. */
    private static void limits(ObjectNode o, TargetLimits.Snapshot l) {
        o.put("rate_limited_until", l == null || l.limitedUntil() == null ? null : l.limitedUntil().toString());
        ArrayNode budgets = o.putArray("rate_limits");
        if (l == null) {
            return;
        }
        for (TargetLimits.Budget b : l.budgets()) {
            ObjectNode x = budgets.addObject().put("budget", b.name());
            if (b.limit() >= 0) {
                x.put("limit", b.limit());
            } else {
                x.putNull("limit");
            }
            if (b.remaining() >= 0) {
                x.put("remaining", b.remaining());
            } else {
                x.putNull("remaining");
            }
            x.put("reset_at", b.resetAt() == null ? null : b.resetAt().toString());
            x.put("source", b.source().name().toLowerCase(Locale.ROOT));
            x.put("updated_at", b.updatedAt() == null ? null : b.updatedAt().toString());
        }
    }
}
