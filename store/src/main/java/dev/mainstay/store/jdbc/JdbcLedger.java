package dev.mainstay.store.jdbc;

import dev.mainstay.Json;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Admission;
import dev.mainstay.limits.Counter;
import dev.mainstay.limits.Hold;
import dev.mainstay.limits.LimitHit;
import dev.mainstay.limits.Reservation;
import dev.mainstay.limits.TokenBucket;
import dev.mainstay.store.AuditTrail;
import dev.mainstay.store.LedgerStore;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.UsageQuery;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * Limits and the money behind them, on any dialect: account limits, what a submit's admission reads
 * and takes, the reservation recorded before every model call (with the estimate it is charged at
 * if the call's answer never comes), the usage ledger and the counters they keep. Every counter and
 * bucket is locked (where the database locks rows) before it is read, always in key order, so that
 * two transactions never wait on each other's; {@link Admission#decide} and
 * {@link Reservation#decide} say what is allowed.
 */
final class JdbcLedger implements LedgerStore {
    /** A charge's ledger row; a charge sent twice (by two nodes at once) is recorded once. */
    static final String INSERT = "INSERT INTO usage_ledger (id, account_id, job_id, workflow, stage_id, provider, model, input_tokens, "
            + "cached_input_tokens, output_tokens, cost_micros, at, unknown_outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";
    /** Closes a charge's reservation if it is still held, answering the holds to give back; takes the state, the time and the id. */
    static final String CLOSE = "UPDATE reservations SET state = ?, closed_at = ? WHERE id = ? AND state = 'held' RETURNING holds";
    /** The state of a reservation whose call was charged at its estimate. */
    private static final String UNKNOWN_OUTCOME = "unknown_outcome";
    /** Adds to a counter's spend, creating it when new; summed per group (see {@link Deferred#sum}). */
    private static final String ADD_SPENT = "INSERT INTO budget_counters (scope, spent) VALUES (?, ?) "
            + "ON CONFLICT (scope) DO UPDATE SET spent = budget_counters.spent + excluded.spent";
    /** Reservations settled per statement when a node takes back what it left. */
    private static final int SETTLE_BATCH = 1000;

    private final Sql sql;
    private final Dialect dialect;

    JdbcLedger(Sql sql, Dialect dialect) {
        this.sql = sql;
        this.dialect = dialect;
    }

    static Object[] row(Charge ch) {
        return new Object[] {ch.id(), ch.accountId(), ch.jobId(), ch.workflow(), ch.stageId(), ch.provider(), ch.model(), ch.inputTokens(),
                ch.cachedInputTokens(), ch.outputTokens(), ch.costMicros(), ch.at(), ch.unknownOutcome()};
    }

    @Override
    public AccountLimits limits(String accountId) {
        return sql.read(c -> sql.first(c, "SELECT * FROM account_limits WHERE account_id = ?", rs -> {
            Long concurrent = Sql.longOrNull(rs, "max_concurrent_jobs");
            return new AccountLimits(Sql.longOrNull(rs, "requests_per_minute"), Sql.longOrNull(rs, "tokens_per_day"), Sql.longOrNull(rs, "cost_per_month_micros"),
                    concurrent == null ? null : concurrent.intValue());
        }, accountId).orElse(AccountLimits.NONE));
    }

    @Override
    public void setLimits(String accountId, AccountLimits limits, String actor, Instant at) {
        sql.write(c -> {
            sql.update(c, "INSERT INTO account_limits (account_id, requests_per_minute, tokens_per_day, cost_per_month_micros, max_concurrent_jobs, updated_at, updated_by) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET requests_per_minute = excluded.requests_per_minute, "
                            + "tokens_per_day = excluded.tokens_per_day, cost_per_month_micros = excluded.cost_per_month_micros, "
                            + "max_concurrent_jobs = excluded.max_concurrent_jobs, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    accountId, limits.requestsPerMinute(), limits.tokensPerDay(), limits.costPerMonthMicros(), limits.maxConcurrentJobs(), at, actor);
            sql.update(c, "INSERT INTO account_limit_changes (account_id, limits, actor, at) VALUES (?, ?, ?, ?)", accountId, limits.toJson(), actor, at);
            dialect.workDue(c); // a raised or lifted max_concurrent_jobs may let waiting jobs start
            return null;
        });
    }

    /**
     * Feeds {@link Admission#decide} with what it needs, read in the submit's transaction: the
     * account's failures in a row, the counters of its ceilings, and its rate buckets (locked, where
     * the database locks rows, so that submits on other nodes wait and then see what this one
     * took). Returns the limit that refuses the submit, if any; when none does, writes back the
     * tokens it took.
     */
    Optional<LimitHit> admit(Connection c, Admission admission, Instant now) throws SQLException {
        if (admission.cooldown() == null && admission.ceilings().isEmpty() && admission.buckets().isEmpty()) {
            return Optional.empty();
        }
        Admission.Health health = admission.cooldown() == null ? null
                : sql.first(c, "SELECT failures, last_failure_at FROM account_health WHERE account_id = ?",
                        rs -> new Admission.Health(rs.getInt("failures"), sql.instant(rs, "last_failure_at")), admission.cooldown().accountId()).orElse(null);
        Map<String, Counter> counters = new HashMap<>();
        for (Admission.Ceiling ceiling : admission.ceilings()) {
            counters.put(ceiling.scope(), counter(c, ceiling.scope()));
        }
        Map<String, TokenBucket.State> buckets = admission.buckets().isEmpty() ? Map.of() : buckets(c, admission.buckets());
        return switch (admission.decide(new Admission.Facts(health, counters, buckets), now)) {
            case Admission.Decision.Refuse refuse -> Optional.of(refuse.hit());
            case Admission.Decision.Admit admit -> {
                for (Map.Entry<String, TokenBucket.State> e : admit.taken().entrySet()) {
                    sql.update(c, "INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?) "
                                    + "ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
                            e.getKey(), e.getValue().microTokens(), e.getValue().at());
                }
                yield Optional.empty();
            }
        };
    }

    /** The buckets' states by key, locked in key order; a bucket never used is absent (full). */
    private Map<String, TokenBucket.State> buckets(Connection c, List<Admission.Bucket> buckets) throws SQLException {
        TreeSet<String> keys = new TreeSet<>();
        buckets.forEach(b -> keys.add(b.key()));
        dialect.lockable(sql, c, "rate_buckets", "key", keys);
        Dialect.In in = dialect.in("key", keys);
        Map<String, TokenBucket.State> states = new HashMap<>();
        for (Map.Entry<String, TokenBucket.State> row : sql.list(c, "SELECT key, tokens, updated_at FROM rate_buckets WHERE " + in.sql() + " ORDER BY key"
                + dialect.forUpdate(), rs -> {
            long tokens = rs.getLong("tokens");
            // A row made only to be locked has no tokens yet: a full bucket.
            return rs.wasNull() ? null : Map.entry(rs.getString("key"), new TokenBucket.State(tokens, sql.instant(rs, "updated_at")));
        }, in)) {
            if (row != null) {
                states.put(row.getKey(), row.getValue());
            }
        }
        return states;
    }

    @Override
    public Reservation.Outcome reserve(Reservation r, Charge estimate) {
        Estimates.check(r, estimate);
        return sql.write(c -> switch (r.decide(lockCounters(c, r.holds().stream().map(Hold::scope).toList()))) {
            case Reservation.Decision.Refused refused -> refused.refusal();
            case Reservation.Decision.Held held -> {
                putCounters(c, held.counters());
                var holds = Json.MAPPER.createArrayNode();
                for (Hold h : r.holds()) {
                    holds.add(Json.object().put("scope", h.scope()).put("unit", h.unit().name()).put("amount", h.amount()));
                }
                // Read back by nothing before the commit that makes it durable, which is all the caller
                // waits for: it goes out with the group's other reservations in one batch.
                sql.later(c, "INSERT INTO reservations (id, account_id, job_id, holds, state, created_at, expires_at, estimate) VALUES (?, ?, ?, ?, 'held', ?, ?, ?)",
                        r.id(), r.accountId(), r.jobId(), holds, r.at(), r.expiresAt(), Estimates.toJson(estimate));
                yield new Reservation.Outcome.Granted(r.id());
            }
        });
    }

    @Override
    public void charge(List<Charge> charges) {
        if (!charges.isEmpty()) {
            sql.write(c -> {
                record(c, charges);
                return null;
            });
        }
    }

    /** Records each charge once: its ledger row, its counters, its audit record and the release of its reservation. */
    void record(Connection c, List<Charge> charges) throws SQLException {
        for (Charge ch : charges) {
            record(c, ch, ch.at(), null, List.of());
        }
    }

    /**
     * Records one charge (its reservation closed at {@code closedAt}, as settled or, for an
     * estimate, as an unknown outcome; its ledger row once) and runs {@code update}, a
     * transition's {@code UPDATE … RETURNING account_id} when not null, in the same round trip
     * where the dialect can: the charge is recorded whether or not the job moves. Then what
     * follows the charge ({@link #recorded}).
     *
     * @return the account {@code update} answered, null when the job did not move or there was none
     */
    String record(Connection c, Charge ch, Instant closedAt, String update, List<Object> updateArgs) throws SQLException {
        Object[] close = {ch.unknownOutcome() ? UNKNOWN_OUTCOME : "settled", closedAt, ch.reservationId()};
        String combined = dialect.withLedgerRow(CLOSE, INSERT, update);
        String account;
        boolean inserted;
        String holds;
        if (combined != null) {
            // The same charge sent by two nodes at once: the second statement waits for the first
            // transaction, then finds the row and the reservation closed, and changes nothing.
            // Never empty: the statement answers one row.
            Written w = sql.first(c, combined, rs -> new Written(rs.getString(1), rs.getLong(2) == 1, rs.getString(3)),
                    Sql.concat(Sql.concat(close, Arrays.asList(row(ch))), updateArgs)).orElseThrow();
            account = w.account();
            inserted = w.inserted();
            holds = w.holds();
        } else {
            holds = ch.reservationId() == null ? null : sql.first(c, CLOSE, Sql::text, close).orElse(null);
            inserted = sql.update(c, INSERT, row(ch)) == 1;
            account = update == null ? null : sql.first(c, update, Sql::text, updateArgs.toArray()).orElse(null);
        }
        recorded(c, ch, inserted, holds);
        return account;
    }

    /** What a charge's statement answered: the account whose job moved, whether the ledger row is new, the holds given back. */
    private record Written(String account, boolean inserted, String holds) {
    }

    /**
     * What follows a charge's statement: with a new ledger row, its spend and its audit record;
     * with holds given back, their release. A charge that found its row already there may be the
     * provider's answer for a call charged at its estimate, which it then replaces.
     */
    private void recorded(Connection c, Charge ch, boolean inserted, String holds) throws SQLException {
        if (!inserted && !ch.unknownOutcome() && ch.reservationId() != null) {
            replaceEstimate(c, ch);
        }
        List<JsonNode> released = new ArrayList<>();
        if (holds != null && !holds.equals("[]")) { // most reservations hold nothing: no parse for them
            Json.parse(holds).forEach(released::add);
        }
        if (released.isEmpty()) {
            if (inserted) {
                counted(c, ch);
            }
            return;
        }
        // Holds to give back: every counter involved is locked, in scope order, before any is read.
        List<String> scopes = new ArrayList<>();
        released.forEach(h -> scopes.add(h.path("scope").asString()));
        if (inserted) {
            ch.scopes().forEach(sc -> scopes.add(sc.scope()));
        }
        Map<String, Counter> counters = lockCounters(c, scopes);
        release(counters, released);
        if (inserted) {
            for (Charge.CounterScope scope : ch.scopes()) {
                counters.compute(scope.scope(), (sc, counter) -> counter.settle(0, ch.amount(scope.unit())));
            }
            AuditLog.append(c, sql, ch.jobId(), AuditTrail.modelCalls(List.of(ch)));
        }
        putCounters(c, counters);
    }

    /**
     * What follows a new ledger row of a charge that held nothing: additions to its counters, which
     * the group sends together at its end (see {@link Deferred#sum}), and its audit record.
     */
    private void counted(Connection c, Charge ch) throws SQLException {
        for (Charge.CounterScope scope : ch.scopes()) {
            Deferred.sum(c, sql, ADD_SPENT, scope.scope(), ch.amount(scope.unit()));
        }
        AuditLog.append(c, sql, ch.jobId(), AuditTrail.modelCalls(List.of(ch)));
    }

    /**
     * The answer of a call that was charged at its estimate when its node was taken for dead (it
     * was only slow): the ledger row takes the provider's figures, the counters the difference,
     * and the audit log the call as it went. Once only: the row is then no longer an estimate.
     */
    private void replaceEstimate(Connection c, Charge ch) throws SQLException {
        Optional<String> estimate = sql.first(c, "SELECT r.estimate FROM usage_ledger l JOIN reservations r ON r.id = ? WHERE l.id = ? AND l.unknown_outcome "
                + "AND r.state = '" + UNKNOWN_OUTCOME + "' AND r.estimate IS NOT NULL" + dialect.forUpdate(), Sql::text, ch.reservationId(), ch.id());
        if (estimate.isEmpty()) {
            return;
        }
        Charge was = Estimates.fromJson(ch.reservationId(), estimate.get());
        sql.update(c, "UPDATE usage_ledger SET input_tokens = ?, cached_input_tokens = ?, output_tokens = ?, cost_micros = ?, at = ?, unknown_outcome = ? WHERE id = ?",
                ch.inputTokens(), ch.cachedInputTokens(), ch.outputTokens(), ch.costMicros(), ch.at(), false, ch.id());
        sql.update(c, "UPDATE reservations SET state = 'settled' WHERE id = ?", ch.reservationId());
        for (Charge.CounterScope scope : was.scopes()) {
            Deferred.sum(c, sql, ADD_SPENT, scope.scope(), -was.amount(scope.unit()));
        }
        for (Charge.CounterScope scope : ch.scopes()) {
            Deferred.sum(c, sql, ADD_SPENT, scope.scope(), ch.amount(scope.unit()));
        }
        AuditLog.append(c, sql, ch.jobId(), AuditTrail.modelCalls(List.of(ch)));
    }

    /**
     * Marks the reservations that are still held as closed and returns their holds; those closed
     * already (settled, or expired by another node) give nothing back, so no hold is released
     * twice. Locks the reservations' rows first, then (by the caller) the counters.
     */
    private List<JsonNode> closeReservations(Connection c, List<String> ids, String state, Instant at) throws SQLException {
        Dialect.In in = dialect.in("id", ids);
        List<JsonNode> holds = new ArrayList<>();
        for (String json : sql.list(c, "UPDATE reservations SET state = ?, closed_at = ? WHERE " + in.sql() + " AND state = 'held' RETURNING holds",
                Sql::text, state, at, in)) {
            Json.parse(json).forEach(holds::add);
        }
        return holds;
    }

    private static void release(Map<String, Counter> counters, List<JsonNode> holds) {
        for (JsonNode h : holds) {
            counters.compute(h.path("scope").asString(), (scope, counter) -> counter.release(h.path("amount").asLong()));
        }
    }

    @Override
    public int expireReservations(Instant now) {
        return sql.write(c -> settleHeld(c, "expires_at < ?", now, now));
    }

    /** Settles every held reservation of {@code which} (see {@link #settleHeld}), a batch at a time; returns how many. */
    int settleAll(Connection c, Dialect.In which, Instant now) throws SQLException {
        int settled = 0;
        int n;
        do {
            n = settleHeld(c, which.sql(), now, which);
            settled += n;
        } while (n == SETTLE_BATCH);
        return settled;
    }

    /**
     * Settles up to {@value #SETTLE_BATCH} held reservations matching {@code where} (rows another
     * transaction is closing are passed over, so nodes at it at once split the work): the calls of
     * a node that died. Each is charged at its estimate as an unknown outcome (the provider may
     * have billed the call); one from before estimates were kept is only released. Returns how many.
     */
    private int settleHeld(Connection c, String where, Instant now, Object... args) throws SQLException {
        Deferred.flush(c); // reservations taken earlier in this group
        List<String> plain = new ArrayList<>();
        List<Charge> estimates = new ArrayList<>();
        List<String> held = new ArrayList<>();
        for (String[] r : sql.list(c, "SELECT id, estimate, holds FROM reservations WHERE state = 'held' AND " + where + " ORDER BY id LIMIT " + SETTLE_BATCH
                + dialect.skipLocked(), rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}, args)) {
            if (r[1] == null) {
                plain.add(r[0]);
                continue;
            }
            Charge estimate = Estimates.fromJson(r[0], r[1]);
            estimates.add(estimate);
            List<String> scopes = new ArrayList<>();
            Json.parse(r[2]).forEach(h -> scopes.add(h.path("scope").asString()));
            if (!scopes.isEmpty()) {
                held.addAll(scopes);
                estimate.scopes().forEach(sc -> held.add(sc.scope()));
            }
        }
        // Every counter these settlements read is locked at once, in scope order, so that settling
        // them one by one never takes one out of order.
        lockCounters(c, held);
        for (Charge estimate : estimates) {
            record(c, estimate, now, null, List.of());
        }
        if (!plain.isEmpty()) {
            List<JsonNode> released = closeReservations(c, plain, "expired", now);
            Map<String, Counter> counters = lockCounters(c, released.stream().map(h -> h.path("scope").asString()).toList());
            release(counters, released);
            putCounters(c, counters);
        }
        return plain.size() + estimates.size();
    }

    /**
     * The counters of {@code scopes}, locked until the transaction ends where the database locks
     * rows (in scope order, so that two transactions never wait on each other's); a counter never
     * written reads as zero.
     */
    private Map<String, Counter> lockCounters(Connection c, Collection<String> scopes) throws SQLException {
        TreeSet<String> sorted = new TreeSet<>(scopes);
        Map<String, Counter> counters = new TreeMap<>();
        if (sorted.isEmpty()) {
            return counters;
        }
        dialect.lockable(sql, c, "budget_counters", "scope", sorted);
        Dialect.In in = dialect.in("scope", sorted);
        sorted.forEach(scope -> counters.put(scope, Counter.ZERO));
        for (Map.Entry<String, Counter> row : sql.list(c, "SELECT scope, spent, reserved FROM budget_counters WHERE " + in.sql() + " ORDER BY scope"
                + dialect.forUpdate(), rs -> Map.entry(rs.getString(1), new Counter(rs.getLong(2), rs.getLong(3))), in)) {
            counters.put(row.getKey(), row.getValue());
        }
        return counters;
    }

    private void putCounters(Connection c, Map<String, Counter> counters) throws SQLException {
        if (counters.isEmpty()) {
            return;
        }
        List<Object[]> rows = new ArrayList<>();
        counters.forEach((scope, counter) -> rows.add(new Object[] {scope, counter.spent(), counter.reserved()}));
        sql.batch(c, "INSERT INTO budget_counters (scope, spent, reserved) VALUES (?, ?, ?) "
                + "ON CONFLICT (scope) DO UPDATE SET spent = excluded.spent, reserved = excluded.reserved", rows);
    }

    @Override
    public Counter counter(String scope) {
        return sql.read(c -> counter(c, scope));
    }

    /** A counter as committed, without a lock: what admission compares with its ceilings. */
    Counter counter(Connection c, String scope) throws SQLException {
        return sql.first(c, "SELECT spent, reserved FROM budget_counters WHERE scope = ?", rs -> new Counter(rs.getLong(1), rs.getLong(2)), scope)
                .orElse(Counter.ZERO);
    }

    @Override
    public List<UsageQuery.Row> usage(UsageQuery q) {
        String key = switch (q.groupBy()) {
            case DAY -> dialect.utcDay("at");
            case WORKFLOW -> "workflow";
            case MODEL -> "provider || '/' || model";
            case ACCOUNT -> "account_id";
        };
        String select = "SELECT " + dialect.bytewise(key) + " AS k, COUNT(*), SUM(input_tokens), SUM(cached_input_tokens), SUM(output_tokens), SUM(cost_micros), "
                + "COUNT(CASE WHEN unknown_outcome THEN 1 END), COALESCE(SUM(CASE WHEN unknown_outcome THEN cost_micros END), 0) "
                + "FROM usage_ledger WHERE at >= ? AND at < ?" + (q.accountId() == null ? "" : " AND account_id = ?")
                + (q.workflow() == null ? "" : " AND workflow = ?") + " GROUP BY k ORDER BY k";
        Sql.Row<UsageQuery.Row> row = rs -> new UsageQuery.Row(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6),
                rs.getLong(7), rs.getLong(8));
        List<Object> args = new ArrayList<>(List.of(q.from(), q.to()));
        if (q.accountId() != null) {
            args.add(q.accountId());
        }
        if (q.workflow() != null) {
            args.add(q.workflow());
        }
        return sql.read(c -> sql.list(c, select, row, args.toArray()));
    }
}
