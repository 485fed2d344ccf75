package dev.mainstay.server;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import dev.mainstay.store.Store;
import io.helidon.webserver.http.ServerRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code GET /v1/admin/audit}: the audit log, oldest first, filtered and paged by position. */
final class AuditApi {
    private static final int DEFAULT_LIMIT = 100;

    private final Store store;

    AuditApi(Store store) {
        this.store = store;
    }

    Reply list(ServerRequest req) {
        var query = req.query();
        List<Problem.FieldError> errors = new ArrayList<>();
        String job = text(query.first("job").asOptional());
        String actor = text(query.first("actor").asOptional());
        String account = text(query.first("account").asOptional());
        AuditAction action = null;
        Optional<String> actionText = query.first("action").asOptional();
        if (actionText.isPresent()) {
            action = AuditAction.fromWire(actionText.get().strip()).orElse(null);
            if (action == null) {
                errors.add(Problem.FieldError.parameter("action", "one of " + String.join(", ", Arrays.stream(AuditAction.values()).map(AuditAction::wire).toList())
                        + "; got '" + actionText.get() + "'"));
            }
        }
        Instant from = time(query.first("from").asOptional(), "from", errors);
        Instant to = time(query.first("to").asOptional(), "to", errors);
        if (from != null && to != null && !from.isBefore(to)) {
            errors.add(Problem.FieldError.parameter("to", "must be after 'from'"));
        }
        long after = number(query.first("after").asOptional(), "after", 0, 0, Long.MAX_VALUE, errors);
        int limit = (int) number(query.first("limit").asOptional(), "limit", DEFAULT_LIMIT, 1, AuditQuery.MAX_LIMIT, errors);
        if (!errors.isEmpty()) {
            throw new ApiException(new Problem(400, ErrorCode.INVALID_INPUT, "the audit query is not valid", false, Optional.empty(), errors));
        }
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

    private static String text(Optional<String> v) {
        return v.map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
    }

    private static Instant time(Optional<String> text, String parameter, List<Problem.FieldError> errors) {
        if (text.isEmpty()) {
            return null;
        }
        String t = text.get().strip();
        Optional<Instant> at = Timestamps.timeOrDate(t);
        if (at.isEmpty()) {
            errors.add(Problem.FieldError.parameter(parameter, "an RFC 3339 time like 2026-11-23T10:00:00Z or a date like 2026-11-23; got '" + t + "'"));
        }
        return at.orElse(null);
    }

    private static long number(Optional<String> text, String parameter, long otherwise, long min, long max, List<Problem.FieldError> errors) {
        if (text.isEmpty()) {
            return otherwise;
        }
        try {
            long v = Long.parseLong(text.get().strip());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        errors.add(Problem.FieldError.parameter(parameter, "a whole number from " + min + " to " + max + "; got '" + text.get() + "'"));
        return otherwise;
    }
}
