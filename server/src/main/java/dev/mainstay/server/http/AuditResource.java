package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import dev.mainstay.store.Store;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code GET /v1/admin/audit}: the audit log, oldest first, filtered and paged by position. */
final class AuditResource implements HttpService {
    private static final int DEFAULT_LIMIT = 100;

    private final Store store;
    private final Authenticator auth;

    AuditResource(Store store, Authenticator auth) {
        this.store = store;
        this.auth = auth;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/admin/audit", handler(this::list));
    }

    private Reply list(ServerRequest req) {
        auth.admin(req);
        QueryParameters query = QueryParameters.of(req);
        String job = query.text("job").orElse(null);
        String actor = query.text("actor").orElse(null);
        String account = query.text("account").orElse(null);
        AuditAction action = null;
        Optional<String> actionText = query.first("action");
        if (actionText.isPresent()) {
            action = AuditAction.fromWire(actionText.get().strip()).orElse(null);
            if (action == null) {
                query.error("action", "one of " + String.join(", ", Arrays.stream(AuditAction.values()).map(AuditAction::wire).toList())
                        + "; got '" + actionText.get() + "'");
            }
        }
        Instant from = query.time("from", null);
        Instant to = query.time("to", null);
        query.ordered(from, to);
        long after = query.number("after", 0, 0, Long.MAX_VALUE);
        int limit = (int) query.number("limit", DEFAULT_LIMIT, 1, AuditQuery.MAX_LIMIT);
        query.check("the audit query is not valid");
        List<AuditRecord> records = store.auditLog(new AuditQuery(job, actor, action, account, from, to, after, limit));
        ArrayNode list = Json.array();
        for (AuditRecord r : records) {
            ObjectNode o = list.addObject();
            o.put("seq", r.seq());
            o.put("at", r.stored().at());
            o.put("actor", r.stored().actor());
            o.put("action", r.stored().action());
            o.put("account", r.stored().accountId());
            o.put("subject", r.stored().subject());
            o.put("job", r.jobId());
            o.set("details", r.event().details());
            o.put("prev_hash", r.prevHash());
            o.put("hash", r.hash());
        }
        ObjectNode out = Json.object();
        out.set("records", list);
        out.put("next_after", records.size() == limit ? records.getLast().seq() : null);
        return Reply.json(200, out);
    }
}
