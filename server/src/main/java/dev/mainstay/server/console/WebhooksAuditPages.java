package dev.mainstay.server.console;

import static dev.mainstay.server.console.Console.options;
import static dev.mainstay.server.console.Console.param;
import static dev.mainstay.server.console.Console.redirect;
import static dev.mainstay.server.console.Console.require;
import static dev.mainstay.server.console.Console.view;

import dev.mainstay.ErrorCode;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditCheck;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import dev.mainstay.server.console.Console.Answer;
import dev.mainstay.server.console.Console.Refused;
import dev.mainstay.server.console.Console.Role;
import dev.mainstay.server.console.Sessions.Session;
import dev.mainstay.store.Store;
import io.helidon.webserver.http.ServerRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Webhook endpoints with their deliveries (replay the dead ones), and the audit log with its chain check. */
final class WebhooksAuditPages {
    private static final Logger LOG = LoggerFactory.getLogger(WebhooksAuditPages.class);
    private static final int PAGE = 50;

    private final Store store;
    private final Clock clock;
    private final Runnable wakeDeliveries;

    WebhooksAuditPages(Store store, Clock clock, Runnable wakeDeliveries) {
        this.store = store;
        this.clock = clock;
        this.wakeDeliveries = wakeDeliveries;
    }

    /** An account's webhook endpoints and each one's latest deliveries; dead ones may be replayed. */
    Answer webhooks(ServerRequest req, Session s) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        boolean admin = Role.of(s.principal()) == Role.ADMIN;
        String account = admin ? param(req, "account").orElse(s.accountId()) : s.accountId();
        List<Map<String, Object>> endpoints = new ArrayList<>();
        for (var e : store.endpoints(account)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.id());
            m.put("url", e.url().toString());
            m.put("events", String.join(", ", e.events()));
            m.put("enabled", e.enabled());
            m.put("state", e.enabled() ? "enabled" : "disabled" + (e.disabledReason() == null ? "" : ": " + e.disabledReason()));
            List<Map<String, Object>> deliveries = new ArrayList<>();
            boolean anyDead = false;
            for (var d : store.deliveries(new dev.mainstay.webhook.DeliveryQuery(account, e.id(), null, null, null, null, 20))) {
                String status = d.status().name().toLowerCase(java.util.Locale.ROOT);
                anyDead |= status.equals("dead");
                deliveries.add(Map.of("id", d.id(), "event", d.eventType(), "job", d.jobId() == null ? "" : d.jobId(), "status", status,
                        "tone", status.equals("delivered") ? "good" : status.equals("dead") ? "bad" : "busy", "attempts", d.attempts(),
                        "last", d.lastStatus() == null ? (d.lastError() == null ? "" : d.lastError()) : "HTTP " + d.lastStatus(), "created", d.createdAt().toString()));
            }
            m.put("deliveries", deliveries);
            m.put("anyDead", anyDead);
            endpoints.add(m);
        }
        return view("webhooks", Map.of("title", "Webhooks", "account", account, "admin", admin, "endpoints", endpoints, "empty", endpoints.isEmpty()));
    }

    Answer replayDeliveries(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN, Role.ACCOUNT);
        boolean admin = Role.of(s.principal()) == Role.ADMIN;
        String account = admin ? form.getOrDefault("account", s.accountId()) : s.accountId();
        String endpoint = req.path().pathParameters().get("endpoint");
        if (!"yes".equals(form.get("confirm"))) {
            throw new Refused(400, ErrorCode.INVALID_INPUT, "tick the confirmation box to replay the dead deliveries of endpoint " + endpoint);
        }
        if (store.endpoint(account, endpoint).isEmpty()) {
            throw new Refused(404, ErrorCode.NOT_FOUND, "webhook endpoint " + endpoint + " not found in account " + account);
        }
        int n = store.replayDeliveries(account, endpoint, List.of(), clock.instant());
        wakeDeliveries.run();
        LOG.info("{} dead deliveries of endpoint {} replayed from the console by {}", n, endpoint, s.keyId());
        return redirect("/console/webhooks?account=" + URLEncoder.encode(account, StandardCharsets.UTF_8));
    }

    Answer audit(ServerRequest req, Session s) {
        require(s, Role.ADMIN);
        return auditPage(req, null);
    }

    Answer auditPage(ServerRequest req, AuditCheck check) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("title", "Audit");
        String account = param(req, "account").orElse(null);
        String actionText = param(req, "action").orElse(null);
        AuditAction action = actionText == null ? null : AuditAction.fromWire(actionText).orElse(null);
        long after = param(req, "after").map(x -> {
            try {
                return Long.parseLong(x);
            } catch (NumberFormatException e) {
                return 0L;
            }
        }).orElse(0L);
        List<AuditRecord> records = store.auditLog(new AuditQuery(null, null, action, account, null, null, after, PAGE));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (AuditRecord r : records) {
            AuditRecord.Stored st = r.stored();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seq", r.seq());
            m.put("at", st.at());
            m.put("actor", st.actor());
            m.put("action", st.action());
            m.put("account", st.accountId());
            m.put("subject", st.subject());
            m.put("details", st.details());
            rows.add(m);
        }
        model.put("records", rows);
        model.put("empty", rows.isEmpty());
        model.put("account", account == null ? "" : account);
        model.put("actions", options(java.util.Arrays.stream(AuditAction.values()).map(AuditAction::wire).toList(), actionText));
        if (records.size() == PAGE) {
            model.put("next", "/console/audit?" + (account == null ? "" : "account=" + URLEncoder.encode(account, StandardCharsets.UTF_8) + "&")
                    + (actionText == null ? "" : "action=" + URLEncoder.encode(actionText, StandardCharsets.UTF_8) + "&") + "after=" + records.getLast().seq());
        }
        if (check != null) {
            switch (check) {
                case AuditCheck.Intact i -> model.put("check", Map.of("ok", true, "text", "Chain intact: " + i.records() + " records, head " + i.headHash()));
                case AuditCheck.Broken b -> model.put("check", Map.of("ok", false, "text", "Chain broken at record " + b.seq() + " (" + b.kind().wire() + "): " + b.problem()));
            }
        }
        return view("audit", model);
    }

    Answer verifyAudit(ServerRequest req, Session s, Map<String, String> form) {
        require(s, Role.ADMIN);
        return auditPage(req, store.verifyAudit());
    }
}
