package dev.mainstay.server.console;

import static dev.mainstay.server.console.Console.param;
import static dev.mainstay.server.console.Console.redirect;
import static dev.mainstay.server.console.Console.require;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.access.Principal;
import dev.mainstay.engine.BudgetStanding;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.RefusalCount;
import dev.mainstay.server.console.Console.Answer;
import dev.mainstay.server.console.Console.Refused;
import dev.mainstay.server.console.Console.Role;
import dev.mainstay.server.console.Sessions.Session;
import dev.mainstay.store.Store;
import dev.mainstay.usage.UsageQuery;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.ServerRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Usage and limits of an account: what it spent, a chart per budget (spend against the budget,
 * day by day), the submits its limits refused, and its limits, which an admin may change (audited).
 */
final class UsagePages {
    private static final Logger LOG = LoggerFactory.getLogger(UsagePages.class);

    /** How many days the daily charts and the refusals table go back, today included. */
    static final int DAYS = 14;

    private final LimitsAdmin limitsAdmin;
    private final WorkflowRegistry registry;
    private final Store store;
    private final Clock clock;

    UsagePages(LimitsAdmin limitsAdmin, WorkflowRegistry registry, Store store, Clock clock) {
        this.limitsAdmin = limitsAdmin;
        this.registry = registry;
        this.store = store;
        this.clock = clock;
    }

    Answer usage(ServerRequest req, Session s) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        boolean admin = Role.of(s.principal()) == Role.ADMIN;
        String account = admin ? param(req, "account").orElse(s.accountId()) : s.accountId();
        return usagePage(account, s.principal(), Map.of(), null, 200);
    }

    /** The usage page of {@code account} as {@code viewer} may see it: budgets of the workflows it may run, limits it may change if an admin. */
    Answer usagePage(String account, Principal viewer, Map<String, String> errors, Map<String, String> sent, int status) {
        boolean admin = Role.of(viewer) == Role.ADMIN;
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("title", "Usage and limits");
        model.put("account", account);
        model.put("admin", admin);
        Optional<?> exists = store.account(account);
        if (exists.isEmpty()) {
            model.put("unknown", true);
            return new Answer(admin ? 200 : 404, "usage", model, null, null);
        }
        LimitsAdmin.AccountLimitsView limits = limitsAdmin.limits(account);
        ObjectNode set = limits.set().toJson();
        ObjectNode effective = limits.effective().toJson();
        List<Map<String, Object>> fields = new ArrayList<>();
        for (String[] f : List.of(new String[] {"requests_per_minute", "Requests per minute"}, new String[] {"tokens_per_day", "Tokens per day"},
                new String[] {"cost_per_month_usd", "Monthly budget (USD)"}, new String[] {"max_concurrent_jobs", "Concurrent jobs"})) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", f[0]);
            m.put("label", f[1]);
            JsonNode v = set.get(f[0]);
            m.put("value", sent != null && sent.containsKey(f[0]) ? sent.get(f[0]) : v == null || v.isNull() ? "" : v.asString());
            JsonNode e = effective.get(f[0]);
            m.put("effective", e == null || e.isNull() ? "no limit" : e.asString());
            if (errors.containsKey(f[0])) {
                m.put("error", errors.get(f[0]));
            }
            fields.add(m);
        }
        model.put("fields", fields);
        Instant now = clock.instant();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (var row : limitsAdmin.usage(new UsageQuery(account, now.minus(Duration.ofDays(30)), now, UsageQuery.GroupBy.WORKFLOW))) {
            rows.add(Map.of("key", row.key(), "calls", row.calls(), "input", row.inputTokens(), "output", row.outputTokens(), "cost", AccountLimits.Money.usd(row.costMicros())));
        }
        model.put("usage", rows);
        model.put("noUsage", rows.isEmpty());
        model.put("budgets", budgets(account, limits.effective(), admin ? w -> true : w -> w.access().mayRun(viewer), now));
        model.putAll(refusals(account, now));
        return new Answer(status, "usage", model, null, null);
    }

    /**
     * A chart per budget of the account: its own monthly cost and daily tokens, and each
     * workflow's budgets for it. A budget that is not set still shows the account's spend, without
     * a line; a workflow without budgets shows nothing here.
     */
    private List<Map<String, Object>> budgets(String account, AccountLimits effective, Predicate<WorkflowDefinition> mayRun, Instant now) {
        List<WorkflowDefinition> workflows = registry.all().stream().filter(mayRun).sorted(Comparator.comparing(WorkflowDefinition::name)).toList();
        Map<String, BudgetStanding.Budget> standing = new LinkedHashMap<>();
        for (BudgetStanding.Budget b : limitsAdmin.standing(account, workflows).budgets()) {
            standing.put(b.limit() + "/" + b.label(), b);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        String who = "account " + account;
        out.add(month(account, null, "budget-month", "Spend of account " + account + " this month", effective.costPerMonthMicros(),
                standing.get("cost_per_month_usd/" + who), now));
        out.add(daily(account, null, "budget-day", "Tokens of account " + account + " per day", effective.tokensPerDay(),
                standing.get("tokens_per_day/" + who), now));
        for (WorkflowDefinition w : workflows) {
            AccountLimits own = w.limits().perAccount();
            String whoWf = "workflow " + w.name() + " for account " + account;
            String slug = "budget-wf-" + w.name().replaceAll("[^A-Za-z0-9]+", "-");
            if (own.costPerMonthMicros() != null) {
                out.add(month(account, w.name(), slug + "-month", "Spend of " + w.name() + " for account " + account + " this month",
                        own.costPerMonthMicros(), standing.get("cost_per_month_usd/" + whoWf), now));
            }
            if (own.tokensPerDay() != null) {
                out.add(daily(account, w.name(), slug + "-day", "Tokens of " + w.name() + " for account " + account + " per day",
                        own.tokensPerDay(), standing.get("tokens_per_day/" + whoWf), now));
            }
        }
        return out;
    }

    /** Spend of the month so far, day by day and added up, against a monthly budget (in micro-dollars). */
    private Map<String, Object> month(String account, String workflow, String id, String title, Long limit, BudgetStanding.Budget standing, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        LocalDate first = today.withDayOfMonth(1);
        Map<String, UsageQuery.Row> byDay = byDay(account, workflow, first, now);
        List<Chart.Point> points = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        long total = 0;
        for (LocalDate d = first; !d.isAfter(today); d = d.plusDays(1)) {
            UsageQuery.Row r = byDay.get(d.toString());
            long that = r == null ? 0 : r.costMicros();
            total += that;
            points.add(new Chart.Point(d.toString(), total, AccountLimits.Money.usd(total) + " USD"));
            rows.add(Map.of("day", d.toString(), "that", AccountLimits.Money.usd(that), "plotted", AccountLimits.Money.usd(total)));
        }
        String limitText = limit == null ? null : AccountLimits.Money.usd(limit) + " USD";
        Map<String, Object> m = chart(id, title, points, limit, limitText, rows, "Spend that day (USD)", "Spend this month so far (USD)");
        m.put("budget", limit == null ? "no monthly budget is set" : "monthly budget " + limitText);
        m.put("spent", standing == null ? AccountLimits.Money.usd(total) + " USD this month" : AccountLimits.Money.usd(standing.spent()) + " USD spent, "
                + AccountLimits.Money.usd(standing.reserved()) + " USD held by calls in flight, " + AccountLimits.Money.usd(standing.remaining()) + " USD left"
                + (standing.resetsAt() == null ? "" : "; resets at " + standing.resetsAt()));
        return m;
    }

    /** Tokens (input and output) of each of the last {@link #DAYS} days, against a daily budget. */
    private Map<String, Object> daily(String account, String workflow, String id, String title, Long limit, BudgetStanding.Budget standing, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        LocalDate first = today.minusDays(DAYS - 1);
        Map<String, UsageQuery.Row> byDay = byDay(account, workflow, first, now);
        List<Chart.Point> points = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        long todays = 0;
        for (LocalDate d = first; !d.isAfter(today); d = d.plusDays(1)) {
            UsageQuery.Row r = byDay.get(d.toString());
            long tokens = r == null ? 0 : r.inputTokens() + r.outputTokens();
            todays = tokens;
            points.add(new Chart.Point(d.toString(), tokens, tokens + " tokens"));
            rows.add(Map.of("day", d.toString(), "that", Long.toString(tokens), "plotted", Long.toString(tokens)));
        }
        String limitText = limit == null ? null : limit + " tokens";
        Map<String, Object> m = chart(id, title, points, limit, limitText, rows, "Tokens that day", null);
        m.put("budget", limit == null ? "no daily token budget is set" : "daily budget " + limitText);
        m.put("spent", standing == null ? todays + " tokens today" : standing.spent() + " tokens today, " + standing.reserved() + " held by calls in flight, "
                + standing.remaining() + " left" + (standing.resetsAt() == null ? "" : "; resets at " + standing.resetsAt()));
        return m;
    }

    private static Map<String, Object> chart(String id, String title, List<Chart.Point> points, Long limit, String limitText, List<Map<String, Object>> rows,
            String thatHeading, String plottedHeading) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("title", title);
        m.put("svg", Chart.budget(id + "-chart", title + (limitText == null ? ", no budget set" : ", against the budget of " + limitText), points, limit,
                limitText == null ? "" : limitText));
        m.put("rows", rows);
        m.put("thatHeading", thatHeading);
        if (plottedHeading != null) {
            m.put("plottedHeading", plottedHeading);
        }
        return m;
    }

    private Map<String, UsageQuery.Row> byDay(String account, String workflow, LocalDate first, Instant now) {
        Map<String, UsageQuery.Row> out = new LinkedHashMap<>();
        for (UsageQuery.Row r : limitsAdmin.usage(new UsageQuery(account, first.atStartOfDay(ZoneOffset.UTC).toInstant(), now.plusMillis(1), UsageQuery.GroupBy.DAY,
                workflow))) {
            out.put(r.key(), r);
        }
        return out;
    }

    /** The account's submits refused at admission over the last {@link #DAYS} days: by day and kind, by kind, and in all. */
    private Map<String, Object> refusals(String account, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Long> byKind = new java.util.TreeMap<>();
        long total = 0;
        for (RefusalCount c : limitsAdmin.refusals(account, today.minusDays(DAYS - 1), today)) {
            rows.add(Map.of("day", c.day().toString(), "kind", c.kind(), "count", c.count()));
            byKind.merge(c.kind(), c.count(), Long::sum);
            total += c.count();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("refusals", rows);
        m.put("refusalKinds", byKind.entrySet().stream().map(e -> Map.<String, Object>of("kind", e.getKey(), "count", e.getValue())).toList());
        m.put("refusalsTotal", total);
        m.put("refusalDays", DAYS);
        return m;
    }

    Answer setLimits(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN);
        String account = form.getOrDefault("account", "").strip();
        if (store.account(account).isEmpty()) {
            throw new Refused(404, ErrorCode.INVALID_INPUT, "account '" + account + "' not found");
        }
        ObjectNode body = Json.object();
        Map<String, String> errors = new LinkedHashMap<>();
        for (String f : List.of("requests_per_minute", "tokens_per_day", "max_concurrent_jobs")) {
            String v = form.getOrDefault(f, "").strip();
            if (v.isEmpty()) {
                body.putNull(f);
            } else {
                try {
                    body.put(f, Long.parseLong(v));
                } catch (NumberFormatException e) {
                    errors.put(f, "Enter a whole number, or leave it empty for no limit.");
                }
            }
        }
        String cost = form.getOrDefault("cost_per_month_usd", "").strip();
        if (cost.isEmpty()) {
            body.putNull("cost_per_month_usd");
        } else {
            body.put("cost_per_month_usd", cost);
        }
        AccountLimits limits = null;
        try {
            limits = AccountLimits.fromJson(body);
        } catch (InvalidInputException e) {
            for (Violation v : e.violations()) {
                errors.putIfAbsent(v.pointer().replaceFirst("^/", ""), v.message());
            }
        }
        if (!errors.isEmpty()) {
            return usagePage(account, s.principal(), errors, form, 422);
        }
        limitsAdmin.setLimits(account, limits, s.keyId());
        LOG.info("limits of account {} set from the console by {}: {}", account, s.keyId(), limits.toJson());
        return redirect("/console/usage?account=" + URLEncoder.encode(account, StandardCharsets.UTF_8) + "&saved=1");
    }
}
