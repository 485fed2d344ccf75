package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.store.Store;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * An account's limits, for operators: {@code GET} and {@code PUT /v1/admin/accounts/{account}/limits}
 * (docs/limits.md). The answer shows the limits set and the effective ones (with the defaults).
 */
final class LimitsResource implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(LimitsResource.class);

    private final LimitsAdmin limitsAdmin;
    private final Store store;
    private final Authenticator auth;
    private final RequestBody bodies;

    LimitsResource(LimitsAdmin limitsAdmin, Store store, Authenticator auth, RequestBody bodies) {
        this.limitsAdmin = limitsAdmin;
        this.store = store;
        this.auth = auth;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/admin/accounts/{account}/limits", handler(this::limits))
                .put("/v1/admin/accounts/{account}/limits", handler(this::set));
    }

    private Reply limits(ServerRequest req) {
        auth.admin(req);
        String account = account(req);
        return Reply.json(200, view(account, limitsAdmin.limits(account)));
    }

    private Reply set(ServerRequest req) {
        Principal admin = auth.admin(req);
        String account = account(req);
        AccountLimits set = AccountLimits.fromJson(bodies.json(req));
        LOG.info("limits of account {} set by {}: {}", account, admin.keyId(), set.toJson());
        return Reply.json(200, view(account, limitsAdmin.setLimits(account, set, admin.keyId())));
    }

    private String account(ServerRequest req) {
        return KeysResource.account(store, req);
    }

    private static ObjectNode view(String account, LimitsAdmin.AccountLimitsView view) {
        ObjectNode out = Json.object().put("account", account);
        out.set("limits", view.set().toJson());
        out.set("effective", view.effective().toJson());
        return out;
    }
}
