package dev.mainstay.store.jdbc;

import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.LiveEvalStore;
import dev.mainstay.store.WebhookStore;
import dev.mainstay.webhook.AttemptResult;
import dev.mainstay.webhook.Delivery;
import dev.mainstay.webhook.DeliveryQuery;
import dev.mainstay.webhook.DueDelivery;
import dev.mainstay.webhook.EventTypes;
import dev.mainstay.webhook.Payloads;
import dev.mainstay.webhook.WebhookEndpoint;
import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Webhook endpoints and the delivery outbox, on any dialect. The outbox rows of a job's events are
 * written by {@link #outbox}, which {@link Transitions} calls inside the transition's transaction.
 *
 * <p>A claim locks the endpoints it takes deliveries of (in id order, so claimers never deadlock)
 * before it counts their leased deliveries: nodes claiming one endpoint's deliveries at once take
 * turns, and each sees the others' committed leases, so an endpoint never has more attempts in
 * flight than its {@code max_concurrency}.
 */
final class JdbcWebhooks implements WebhookStore {
    /** How many endpoints one claim looks at. */
    private static final int CLAIM_ENDPOINTS = 64;

    private final Sql sql;
    private final Dialect dialect;
    // Message and delivery ids only need to be unique and roughly time-ordered; the wall clock is enough.
    private final JobIds ids = new JobIds(Clock.systemUTC());

    JdbcWebhooks(Sql sql, Dialect dialect) {
        this.sql = sql;
        this.dialect = dialect;
    }

    /**
     * Queues the deliveries of what transition {@code t} of a job of {@code account} emits, in the
     * caller's transaction: one message per event type, one row per subscribed endpoint. Reads
     * nothing when the transition emits nothing.
     */
    void outbox(Connection c, JobTransition t, String account) throws SQLException {
        List<String> types = EventTypes.emitted(t.to(), t.eventType());
        if (types.isEmpty()) {
            return;
        }
        Dialect.In typeIn = dialect.in("s.event_type", types);
        record Target(String endpoint, String type, String workflow, int version, String resultType, String error) {
        }
        List<Target> targets = sql.list(c, "SELECT e.id, s.event_type, j.workflow, j.workflow_version, j.result_type, j.error_code FROM webhook_endpoints e "
                        + "JOIN webhook_subscriptions s ON s.endpoint_id = e.id JOIN jobs j ON j.id = ? "
                        // A workflow's own receiver hears of its customers' jobs, never of eval traffic (runs, shadows) on it.
                        + "WHERE (e.account_id = ? OR (e.account_id = '" + WORKFLOW_ACCOUNT + "' AND e.workflow = j.workflow AND j.account_id <> '"
                        + LiveEvalStore.EVAL_ACCOUNT + "')) AND " + typeIn.sql()
                        + " AND (e.workflow IS NULL OR e.workflow = j.workflow) ORDER BY e.id",
                rs -> new Target(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5), rs.getString(6)), t.jobId(), account, typeIn);
        if (targets.isEmpty()) {
            return;
        }
        Map<String, String> messages = new HashMap<>();
        Map<String, String> payloads = new HashMap<>();
        for (Target target : targets) {
            String message = messages.computeIfAbsent(target.type(), type -> ids.next("msg"));
            String payload = payloads.computeIfAbsent(target.type(), type -> {
                ResultType resultType = t.resultType() != null ? t.resultType() : target.resultType() == null ? null : ResultType.fromWire(target.resultType());
                return Payloads.job(type, t.at(), t.jobId(), target.workflow(), target.version(), t.to(), t.to().isTerminal() ? resultType : null, t.result(),
                        t.to() == JobStatus.FAILED || t.to() == JobStatus.CANCELLED ? t.error() : null, t.eventData());
            });
            sql.later(c, "INSERT INTO webhook_deliveries (id, message_id, endpoint_id, account_id, job_id, event_type, payload, status, attempts, next_attempt_at, "
                    + "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)", ids.next("whd"), message, target.endpoint(), account, t.jobId(), target.type(),
                    payload, t.at(), t.at());
        }
        dialect.workDue(c);
    }

    @Override
    public void syncWorkflowEndpoint(WebhookEndpoint e, DueDelivery.SealedSecret secret) {
        sql.write(c -> {
            int n = sql.update(c, "UPDATE webhook_endpoints SET url = ?, workflow = ?, description = ?, max_concurrency = ?, updated_at = ? WHERE id = ? AND account_id = ?",
                    e.url().toString(), e.workflow(), e.description(), e.maxConcurrency(), e.updatedAt(), e.id(), WORKFLOW_ACCOUNT);
            if (n == 0) {
                sql.update(c, "INSERT INTO webhook_endpoints (id, account_id, url, workflow, description, enabled, disabled_reason, failing_since, max_concurrency, "
                                + "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)", e.id(), WORKFLOW_ACCOUNT, e.url().toString(), e.workflow(),
                        e.description(), true, e.maxConcurrency(), e.createdAt(), e.updatedAt());
            }
            subscriptions(c, e);
            sql.update(c, "DELETE FROM webhook_secrets WHERE endpoint_id = ?", e.id());
            sql.update(c, "INSERT INTO webhook_secrets (endpoint_id, id, sealed, created_at, ends_at) VALUES (?, ?, ?, ?, NULL)", secret.endpointId(), secret.id(),
                    secret.sealed(), e.updatedAt());
            return null;
        });
    }

    @Override
    public void createEndpoint(WebhookEndpoint e, DueDelivery.SealedSecret secret) {
        sql.write(c -> {
            sql.update(c, "INSERT INTO webhook_endpoints (id, account_id, url, workflow, description, enabled, disabled_reason, failing_since, max_concurrency, "
                            + "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", e.id(), e.accountId(), e.url().toString(), e.workflow(), e.description(),
                    e.enabled(), e.disabledReason(), e.failingSince(), e.maxConcurrency(), e.createdAt(), e.updatedAt());
            subscriptions(c, e);
            sql.update(c, "INSERT INTO webhook_secrets (endpoint_id, id, sealed, created_at, ends_at) VALUES (?, ?, ?, ?, NULL)", secret.endpointId(), secret.id(),
                    secret.sealed(), e.createdAt());
            return null;
        });
    }

    private void subscriptions(Connection c, WebhookEndpoint e) throws SQLException {
        sql.update(c, "DELETE FROM webhook_subscriptions WHERE endpoint_id = ?", e.id());
        List<Object[]> rows = new ArrayList<>();
        for (String type : e.events()) {
            rows.add(new Object[] {e.id(), type});
        }
        if (!rows.isEmpty()) {
            sql.batch(c, "INSERT INTO webhook_subscriptions (endpoint_id, event_type) VALUES (?, ?)", rows);
        }
    }

    @Override
    public Optional<WebhookEndpoint> endpoint(String accountId, String endpointId) {
        return sql.read(c -> endpoints(c, "e.account_id = ? AND e.id = ?", accountId, endpointId).stream().findFirst());
    }

    @Override
    public List<WebhookEndpoint> endpoints(String accountId) {
        return sql.read(c -> endpoints(c, "e.account_id = ?", accountId));
    }

    private List<WebhookEndpoint> endpoints(Connection c, String where, Object... args) throws SQLException {
        Map<String, WebhookEndpoint> out = new LinkedHashMap<>();
        List<WebhookEndpoint> rows = sql.list(c, "SELECT e.* FROM webhook_endpoints e WHERE " + where + " ORDER BY e.id", this::endpoint, args);
        if (rows.isEmpty()) {
            return rows;
        }
        Dialect.In in = dialect.in("endpoint_id", rows.stream().map(WebhookEndpoint::id).toList());
        Map<String, List<String>> events = new HashMap<>();
        sql.list(c, "SELECT endpoint_id, event_type FROM webhook_subscriptions WHERE " + in.sql(), rs -> Map.entry(rs.getString(1), rs.getString(2)), in)
                .forEach(en -> events.computeIfAbsent(en.getKey(), k -> new ArrayList<>()).add(en.getValue()));
        for (WebhookEndpoint e : rows) {
            List<String> mine = events.getOrDefault(e.id(), List.of());
            List<String> ordered = EventTypes.ALL.stream().filter(mine::contains).toList();
            out.put(e.id(), new WebhookEndpoint(e.id(), e.accountId(), e.url(), ordered, e.workflow(), e.description(), e.enabled(), e.disabledReason(),
                    e.failingSince(), e.maxConcurrency(), e.createdAt(), e.updatedAt()));
        }
        return List.copyOf(out.values());
    }

    private WebhookEndpoint endpoint(ResultSet rs) throws SQLException {
        return new WebhookEndpoint(rs.getString("id"), rs.getString("account_id"), URI.create(rs.getString("url")), List.of(), rs.getString("workflow"),
                rs.getString("description"), rs.getBoolean("enabled"), rs.getString("disabled_reason"), sql.instant(rs, "failing_since"),
                rs.getInt("max_concurrency"), sql.instant(rs, "created_at"), sql.instant(rs, "updated_at"));
    }

    @Override
    public Optional<WebhookEndpoint> updateEndpoint(WebhookEndpoint e) {
        boolean updated = sql.write(c -> {
            int n = sql.update(c, "UPDATE webhook_endpoints SET url = ?, workflow = ?, description = ?, enabled = ?, disabled_reason = ?, failing_since = ?, "
                            + "max_concurrency = ?, updated_at = ? WHERE id = ? AND account_id = ?", e.url().toString(), e.workflow(), e.description(), e.enabled(),
                    e.enabled() ? null : e.disabledReason(), e.enabled() ? null : e.failingSince(), e.maxConcurrency(), e.updatedAt(), e.id(), e.accountId());
            if (n == 0) {
                return false;
            }
            subscriptions(c, e);
            if (e.enabled()) {
                dialect.workDue(c);
            }
            return true;
        });
        return updated ? endpoint(e.accountId(), e.id()) : Optional.empty();
    }

    @Override
    public boolean deleteEndpoint(String accountId, String endpointId) {
        return sql.write(c -> {
            if (sql.update(c, "DELETE FROM webhook_endpoints WHERE id = ? AND account_id = ?", endpointId, accountId) == 0) {
                return false;
            }
            sql.update(c, "DELETE FROM webhook_subscriptions WHERE endpoint_id = ?", endpointId);
            sql.update(c, "DELETE FROM webhook_secrets WHERE endpoint_id = ?", endpointId);
            sql.update(c, "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)", endpointId);
            sql.update(c, "DELETE FROM webhook_deliveries WHERE endpoint_id = ?", endpointId);
            return true;
        });
    }

    @Override
    public void rotateSecret(DueDelivery.SealedSecret secret, Instant at, Instant oldUntil) {
        sql.write(c -> {
            sql.update(c, "UPDATE webhook_secrets SET ends_at = ? WHERE endpoint_id = ? AND (ends_at IS NULL OR ends_at > ?)", oldUntil, secret.endpointId(), oldUntil);
            sql.update(c, "INSERT INTO webhook_secrets (endpoint_id, id, sealed, created_at, ends_at) VALUES (?, ?, ?, ?, NULL)", secret.endpointId(), secret.id(),
                    secret.sealed(), at);
            return null;
        });
    }

    @Override
    public List<DueDelivery.SealedSecret> secrets(String endpointId, Instant now) {
        return sql.read(c -> secrets(c, endpointId, now));
    }

    private List<DueDelivery.SealedSecret> secrets(Connection c, String endpointId, Instant now) throws SQLException {
        return sql.list(c, "SELECT endpoint_id, id, sealed FROM webhook_secrets WHERE endpoint_id = ? AND (ends_at IS NULL OR ends_at > ?) "
                + "ORDER BY created_at DESC, id DESC", rs -> new DueDelivery.SealedSecret(rs.getString(1), rs.getString(2), rs.getString(3)), endpointId, now);
    }

    @Override
    public Delivery enqueue(String endpointId, String messageId, String eventType, String payload, Instant at) {
        String id = ids.next("whd");
        return sql.write(c -> {
            String account = sql.first(c, "SELECT account_id FROM webhook_endpoints WHERE id = ?", Sql::text, endpointId)
                    .orElseThrow(() -> new dev.mainstay.store.StoreException("no webhook endpoint " + endpointId + " to queue message " + messageId + " to"));
            sql.update(c, "INSERT INTO webhook_deliveries (id, message_id, endpoint_id, account_id, job_id, event_type, payload, status, attempts, next_attempt_at, "
                    + "created_at) VALUES (?, ?, ?, ?, NULL, ?, ?, 'pending', 0, ?, ?)", id, messageId, endpointId, account, eventType, payload, at, at);
            dialect.workDue(c);
            return new Delivery(id, messageId, endpointId, account, null, eventType, payload, Delivery.Status.PENDING, 0, at, null, null, null, null, at);
        });
    }

    @Override
    public List<DueDelivery> claimDeliveries(String owner, int max, Instant now, Instant leaseUntil) {
        if (max <= 0) {
            return List.of();
        }
        String due = "d.status = 'pending' AND d.next_attempt_at <= ? AND (d.lease_owner IS NULL OR d.lease_expires_at < ?)";
        boolean anything = sql.read(c -> sql.first(c, "SELECT EXISTS (SELECT 1 FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
                + "WHERE e.enabled = ? AND " + due + ")", rs -> rs.getBoolean(1), true, now, now).orElse(false));
        if (!anything) {
            return List.of();
        }
        return sql.write(c -> {
            List<String> endpointIds = sql.list(c, "SELECT d.endpoint_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
                    + "WHERE e.enabled = ? AND " + due + " GROUP BY d.endpoint_id ORDER BY MIN(d.next_attempt_at) LIMIT ?", Sql::text, true, now, now, CLAIM_ENDPOINTS);
            if (endpointIds.isEmpty()) {
                return List.<DueDelivery>of();
            }
            Dialect.In in = dialect.in("id", endpointIds);
            // Locked in id order before counting, in a statement of its own, so the count sees every lease committed before.
            List<WebhookEndpoint> locked = sql.list(c, "SELECT * FROM webhook_endpoints WHERE " + in.sql() + " AND enabled = ? ORDER BY id" + dialect.forUpdate(),
                    this::endpoint, in, true);
            List<DueDelivery> out = new ArrayList<>();
            for (WebhookEndpoint e : locked) {
                if (out.size() >= max) {
                    break;
                }
                int inFlight = sql.first(c, "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND lease_owner IS NOT NULL AND lease_expires_at >= ?",
                        rs -> rs.getInt(1), e.id(), now).orElse(0);
                int room = Math.min(max - out.size(), e.maxConcurrency() - inFlight);
                if (room <= 0) {
                    continue;
                }
                List<Delivery> picked = sql.list(c, "SELECT d.* FROM webhook_deliveries d WHERE d.endpoint_id = ? AND " + due
                        + " ORDER BY d.next_attempt_at, d.id LIMIT ?", this::delivery, e.id(), now, now, room);
                if (picked.isEmpty()) {
                    continue;
                }
                Dialect.In chosen = dialect.in("id", picked.stream().map(Delivery::id).toList());
                sql.update(c, "UPDATE webhook_deliveries SET lease_owner = ?, lease_expires_at = ? WHERE " + chosen.sql(), owner, leaseUntil, chosen);
                List<DueDelivery.SealedSecret> secrets = secrets(c, e.id(), now);
                for (Delivery d : picked) {
                    out.add(new DueDelivery(d, e, secrets));
                }
            }
            return out;
        });
    }

    private Delivery delivery(ResultSet rs) throws SQLException {
        return new Delivery(rs.getString("id"), rs.getString("message_id"), rs.getString("endpoint_id"), rs.getString("account_id"), rs.getString("job_id"),
                rs.getString("event_type"), rs.getString("payload"), Delivery.Status.fromWire(rs.getString("status")).orElseThrow(), rs.getInt("attempts"),
                sql.instant(rs, "next_attempt_at"), intOrNull(rs, "last_status"), rs.getString("last_error"), sql.instant(rs, "last_attempt_at"),
                sql.instant(rs, "delivered_at"), sql.instant(rs, "created_at"));
    }

    private static Integer intOrNull(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    @Override
    public boolean recordAttempt(String owner, AttemptResult r) {
        Delivery.Attempt a = r.attempt();
        String status = r.delivered() ? "delivered" : r.dead() ? "dead" : "pending";
        Instant at = a.at().plusMillis(a.durationMillis());
        return sql.write(c -> {
            Optional<String> endpoint = sql.first(c, "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_owner = NULL, "
                            + "lease_expires_at = NULL, last_status = ?, last_error = ?, last_attempt_at = ?, delivered_at = ? WHERE id = ? AND lease_owner = ? "
                            + "AND status = 'pending' RETURNING endpoint_id", Sql::text, status, a.number(), r.nextAttemptAt(), a.status(), a.error(), a.at(),
                    r.delivered() ? at : null, a.deliveryId(), owner);
            if (endpoint.isEmpty()) {
                return false;
            }
            // Numbered across replays: an attempt of a replayed round follows the earlier rounds' in the log.
            sql.update(c, "INSERT INTO webhook_attempts (delivery_id, number, at, http_status, error, duration_ms) SELECT id, earlier_attempts + ?, ?, ?, ?, ? "
                    + "FROM webhook_deliveries WHERE id = ?", a.number(), a.at(), a.status(), a.error(), a.durationMillis(), a.deliveryId());
            switch (r.endpoint()) {
                case AttemptResult.EndpointChange.Healthy h ->
                        sql.update(c, "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL", endpoint.get());
                case AttemptResult.EndpointChange.Failing f ->
                        sql.update(c, "UPDATE webhook_endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL", f.since(), endpoint.get());
                case AttemptResult.EndpointChange.Disable d ->
                        sql.update(c, "UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ? AND enabled = ?", false, d.reason(),
                                d.at(), endpoint.get(), true);
            }
            return true;
        });
    }

    @Override
    public List<Delivery> deliveries(DeliveryQuery q) {
        StringBuilder where = new StringBuilder("d.account_id = ? AND d.endpoint_id = ?");
        List<Object> args = new ArrayList<>(List.of(q.accountId(), q.endpointId()));
        Sql.and(where, args, "d.status = ?", q.status() == null ? null : q.status().wire());
        Sql.and(where, args, "d.event_type = ?", q.eventType());
        Sql.and(where, args, "d.job_id = ?", q.jobId());
        Sql.and(where, args, "d.id < ?", q.cursor());
        where.append(" ORDER BY d.id DESC LIMIT ?");
        args.add(q.limit());
        return sql.read(c -> sql.list(c, "SELECT d.* FROM webhook_deliveries d WHERE " + where, this::delivery, args.toArray()));
    }

    @Override
    public Optional<Delivery> delivery(String accountId, String deliveryId) {
        return sql.read(c -> sql.first(c, "SELECT d.* FROM webhook_deliveries d WHERE d.account_id = ? AND d.id = ?", this::delivery, accountId, deliveryId));
    }

    @Override
    public List<Delivery.Attempt> attempts(String deliveryId) {
        return sql.read(c -> sql.list(c, "SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY number", rs -> new Delivery.Attempt(
                rs.getString("delivery_id"), rs.getInt("number"), sql.instant(rs, "at"), intOrNull(rs, "http_status"), rs.getString("error"),
                rs.getLong("duration_ms")), deliveryId));
    }

    @Override
    public int replayDeliveries(String accountId, String endpointId, List<String> deliveryIds, Instant now) {
        return sql.write(c -> {
            // A replay is a fresh round of the schedule; the earlier rounds' attempts stay in the log.
            String set = "UPDATE webhook_deliveries SET status = 'pending', earlier_attempts = earlier_attempts + attempts, attempts = 0, next_attempt_at = ?, "
                    + "lease_owner = NULL, lease_expires_at = NULL "
                    + "WHERE account_id = ? AND endpoint_id = ? AND status = 'dead'";
            int n;
            if (deliveryIds.isEmpty()) {
                n = sql.update(c, set, now, accountId, endpointId);
            } else {
                Dialect.In in = dialect.in("id", deliveryIds);
                n = sql.update(c, set + " AND " + in.sql(), now, accountId, endpointId, in);
            }
            if (n > 0) {
                dialect.workDue(c);
            }
            return n;
        });
    }

    @Override
    public int recoverDeliveryLeases(String owner) {
        return sql.write(c -> sql.update(c, "UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?", owner));
    }

    @Override
    public Optional<Instant> nextDeliveryAt() {
        return sql.read(c -> sql.first(c, "SELECT MIN(d.next_attempt_at) AS due FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
                + "WHERE d.status = 'pending' AND e.enabled = ?", rs -> sql.instant(rs, "due"), true));
    }
}
