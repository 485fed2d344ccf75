package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.engine.BudgetStanding;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Hold;
import dev.mainstay.limits.RefusalCount;
import dev.mainstay.usage.UsageQuery;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Ledger totals over a period, grouped by day, workflow or model: {@code GET /v1/usage} for the
 * caller's account, {@code GET /v1/admin/usage} for any account or all of them (and by account).
 * For one account, the answer also shows its budgets as they stand and whether each workflow it
 * may run would be admitted now.
 */
final class UsageResource implements HttpService {
    private final LimitsAdmin limitsAdmin;
    private final WorkflowRegistry registry;
    private final Clock clock;
    private final Authenticator auth;

    UsageResource(LimitsAdmin limitsAdmin, WorkflowRegistry registry, Clock clock, Authenticator auth) {
        this.limitsAdmin = limitsAdmin;
        this.registry = registry;
        this.clock = clock;
        this.auth = auth;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/usage", handler(req -> {
                    Principal p = auth.authenticate(req);
                    return usage(p.accountId(), req, false, w -> w.access().mayRun(p));
                }))
                .get("/v1/admin/usage", handler(req -> {
                    auth.admin(req);
                    return usage(req.query().first("account").asOptional().orElse(null), req, true, w -> true);
                }));
    }

    /** @param mayRun the workflows whose standing the answer shows: those the caller may run */
    private Reply usage(String accountId, ServerRequest req, boolean admin, Predicate<WorkflowDefinition> mayRun) {
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
        List<UsageQuery.Row> rows = limitsAdmin.usage(new UsageQuery(accountId, from, to, groupBy));
        ObjectNode out = Json.object();
        if (accountId != null) {
            out.put("account", accountId);
        }
        out.put("from", from.toString()).put("to", to.toString()).put("group_by", groupBy.wire());
        UsageQuery.Row total = new UsageQuery.Row("total", 0, 0, 0, 0, 0);
        ArrayNode groups = Json.array();
        for (UsageQuery.Row r : rows) {
            groups.add(row(r).put("key", r.key()));
            total = total.plus(r);
        }
        out.set("totals", row(total));
        out.set("groups", groups);
        out.set("refusals", refusals(accountId, from, to));
        if (accountId != null) {
            out.setAll(standing(accountId, mayRun));
        }
        return Reply.json(200, out);
    }

    /**
     * Submits refused at admission on the UTC days the period touches, by day and kind (and
     * account, when the answer is of every account), with their total.
     */
    private ObjectNode refusals(String accountId, Instant from, Instant to) {
        LocalDate first = LocalDate.ofInstant(from, ZoneOffset.UTC);
        LocalDate last = LocalDate.ofInstant(to.minusMillis(1), ZoneOffset.UTC);
        ObjectNode out = Json.object();
        ArrayNode groups = Json.array();
        long total = 0;
        for (RefusalCount c : limitsAdmin.refusals(accountId, first, last.isBefore(first) ? first : last)) {
            ObjectNode o = groups.addObject().put("day", c.day().toString());
            if (accountId == null) {
                o.put("account", c.accountId());
            }
            o.put("kind", c.kind()).put("count", c.count());
            total += c.count();
        }
        out.put("total", total);
        out.set("groups", groups);
        return out;
    }

    /**
     * The account's budgets as they stand now and, for each workflow it may run, the worst case of
     * that workflow's cheapest first call and whether a submit would be admitted: the numbers
     * behind a {@code budget_exceeded} at submit.
     */
    private ObjectNode standing(String accountId, Predicate<WorkflowDefinition> mayRun) {
        BudgetStanding standing = limitsAdmin.standing(accountId, registry.all().stream().filter(mayRun)
                .sorted(Comparator.comparing(WorkflowDefinition::name)).toList());
        ObjectNode out = Json.object();
        ArrayNode budgets = out.putArray("budgets");
        for (var b : standing.budgets()) {
            ObjectNode o = budgets.addObject().put("limit", b.limit()).put("scope", b.label());
            amount(o, "max", b.unit(), b.max());
            amount(o, "spent", b.unit(), b.spent());
            amount(o, "reserved", b.unit(), b.reserved());
            amount(o, "remaining", b.unit(), b.remaining());
            o.put("resets_at", b.resetsAt() == null ? null : b.resetsAt().toString());
        }
        ArrayNode workflows = out.putArray("workflows");
        for (var w : standing.workflows()) {
            ObjectNode o = workflows.addObject().put("workflow", w.name()).put("version", w.version());
            if (w.cheapestFirstCall().isPresent()) {
                var c = w.cheapestFirstCall().get();
                o.putObject("first_call").put("stage", c.stage()).put("target", c.target().toString()).put("prompt_tokens", c.promptTokens())
                        .put("max_output_tokens", c.maxOutputTokens()).put("worst_case_usd", AccountLimits.Money.usd(c.costMicros()))
                        .put("worst_case_tokens", w.firstCallTokens());
            } else {
                o.putNull("first_call");
            }
            o.put("admitted", w.refusal().isEmpty());
            if (w.refusal().isPresent()) {
                o.putObject("refusal").put("code", w.refusal().get().code().code()).put("limit", w.refusal().get().limit())
                        .put("detail", w.refusal().get().message());
            } else {
                o.putNull("refusal");
            }
        }
        return out;
    }

    private static void amount(ObjectNode o, String field, Hold.Unit unit, long value) {
        if (unit == Hold.Unit.MICRO_USD) {
            o.put(field, AccountLimits.Money.usd(value));
        } else {
            o.put(field, value);
        }
    }

    private static ObjectNode row(UsageQuery.Row r) {
        return Json.object().put("calls", r.calls()).put("input_tokens", r.inputTokens()).put("cached_input_tokens", r.cachedInputTokens())
                .put("output_tokens", r.outputTokens()).put("tokens", r.inputTokens() + r.outputTokens())
                .put("cost_usd", AccountLimits.Money.usd(r.costMicros()))
                // Included above: calls in flight when their node died, charged at their estimates.
                .put("unknown_outcome_calls", r.unknownOutcomeCalls()).put("unknown_outcome_cost_usd", AccountLimits.Money.usd(r.unknownOutcomeCostMicros()));
    }
}
