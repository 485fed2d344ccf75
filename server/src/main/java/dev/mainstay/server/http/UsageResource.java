package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.engine.Engine;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.usage.UsageQuery;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Ledger totals over a period, grouped by day, workflow or model: {@code GET /v1/usage} for the
 * caller's account, {@code GET /v1/admin/usage} for any account or all of them (and by account).
 */
final class UsageResource implements HttpService {
    private final Engine engine;
    private final Clock clock;
    private final Authenticator auth;

    UsageResource(Engine engine, Clock clock, Authenticator auth) {
        this.engine = engine;
        this.clock = clock;
        this.auth = auth;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/usage", handler(req -> usage(auth.authenticate(req).accountId(), req, false)))
                .get("/v1/admin/usage", handler(req -> {
                    auth.admin(req);
                    return usage(req.query().first("account").asOptional().orElse(null), req, true);
                }));
    }

    private Reply usage(String accountId, ServerRequest req, boolean admin) {
        QueryParameters query = QueryParameters.of(req);
        Instant now = clock.instant();
        Instant monthStart = YearMonth.from(now.atZone(ZoneOffset.UTC)).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant from = query.time("from", monthStart);
        Instant to = query.time("to", now.plusMillis(1));
        query.ordered(from, to);
        String groupText = query.first("group_by").orElse("day");
        UsageQuery.GroupBy groupBy = null;
        for (UsageQuery.GroupBy g : UsageQuery.GroupBy.values()) {
            if (g.wire().equals(groupText) && (admin || g != UsageQuery.GroupBy.ACCOUNT)) {
                groupBy = g;
            }
        }
        if (groupBy == null) {
            query.error("group_by", "one of day, workflow, model" + (admin ? ", account" : "") + "; got '" + groupText + "'");
        }
        query.check("the usage query is not valid");
        List<UsageQuery.Row> rows = engine.usage(new UsageQuery(accountId, from, to, groupBy));
        ObjectNode out = Json.object();
        if (accountId != null) {
            out.put("account", accountId);
        }
        out.put("from", from.toString()).put("to", to.toString()).put("group_by", groupBy.wire());
        UsageQuery.Row total = new UsageQuery.Row("total", 0, 0, 0, 0, 0);
        ArrayNode groups = Json.array();
        for (UsageQuery.Row r : rows) {
            groups.add(row(r).put("key", r.key()));
            total = new UsageQuery.Row("total", total.calls() + r.calls(), total.inputTokens() + r.inputTokens(), total.cachedInputTokens() + r.cachedInputTokens(),
                    total.outputTokens() + r.outputTokens(), total.costMicros() + r.costMicros());
        }
        out.set("totals", row(total));
        out.set("groups", groups);
        return Reply.json(200, out);
    }

    private static ObjectNode row(UsageQuery.Row r) {
        return Json.object().put("calls", r.calls()).put("input_tokens", r.inputTokens()).put("cached_input_tokens", r.cachedInputTokens())
                .put("output_tokens", r.outputTokens()).put("tokens", r.inputTokens() + r.outputTokens())
                .put("cost_usd", AccountLimits.Money.usd(r.costMicros()));
    }
}
