package dev.mainstay.store.jdbc;

import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Concurrency;
import dev.mainstay.store.ClaimStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Claims and leases, on any dialect. A claim is fair across accounts: every account with due jobs
 * gets an equal share of the batch (in a rotating order, so no account always goes last), capped by
 * its {@code max_concurrent_jobs} (its own, else the configured default); slots left over go round
 * again. Within an account, priority then age decide, and the id breaks ties so the order is stable.
 *
 * <p>Leases end at a shutdown ({@link #releaseLeases}) or when a node that died starts again
 * ({@link #recoverLeases}): its jobs go back to the queue and the calls they had in flight are
 * charged at their estimates.
 *
 * <p>Where several nodes claim from one database, each job is locked as it is chosen and a job
 * another node is claiming right now is passed over ({@code SKIP LOCKED}), never waited for; an
 * account with a {@code max_concurrent_jobs} has its limits row locked before its running jobs are
 * counted, so nodes claiming its jobs at once take turns, and each counts the others' committed
 * claims.
 */
final class JdbcClaims implements ClaimStore {
    private final Sql sql;
    private final Dialect dialect;
    private final JdbcLedger ledger;
    /**
     * The account served last by this node's claims; the next claim starts after it. Only the
     * writer thread touches it. Per node on purpose: fairness needs each node to rotate, not the
     * cluster to agree on one order.
     */
    private String claimCursor;

    JdbcClaims(Sql sql, Dialect dialect, JdbcLedger ledger) {
        this.sql = sql;
        this.dialect = dialect;
        this.ledger = ledger;
    }

    @Override
    public List<Job> claim(String owner, int max, Instant now, Instant leaseUntil, AccountLimits defaults) {
        if (max <= 0) {
            return List.of();
        }
        // An idle dispatcher asks often; answering "nothing" from a reader keeps the writer free.
        boolean anything = sql.read(c -> sql.first(c, "SELECT EXISTS (SELECT 1 FROM jobs WHERE status IN ('queued', 'retrying') AND next_run_at <= ?) "
                + "OR EXISTS (SELECT 1 FROM jobs WHERE lease_owner IS NOT NULL AND lease_expires_at < ? AND status IN ('processing', 'waiting_for_tool'))",
                rs -> rs.getBoolean(1), now, now).orElse(false));
        if (!anything) {
            return List.of();
        }
        return sql.write(c -> {
            Deferred.flush(c); // jobs submitted earlier in this group, and events that must precede the claims'
            List<String> ids = fairBatch(c, max, now, defaults.maxConcurrentJobs());
            if (ids.size() < max) {
                // Jobs whose node died: the lease ran out without a heartbeat.
                ids.addAll(sql.list(c, "SELECT id FROM jobs WHERE lease_owner IS NOT NULL AND lease_expires_at < ? AND status IN ('processing', 'waiting_for_tool') "
                        + "LIMIT ?" + dialect.skipLocked(), Sql::text, now, max - ids.size()));
            }
            if (ids.isEmpty()) {
                return List.<Job>of();
            }
            Map<String, Job> byId = new HashMap<>();
            for (Job j : dialect.lease(sql, c, ids, owner, now, leaseUntil)) {
                byId.put(j.id(), j);
            }
            List<Job> out = new ArrayList<>(ids.size());
            for (String id : ids) {
                Job j = byId.get(id);
                if (j != null) {
                    out.add(j);
                }
            }
            return out;
        });
    }

    private List<String> fairBatch(Connection c, int max, Instant now, Integer defaultMax) throws SQLException {
        List<String> accounts = sql.list(c, dialect.dueAccounts(), Sql::text, now);
        if (accounts.isEmpty()) {
            return new ArrayList<>();
        }
        Map<String, Integer> room = concurrencyRoom(c, accounts, defaultMax);
        accounts.sort(null);
        String after = claimCursor;
        int start = 0;
        while (start < accounts.size() && after != null && accounts.get(start).compareTo(after) <= 0) {
            start++;
        }
        List<String> order = new ArrayList<>(accounts.subList(start, accounts.size()));
        order.addAll(accounts.subList(0, start));
        List<String> ids = new ArrayList<>(max);
        Map<String, List<String>> taken = new HashMap<>();
        int share = Math.max(1, (max + order.size() - 1) / order.size());
        boolean progress = true;
        while (ids.size() < max && progress) {
            progress = false;
            for (String account : order) {
                List<String> mine = taken.computeIfAbsent(account, a -> new ArrayList<>());
                int limit = Math.min(share, Math.min(max - ids.size(), room.getOrDefault(account, Integer.MAX_VALUE) - mine.size()));
                if (limit <= 0) {
                    continue;
                }
                // Excludes the jobs taken in an earlier round by id, not by OFFSET: with row locks an
                // OFFSET would lock the rows it skips and leave them locked, unclaimed, until commit.
                Dialect.In earlier = dialect.in("id", mine);
                List<String> got = sql.list(c, "SELECT id FROM jobs WHERE account_id = ? AND status IN ('queued', 'retrying') AND next_run_at <= ? "
                        + "AND NOT (" + earlier.sql() + ") ORDER BY priority DESC, next_run_at, id LIMIT ?" + dialect.skipLocked(), Sql::text, account, now, earlier, limit);
                ids.addAll(got);
                mine.addAll(got);
                if (!got.isEmpty()) {
                    claimCursor = account;
                    progress |= got.size() == limit;
                }
                if (ids.size() >= max) {
                    break;
                }
            }
        }
        return ids;
    }

    /**
     * For accounts with a {@code max_concurrent_jobs} (their own, else {@code defaultMax} when not
     * null): how many more of their jobs may start now ({@link Concurrency#room}). Locks those
     * accounts' limits rows (in one order, so claimers never deadlock on them) before counting, in a
     * statement of its own whose snapshot sees every claim committed before the locks; under a
     * default, which has no row to lock, the dialect's turn first
     * ({@link Dialect#lockDefaultConcurrency}).
     */
    private Map<String, Integer> concurrencyRoom(Connection c, List<String> accounts, Integer defaultMax) throws SQLException {
        if (defaultMax != null) {
            // Before any limits row, as every claimer does: no two wait on each other in a circle.
            dialect.lockDefaultConcurrency(c);
        }
        Dialect.In due = dialect.in("account_id", accounts);
        Map<String, Integer> limits = Concurrency.limits(accounts, counts(c, "SELECT account_id, max_concurrent_jobs FROM account_limits WHERE " + due.sql()
                + " AND max_concurrent_jobs IS NOT NULL ORDER BY account_id" + dialect.forUpdate(), due), defaultMax);
        if (limits.isEmpty()) {
            return limits;
        }
        Dialect.In limited = dialect.in("account_id", limits.keySet());
        Map<String, Integer> running = counts(c, "SELECT account_id, COUNT(*) FROM jobs WHERE " + limited.sql() + " AND status = 'processing' GROUP BY account_id",
                limited);
        return Concurrency.room(limits, running);
    }

    /** A query's rows of (account, number). */
    private Map<String, Integer> counts(Connection c, String query, Dialect.In accounts) throws SQLException {
        Map<String, Integer> out = new HashMap<>();
        for (Map.Entry<String, Integer> row : sql.list(c, query, rs -> Map.entry(rs.getString(1), rs.getInt(2)), accounts)) {
            out.put(row.getKey(), row.getValue());
        }
        return out;
    }

    @Override
    public int extendLeases(String owner, Collection<String> jobIds, Instant leaseUntil) {
        if (jobIds.isEmpty()) {
            return 0;
        }
        return sql.write(c -> dialect.extendLeases(sql, c, owner, List.copyOf(jobIds), leaseUntil));
    }

    @Override
    public int releaseLeases(String owner, Instant now) {
        return sql.write(c -> requeue(c, List.of(owner), now, "node " + owner + " shut down").jobs());
    }

    @Override
    public Recovered recoverLeases(String node, Instant now) {
        Recovered recovered = sql.write(c -> {
            Dialect.Orphans left = dialect.orphans(node);
            Recovered r = requeue(c, left.leaseOwners(), now, "node " + node + " started and took back what an earlier run left when it stopped without handing it back");
            int charged = left.reservations().isEmpty() ? 0 : ledger.settleAll(c, dialect.in("id", left.reservations()), now);
            return new Recovered(r.jobs(), r.unknownOutcomes() + charged);
        });
        dialect.orphansRecovered();
        return recovered;
    }

    /**
     * Puts the unfinished jobs leased by {@code owners} back in the queue, due at {@code now}, with a
     * {@code requeued} event each, and settles their calls in flight at their estimates: their
     * workers are gone.
     */
    private Recovered requeue(Connection c, Collection<String> owners, Instant now, String reason) throws SQLException {
        if (owners.isEmpty()) {
            return new Recovered(0, 0);
        }
        Deferred.flush(c); // events and reservations that must precede the requeue's
        Dialect.In leased = dialect.in("lease_owner", owners);
        List<String> released = sql.list(c, "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, next_run_at = ?, updated_at = ? "
                + "WHERE " + leased.sql() + " AND status IN ('processing', 'waiting_for_tool') RETURNING id", Sql::text, now, now, leased);
        for (String id : released) {
            Transitions.event(sql, c, id, "requeued", Json.object().put("reason", reason), now);
        }
        sql.update(c, "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE " + leased.sql(), leased);
        if (released.isEmpty()) {
            return new Recovered(0, 0);
        }
        dialect.workDue(c);
        return new Recovered(released.size(), ledger.settleAll(c, dialect.in("job_id", released), now));
    }

    @Override
    public Optional<Instant> nextDueAt() {
        return sql.read(c -> sql.first(c, "SELECT MIN(next_run_at) AS due FROM jobs WHERE status IN ('queued', 'retrying')", rs -> sql.instant(rs, "due")));
    }

    @Override
    public void onWork(Runnable wake) {
        dialect.onWork(wake);
    }
}
