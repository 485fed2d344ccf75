package dev.mainstay.store.jdbc;

import dev.mainstay.limits.Admission;
import dev.mainstay.limits.Counter;
import dev.mainstay.limits.LimitHit;
import dev.mainstay.limits.TokenBucket;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Feeds {@link Admission#decide} with what it needs, read in the submit's transaction: the
 * account's failures in a row, the counters of its ceilings, and its rate buckets (locked, where
 * the database locks rows, so that submits on other nodes wait and then see what this one took).
 * Writes back the tokens an admitted submit took.
 */
final class JdbcAdmission {
    private final Sql sql;
    private final Dialect dialect;
    private final JdbcLedger ledger;

    JdbcAdmission(Sql sql, Dialect dialect, JdbcLedger ledger) {
        this.sql = sql;
        this.dialect = dialect;
        this.ledger = ledger;
    }

    /** The limit that refuses the submit, if any; when none does, the buckets' tokens are taken. */
    Optional<LimitHit> admit(Connection c, Admission admission, Instant now) throws SQLException {
        if (admission.cooldown() == null && admission.ceilings().isEmpty() && admission.buckets().isEmpty()) {
            return Optional.empty();
        }
        Admission.Health health = admission.cooldown() == null ? null
                : sql.first(c, "SELECT failures, last_failure_at FROM account_health WHERE account_id = ?",
                        rs -> new Admission.Health(rs.getInt("failures"), sql.instant(rs, "last_failure_at")), admission.cooldown().accountId()).orElse(null);
        Map<String, Counter> counters = new HashMap<>();
        for (Admission.Ceiling ceiling : admission.ceilings()) {
            counters.put(ceiling.scope(), ledger.counter(c, ceiling.scope()));
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
        for (Object[] row : sql.list(c, "SELECT key, tokens, updated_at FROM rate_buckets WHERE " + in.sql() + " ORDER BY key" + dialect.forUpdate(), rs -> {
            long tokens = rs.getLong("tokens");
            // A row made only to be locked has no tokens yet: a full bucket.
            return rs.wasNull() ? null : new Object[] {rs.getString("key"), new TokenBucket.State(tokens, sql.instant(rs, "updated_at"))};
        }, in)) {
            if (row != null) {
                states.put((String) row[0], (TokenBucket.State) row[1]);
            }
        }
        return states;
    }
}
