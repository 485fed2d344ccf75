package dev.mainstay.server.console;

import static dev.mainstay.server.console.Console.param;
import static dev.mainstay.server.console.Console.redirect;
import static dev.mainstay.server.console.Console.require;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.LimitsAdmin;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.server.console.Console.Answer;
import dev.mainstay.server.console.Console.Refused;
import dev.mainstay.server.console.Console.Role;
import dev.mainstay.server.console.Sessions.Session;
import dev.mainstay.store.Store;
import io.helidon.webserver.http.ServerRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Usage and limits of an account: what it spent, and its limits, which an admin may change (audited). */
final class UsagePages {
    private static final Logger LOG = LoggerFactory.getLogger(UsagePages.class);

    private final LimitsAdmin limitsAdmin;
    private final Store store;
    private final Clock clock;

    UsagePages(LimitsAdmin limitsAdmin, Store store, Clock clock) {
        this.limitsAdmin = limitsAdmin;
        this.store = store;
        this.clock = clock;
    }

    Answer usage(ServerRequest req, Session s) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        boolean admin = Role.of(s.principal()) == Role.ADMIN;
        String account = admin ? param(req, "account").orElse(s.accountId()) : s.accountId();
        return usagePage(account, admin, Map.of(), null, 200);
    }

    Answer usagePage(String account, boolean admin, Map<String, String> errors, Map<String, String> sent, int status) {
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
        for (var row : limitsAdmin.usage(new dev.mainstay.usage.UsageQuery(account, now.minus(Duration.ofDays(30)), now, dev.mainstay.usage.UsageQuery.GroupBy.WORKFLOW))) {
            rows.add(Map.of("key", row.key(), "calls", row.calls(), "input", row.inputTokens(), "output", row.outputTokens(), "cost", AccountLimits.Money.usd(row.costMicros())));
        }
        model.put("usage", rows);
        model.put("noUsage", rows.isEmpty());
        return new Answer(status, "usage", model, null, null);
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
            return usagePage(account, true, errors, form, 422);
        }
        limitsAdmin.setLimits(account, limits, s.keyId());
        LOG.info("limits of account {} set from the console by {}: {}", account, s.keyId(), limits.toJson());
        return redirect("/console/usage?account=" + URLEncoder.encode(account, StandardCharsets.UTF_8) + "&saved=1");
    }
}
