package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.engine.Engine;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.util.Locale;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /v1/admin/targets}: this node's view of each model target, its circuit breaker state,
 * latency and failures (docs/providers.md).
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
}
