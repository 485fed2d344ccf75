package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.retention.RetentionConfig;
import dev.mainstay.retention.RetentionPolicy;
import dev.mainstay.retention.SweepReport;
import dev.mainstay.retention.Sweeper;
import dev.mainstay.store.RetentionStore.Removed;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.util.Map;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /v1/admin/retention}: the policy in force and what this node's sweeps removed;
 * {@code POST /v1/admin/retention/sweep}: one sweep now, answered with what it removed.
 */
final class RetentionResource implements HttpService {
    private final Sweeper sweeper;
    private final Authenticator auth;

    RetentionResource(Sweeper sweeper, Authenticator auth) {
        this.sweeper = sweeper;
        this.auth = auth;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/admin/retention", handler(this::show));
        rules.post("/v1/admin/retention/sweep", handler(this::sweep));
    }

    private Reply show(ServerRequest req) {
        auth.admin(req);
        RetentionConfig config = sweeper.config();
        ObjectNode out = Json.object();
        ObjectNode policy = out.putObject("policy");
        policy(policy, config.defaults());
        policy.put("cache", config.cache().toString());
        policy.put("idempotency_keys", config.idempotencyKeys().toString());
        policy.put("sweep_every", config.sweepEvery().toString());
        if (config.audit() == null) {
            policy.putNull("audit");
        } else {
            policy.put("audit", config.audit().toString());
        }
        policy.put("batch", config.batch());
        ObjectNode workflows = policy.putObject("workflows");
        config.workflows().forEach((name, p) -> policy(workflows.putObject(name), p));
        out.put("sweeps", sweeper.sweeps());
        counts(out.putObject("removed"), sweeper.totals());
        sweeper.last().ifPresentOrElse(last -> out.set("last_sweep", report(last)), () -> out.putNull("last_sweep"));
        return Reply.json(200, out);
    }

    private Reply sweep(ServerRequest req) {
        auth.admin(req);
        return Reply.json(200, report(sweeper.sweep()));
    }

    private static ObjectNode report(SweepReport r) {
        ObjectNode o = Json.object();
        o.put("at", r.at().toString());
        o.put("swept", r.leased());
        counts(o.putObject("removed"), r.removed());
        return o;
    }

    private static void policy(ObjectNode o, RetentionPolicy p) {
        o.put("payloads", p.payloads().toString());
        o.put("jobs", p.jobs().toString());
        o.put("events", p.events().toString());
    }

    private static void counts(ObjectNode o, Map<SweepReport.Kind, Removed> removed) {
        for (SweepReport.Kind kind : SweepReport.Kind.values()) {
            Removed r = removed.getOrDefault(kind, Removed.NONE);
            o.putObject(kind.wire()).put("rows", r.rows()).put("characters", r.characters());
        }
    }
}
