package dev.mainstay.store.sqlite;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.tool.ToolCall;
import dev.mainstay.tool.ToolScope;
import dev.mainstay.audit.AuditCheck;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import dev.mainstay.audit.AuditTrail;
import dev.mainstay.store.jdbc.AuditLog;
import dev.mainstay.store.jdbc.Estimates;
import dev.mainstay.store.jdbc.Deferred;
import dev.mainstay.store.jdbc.StatementCache;
import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.JobTransition;
import dev.mainstay.job.NewJob;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.SubmitOutcome;
import dev.mainstay.job.Usage;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Admission;
import dev.mainstay.limits.Counter;
import dev.mainstay.limits.Hold;
import dev.mainstay.limits.LimitHit;
import dev.mainstay.limits.Reservation;
import dev.mainstay.limits.TokenBucket;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.UsageQuery;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoreException;
import dev.mainstay.store.jdbc.GroupCommitter;
import dev.mainstay.store.jdbc.WorkSignal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import tools.jackson.databind.JsonNode;

/**
 * The embedded default store: one SQLite file in WAL mode. All writes go through one
 * {@link GroupCommitter}; reads use a small pool of read connections that see every committed
 * write. {@code synchronous=FULL} by default, so a commit survives power loss, not just a crash.
 */
public final class SqliteStore implements Store {
    /** How durable a commit is. {@code FULL} survives power loss; {@code NORMAL} survives a process crash. */
    public enum Durability { FULL, NORMAL }

    private static final int READERS = 4;
    /**
     * The terminal statuses, spelled exactly as the partial index {@code jobs_unfinished} (V1) spells
     * them: SQLite uses a partial index only for a term identical to the index's, and without it
     * every admission check counts the whole jobs table.
     */
    static final String TERMINAL = "'completed', 'partially_completed', 'degraded', 'failed', 'cancelled'";
    /** Failures that say the model side is in trouble, as opposed to the request or a person. */
    private static final Set<ErrorCode> UPSTREAM = EnumSet.of(ErrorCode.PROVIDER_TIMEOUT, ErrorCode.PROVIDER_UNAVAILABLE, ErrorCode.PROVIDER_RATE_LIMITED,
            ErrorCode.PROVIDER_REJECTED, ErrorCode.INVALID_MODEL_OUTPUT, ErrorCode.TOOL_FAILED);
    private static final String JOB_COLUMNS = "j.*, p.body AS input_body";

    private final GroupCommitter writer;
    private final BlockingQueue<Connection> readers;
    private final Path file;
    /** The account served last by a claim; the next claim starts after it. Only the writer touches it. */
    private String claimCursor;
    private final WorkSignal work = new WorkSignal();
    private final Checkpointer checkpointer;
    private final ProcessLock lock;
    /**
     * What earlier runs left when the store was opened: the lease owners, and the last reservation
     * then recorded. With the process lock held, none of it can belong to a live process. Taken
     * back by {@link #recoverLeases}; only the writer touches them.
     */
    private Set<String> orphanOwners;
    private long orphanReservationsUpTo;

    private SqliteStore(Path file, GroupCommitter writer, BlockingQueue<Connection> readers, Checkpointer checkpointer, ProcessLock lock,
                        Set<String> orphanOwners, long orphanReservationsUpTo) {
        this.file = file;
        this.writer = writer;
        this.readers = readers;
        this.checkpointer = checkpointer;
        this.lock = lock;
        this.orphanOwners = orphanOwners;
        this.orphanReservationsUpTo = orphanReservationsUpTo;
    }

    /**
     * Opens (creating and migrating when needed) the database at {@code file}, for this process
     * alone until {@link #close()}.
     *
     * @throws StoreException when another process has the database open (see {@link ProcessLock})
     */
    public static SqliteStore open(Path file, Durability durability) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new StoreException("cannot create the data directory for " + file + ": " + e.getMessage(), e);
        }
        ProcessLock lock = ProcessLock.take(file);
        try {
            return open(file, durability, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static SqliteStore open(Path file, Durability durability, ProcessLock lock) {
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(durability == Durability.FULL ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(10_000);
        config.enforceForeignKeys(true);
        config.setTempStore(SQLiteConfig.TempStore.MEMORY);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl(url);
        SQLiteConfig readConfig = new SQLiteConfig(config.toProperties());
        readConfig.setReadOnly(true);
        SQLiteDataSource readDs = new SQLiteDataSource(readConfig);
        readDs.setUrl(url);
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration/sqlite")
                    .loggers("slf4j")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            throw new StoreException("cannot migrate the database " + file + ": " + e.getMessage(), e);
        }
        try {
            Connection writes = ds.getConnection();
            try (Statement s = writes.createStatement()) {
                s.execute("PRAGMA wal_autocheckpoint = 0"); // the checkpointer's job, off the writer's commits
            }
            Set<String> owners = new java.util.HashSet<>();
            long reservations;
            try (Statement s = writes.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT DISTINCT lease_owner FROM jobs WHERE lease_owner IS NOT NULL")) {
                    while (rs.next()) {
                        owners.add(rs.getString(1));
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(rowid), 0) FROM reservations")) {
                    rs.next();
                    reservations = rs.getLong(1);
                }
            }
            Checkpointer checkpointer = new Checkpointer(ds.getConnection());
            GroupCommitter writer = new GroupCommitter("sqlite", GroupCommitter.Connections.dedicated(writes), GroupCommitter.DEFAULT_MAX_BATCH,
                    StatementCache.savepoints());
            BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);
            for (int i = 0; i < READERS; i++) {
                readers.add(readDs.getConnection());
            }
            return new SqliteStore(file, writer, readers, checkpointer, lock, owners, reservations);
        } catch (SQLException e) {
            throw new StoreException("cannot open the database " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    // ---- plumbing ------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Read<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T read(Read<T> work) {
        Connection c;
        try {
            c = readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a read connection", e);
        }
        try {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException("read failed: " + e.getMessage(), e);
        } finally {
            readers.add(c);
        }
    }

    private <T> T write(GroupCommitter.Work<T> work) {
        return writer.execute(work);
    }

    private static void bind(PreparedStatement ps, Object... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            switch (v) {
                case null -> ps.setNull(i + 1, Types.NULL);
                case Instant t -> ps.setLong(i + 1, t.toEpochMilli());
                case Boolean b -> ps.setInt(i + 1, b ? 1 : 0);
                case Integer n -> ps.setInt(i + 1, n);
                case Long n -> ps.setLong(i + 1, n);
                case JsonNode n -> ps.setString(i + 1, Json.write(n));
                default -> ps.setString(i + 1, v.toString());
            }
        }
    }

    /** Statements of this dialect for {@link Deferred}: compiled once per connection. */
    private static final Deferred.Statements STATEMENTS = new Deferred.Statements() {
        @Override
        public PreparedStatement prepare(Connection c, String sql) throws SQLException {
            return StatementCache.prepared(c, sql);
        }

        @Override
        public void done(PreparedStatement ps) {
            // kept for the next time
        }

        @Override
        public void bind(PreparedStatement ps, Object... values) throws SQLException {
            SqliteStore.bind(ps, values);
        }
    };

    /** Runs {@code sql} before the group commits, with the group's other rows of it (see {@link Deferred}). */
    private static void later(Connection c, String sql, Object... values) throws SQLException {
        Deferred.update(c, STATEMENTS, sql, values);
    }

    private static int update(Connection c, String sql, Object... values) throws SQLException {
        PreparedStatement ps = StatementCache.prepared(c, sql);
        bind(ps, values);
        return ps.executeUpdate();
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private static JsonNode json(ResultSet rs, String column) throws SQLException {
        String v = rs.getString(column);
        return v == null ? null : Json.parse(v);
    }

    // ---- workflows -----------------------------------------------------------------------------

    @Override
    public String registerWorkflowVersion(String name, int version, String contentHash, String definition, Instant at) {
        return write(c -> {
            update(c, "INSERT INTO workflow_versions (name, version, content_hash, definition, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, version) DO NOTHING",
                    name, version, contentHash, definition, at);
            PreparedStatement ps = StatementCache.prepared(c, "SELECT content_hash FROM workflow_versions WHERE name = ? AND version = ?");
            bind(ps, name, version);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        });
    }

    @Override
    public Optional<String> workflowDefinition(String name, int version) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT definition FROM workflow_versions WHERE name = ? AND version = ?");
            bind(ps, name, version);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        });
    }

    // ---- accounts ------------------------------------------------------------------------------

    @Override
    public void createAccount(Account account) {
        write(c -> update(c, "INSERT INTO accounts (id, name, plan, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                account.id(), account.name(), account.plan(), account.createdAt()));
    }

    @Override
    public Optional<Account> account(String id) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT * FROM accounts WHERE id = ?");
            bind(ps, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? Optional.of(new Account(rs.getString("id"), rs.getString("name"), rs.getString("plan"), instant(rs, "created_at")))
                        : Optional.empty();
            }
        });
    }

    @Override
    public boolean addApiKey(ApiKey key) {
        return write(c -> update(c, "INSERT INTO api_keys (id, account_id, key_hash, prefix, roles, admin, created_at, name, expires_at, revoked_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_hash) DO NOTHING",
                key.id(), key.accountId(), key.hash(), key.prefix(), String.join(",", key.roles()), key.admin(), key.createdAt(),
                key.name(), key.expiresAt(), key.revokedAt()) == 1);
    }

    @Override
    public Optional<ApiKey> apiKeyByHash(String keyHash) {
        return read(c -> apiKey(c, "key_hash = ?", keyHash));
    }

    @Override
    public List<ApiKey> apiKeys(String accountId) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id");
            bind(ps, accountId);
            List<ApiKey> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(apiKey(rs));
                }
            }
            return out;
        });
    }

    @Override
    public Optional<ApiKey> revokeApiKey(String accountId, String keyId, Instant at) {
        return write(c -> {
            update(c, "UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at IS NULL", at, accountId, keyId);
            return apiKey(c, "account_id = ? AND id = ?", accountId, keyId);
        });
    }

    private static Optional<ApiKey> apiKey(Connection c, String where, Object... values) throws SQLException {
        PreparedStatement ps = StatementCache.prepared(c, "SELECT * FROM api_keys WHERE " + where);
        bind(ps, values);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(apiKey(rs)) : Optional.empty();
        }
    }

    private static ApiKey apiKey(ResultSet rs) throws SQLException {
        String roles = rs.getString("roles");
        Set<String> roleSet = roles.isEmpty() ? Set.of() : Set.copyOf(Arrays.asList(roles.split(",")));
        return new ApiKey(rs.getString("id"), rs.getString("account_id"), rs.getString("key_hash"), rs.getString("prefix"), roleSet,
                rs.getInt("admin") == 1, instant(rs, "created_at"), rs.getString("name"), instant(rs, "expires_at"), instant(rs, "revoked_at"));
    }

    @Override
    public Optional<Principal> principalForKeyHash(String keyHash) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT id, account_id, roles, admin FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL");
            bind(ps, keyHash);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String roles = rs.getString("roles");
                Set<String> roleSet = roles.isEmpty() ? Set.of() : Set.copyOf(Arrays.asList(roles.split(",")));
                return Optional.of(new Principal(rs.getString("account_id"), rs.getString("id"), roleSet, rs.getInt("admin") == 1));
            }
        });
    }

    // ---- jobs: writes --------------------------------------------------------------------------

    @Override
    public SubmitOutcome submit(NewJob job, Admission admission) {
        SubmitOutcome outcome = write(c -> {
            // One writer: a look-up followed by an insert cannot race another submit.
            if (job.idempotencyKey() != null) {
                PreparedStatement ps = StatementCache.prepared(c, "SELECT request_hash, job_id FROM idempotency_keys WHERE account_id = ? AND key = ?");
                bind(ps, job.accountId(), job.idempotencyKey());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        String existing = rs.getString("job_id");
                        if (!rs.getString("request_hash").equals(job.requestHash())) {
                            return new SubmitOutcome.Conflict(existing);
                        }
                        Deferred.flush(c); // the job may have been submitted earlier in this group
                        return new SubmitOutcome.Existing(loadJob(c, existing).orElseThrow(() ->
                                new StoreException("idempotency key " + job.idempotencyKey() + " points at missing job " + existing + ". Indicates a bug.")));
                    }
                }
            }
            Optional<LimitHit> refused = admit(c, admission, job.createdAt());
            if (refused.isPresent()) {
                return new SubmitOutcome.Refused(refused.get());
            }
            if (job.idempotencyKey() != null) {
                update(c, "INSERT INTO idempotency_keys (account_id, key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?)",
                        job.accountId(), job.idempotencyKey(), job.requestHash(), job.id(), job.createdAt());
            }
            String input = Json.canonical(job.input());
            later(c, "INSERT INTO payloads (hash, body) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING", job.inputHash(), input);
            later(c, "INSERT INTO jobs (id, account_id, workflow, workflow_version, status, input_hash, priority, next_run_at, idempotency_key, created_at, updated_at, deadline_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    job.id(), job.accountId(), job.workflow(), job.workflowVersion(), JobStatus.QUEUED.wire(), job.inputHash(), job.priority(),
                    job.createdAt(), job.idempotencyKey(), job.createdAt(), job.createdAt(), job.deadlineAt());
            event(c, job.id(), "submitted", null, job.createdAt());
            AuditLog.append(c, AuditLog.Dialect.SQLITE, job.id(), job.audit());
            return new SubmitOutcome.Created(job.queued());
        });
        if (outcome instanceof SubmitOutcome.Created) {
            work.fire();
        }
        return outcome;
    }

    /** Checks every limit of the admission; takes the rate tokens only when all pass. */
    private static Optional<LimitHit> admit(Connection c, Admission admission, Instant now) throws SQLException {
        Admission.Cooldown cooldown = admission.cooldown();
        if (cooldown != null) {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT failures, last_failure_at FROM account_health WHERE account_id = ?");
            bind(ps, cooldown.accountId());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getInt("failures") >= cooldown.failures()) {
                    Instant until = instant(rs, "last_failure_at").plus(cooldown.duration());
                    if (now.isBefore(until)) {
                        return Optional.of(new LimitHit(ErrorCode.RATE_LIMITED, "failure_cooldown", "account " + cooldown.accountId(),
                                "the last " + rs.getInt("failures") + " jobs of account " + cooldown.accountId() + " failed upstream; new jobs are refused until "
                                        + until + " so a failing provider is not hammered", Optional.of(Duration.between(now, until))));
                    }
                }
            }
        }
        for (Admission.Ceiling ceiling : admission.ceilings()) {
            // The decision is the limits policy's; the store only feeds it the counter.
            Optional<LimitHit> hit = ceiling.refusal(counter(c, ceiling.scope()), now);
            if (hit.isPresent()) {
                return hit;
            }
        }
        List<TokenBucket.State> taken = new ArrayList<>();
        for (Admission.Bucket bucket : admission.buckets()) {
            TokenBucket.State state = null;
            PreparedStatement ps = StatementCache.prepared(c, "SELECT tokens, updated_at FROM rate_buckets WHERE key = ?");
            bind(ps, bucket.key());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    state = new TokenBucket.State(rs.getLong("tokens"), instant(rs, "updated_at"));
                }
            }
            switch (TokenBucket.take(state, bucket.capacity(), bucket.period(), now)) {
                case TokenBucket.Take.Taken t -> taken.add(t.state());
                case TokenBucket.Take.Wait w -> {
                    return Optional.of(new LimitHit(ErrorCode.RATE_LIMITED, bucket.limit(), bucket.scope(),
                            bucket.scope() + " may submit " + bucket.capacity() + " requests per " + describe(bucket.period()) + "; retry in " + w.after().toMillis() + " ms",
                            Optional.of(w.after())));
                }
            }
        }
        for (int i = 0; i < taken.size(); i++) {
            update(c, "INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
                    admission.buckets().get(i).key(), taken.get(i).microTokens(), taken.get(i).at());
        }
        return Optional.empty();
    }

    private static String describe(Duration period) {
        return period.equals(Duration.ofMinutes(1)) ? "minute" : period.toMillis() + " ms";
    }

    @Override
    public List<Job> claim(String owner, int max, Instant now, Instant leaseUntil, AccountLimits defaults) {
        // An idle dispatcher asks often; answering "nothing" from a reader keeps the writer free.
        boolean anything = read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT EXISTS (SELECT 1 FROM jobs WHERE status IN ('queued', 'retrying') AND next_run_at <= ?) "
                    + "OR EXISTS (SELECT 1 FROM jobs WHERE lease_owner IS NOT NULL AND lease_expires_at < ? AND status IN ('processing', 'waiting_for_tool'))");
            bind(ps, now, now);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) == 1;
            }
        });
        if (!anything) {
            return List.of();
        }
        return write(c -> {
            Deferred.flush(c); // jobs submitted earlier in this group, and events that must precede the claims'
            List<String> ids = fairBatch(c, max, now, defaults.maxConcurrentJobs());
            if (ids.size() < max) {
                // Jobs whose node died: the lease ran out without a heartbeat.
                PreparedStatement ps = StatementCache.prepared(c, "SELECT id FROM jobs WHERE lease_owner IS NOT NULL AND lease_expires_at < ? AND status IN ('processing', 'waiting_for_tool') LIMIT ?");
                bind(ps, now, max - ids.size());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            if (ids.isEmpty()) {
                return List.of();
            }
            String in = ids.stream().map(id -> "?").collect(Collectors.joining(", "));
            Object[] args = new Object[4 + ids.size()];
            args[0] = owner;
            args[1] = leaseUntil;
            args[2] = now;
            args[3] = now;
            for (int i = 0; i < ids.size(); i++) {
                args[4 + i] = ids.get(i);
            }
            update(c, "UPDATE jobs SET status = 'processing', lease_owner = ?, lease_expires_at = ?, started_at = COALESCE(started_at, ?), updated_at = ? WHERE id IN (" + in + ")", args);
            PreparedStatement ps = StatementCache.prepared(c, "INSERT INTO job_events (job_id, type, data, at) VALUES (?, 'processing', ?, ?)");
            String data = Json.write(Json.object().put("node", owner));
            for (String id : ids) {
                bind(ps, id, data, now);
                ps.addBatch();
            }
            ps.executeBatch();
            return loadJobs(c, "j.id IN (" + in + ")", ids.toArray());
        });
    }

    /**
     * Picks due jobs fairly: every account with due jobs gets an equal share of the batch (in a
     * rotating order, so no account always goes last), capped by its {@code max_concurrent_jobs}
     * (its own, else {@code defaultMax} when not null); slots left over go round again. Within an
     * account, priority then age decide.
     */
    private List<String> fairBatch(Connection c, int max, Instant now, Integer defaultMax) throws SQLException {
        List<String> accounts = new ArrayList<>();
        PreparedStatement due = StatementCache.prepared(c, "SELECT DISTINCT account_id FROM jobs WHERE status IN ('queued', 'retrying') AND next_run_at <= ?");
        bind(due, now);
        try (ResultSet rs = due.executeQuery()) {
            while (rs.next()) {
                accounts.add(rs.getString(1));
            }
        }
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
        Map<String, Integer> taken = new HashMap<>();
        int share = Math.max(1, (max + order.size() - 1) / order.size());
        boolean progress = true;
        while (ids.size() < max && progress) {
            progress = false;
            for (String account : order) {
                int limit = Math.min(share, Math.min(max - ids.size(), room.getOrDefault(account, Integer.MAX_VALUE) - taken.getOrDefault(account, 0)));
                if (limit <= 0) {
                    continue;
                }
                int before = ids.size();
                PreparedStatement ps = StatementCache.prepared(c, "SELECT id FROM jobs WHERE account_id = ? AND status IN ('queued', 'retrying') AND next_run_at <= ? "
                        + "ORDER BY priority DESC, next_run_at, id LIMIT ? OFFSET ?");
                bind(ps, account, now, limit, taken.getOrDefault(account, 0));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
                int got = ids.size() - before;
                if (got > 0) {
                    taken.merge(account, got, Integer::sum);
                    claimCursor = account;
                    progress |= got == limit;
                }
                if (ids.size() >= max) {
                    break;
                }
            }
        }
        return ids;
    }

    /**
     * For accounts with a {@code max_concurrent_jobs} (their own, else {@code defaultMax}): how many
     * more of their jobs may start now.
     */
    private static Map<String, Integer> concurrencyRoom(Connection c, List<String> accounts, Integer defaultMax) throws SQLException {
        Map<String, Integer> room = new HashMap<>();
        PreparedStatement limited = StatementCache.prepared(c, "SELECT account_id, max_concurrent_jobs FROM account_limits WHERE max_concurrent_jobs IS NOT NULL");
        try (ResultSet rs = limited.executeQuery()) {
            while (rs.next()) {
                room.put(rs.getString(1), rs.getInt(2));
            }
        }
        room.keySet().retainAll(accounts);
        if (defaultMax != null) {
            for (String account : accounts) {
                room.putIfAbsent(account, defaultMax);
            }
        }
        for (Map.Entry<String, Integer> e : room.entrySet()) {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT COUNT(*) FROM jobs WHERE account_id = ? AND status = 'processing'");
            bind(ps, e.getKey());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                e.setValue(Math.max(0, e.getValue() - rs.getInt(1)));
            }
        }
        return room;
    }

    @Override
    public int extendLeases(String owner, Collection<String> jobIds, Instant leaseUntil) {
        if (jobIds.isEmpty()) {
            return 0;
        }
        return write(c -> {
            int held = 0;
            List<String> all = List.copyOf(jobIds);
            for (int from = 0; from < all.size(); from += 500) {
                List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
                String in = chunk.stream().map(id -> "?").collect(Collectors.joining(", "));
                Object[] args = new Object[2 + chunk.size()];
                args[0] = leaseUntil;
                args[1] = owner;
                for (int i = 0; i < chunk.size(); i++) {
                    args[2 + i] = chunk.get(i);
                }
                held += update(c, "UPDATE jobs SET lease_expires_at = ? WHERE lease_owner = ? AND id IN (" + in + ")", args);
            }
            return held;
        });
    }

    @Override
    public int releaseLeases(String owner, Instant now) {
        int released = write(c -> requeue(c, Set.of(owner), now, "node " + owner + " shut down").jobs());
        if (released > 0) {
            work.fire();
        }
        return released;
    }

    @Override
    public Recovered recoverLeases(String node, Instant now) {
        // The process lock says no one else runs on this file: whatever was leased when it was
        // opened, under any name, was left by a run that is over.
        Recovered recovered = write(c -> {
            Recovered r = requeue(c, orphanOwners, now, "node " + node + " started and took back what an earlier run left when it stopped without handing it back");
            int more = r.unknownOutcomes();
            int n;
            do {
                n = settleHeld(c, "rowid <= ?", now, orphanReservationsUpTo);
                more += n;
            } while (n == 1000);
            orphanOwners = Set.of();
            orphanReservationsUpTo = 0;
            return new Recovered(r.jobs(), more);
        });
        if (recovered.jobs() > 0) {
            work.fire();
        }
        return recovered;
    }

    /**
     * Puts the unfinished jobs leased by {@code owners} back in the queue, due at {@code now}, and
     * settles their calls in flight at their estimates: their workers are gone.
     */
    private static Recovered requeue(Connection c, Set<String> owners, Instant now, String reason) throws SQLException {
        Deferred.flush(c); // reservations and events handed in earlier in this group
        List<String> ids = new ArrayList<>();
        int charged = 0;
        for (String owner : owners) {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT id FROM jobs WHERE lease_owner = ? AND status IN ('processing', 'waiting_for_tool')");
            bind(ps, owner);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            update(c, "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ? AND status NOT IN ('processing', 'waiting_for_tool')", owner);
        }
        for (String id : ids) {
            update(c, "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, next_run_at = ?, updated_at = ? WHERE id = ?", now, now, id);
            event(c, id, "requeued", Json.object().put("reason", reason), now);
            charged += settleHeld(c, "job_id = ?", now, id);
        }
        return new Recovered(ids.size(), charged);
    }

    @Override
    public boolean apply(JobTransition t) {
        boolean applied = write(c -> applyIn(c, t));
        if (applied && WorkSignal.makesDue(t)) {
            work.fire();
        }
        return applied;
    }

    private static boolean applyIn(Connection c, JobTransition t) throws SQLException {
        // The calls were made whether or not the job is still ours: record what they cost first.
        chargeIn(c, t.charges());
        List<String> sets = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        sets.add("status = ?");
        args.add(t.to().wire());
        sets.add("updated_at = ?");
        args.add(t.at());
        if (t.currentStage() != null) {
            sets.add("current_stage = ?");
            args.add(t.currentStage());
        }
        if (t.stageAttempts() != null) {
            sets.add("stage_attempts = ?");
            args.add(t.stageAttempts());
        }
        if (t.result() != null) {
            sets.add("result = ?");
            args.add(t.result());
        }
        if (t.resultType() != null) {
            sets.add("result_type = ?");
            args.add(t.resultType().wire());
        }
        if (t.error() != null) {
            sets.add("error_code = ?");
            args.add(t.error().code().code());
            sets.add("error_message = ?");
            args.add(t.error().message());
            sets.add("error_retryable = ?");
            args.add(t.error().retryable());
        } else if (t.clearError()) {
            sets.add("error_code = NULL");
            sets.add("error_message = NULL");
            sets.add("error_retryable = NULL");
            sets.add("retry_at = NULL");
        }
        if (t.nextRunAt() != null) {
            sets.add("next_run_at = ?");
            args.add(t.nextRunAt());
        }
        if (t.retryAt() != null) {
            sets.add("retry_at = ?");
            args.add(t.retryAt());
        }
        if (t.provenance() != null) {
            sets.add("provenance = ?");
            args.add(t.provenance().toJson());
        }
        if (t.usageDelta() != null) {
            sets.add("input_tokens = input_tokens + ?");
            args.add(t.usageDelta().inputTokens());
            sets.add("output_tokens = output_tokens + ?");
            args.add(t.usageDelta().outputTokens());
            sets.add("cost_micros = cost_micros + ?");
            args.add(t.usageDelta().costMicros());
        }
        if (t.deadLetter() != null) {
            sets.add("dead_letter = ?");
            args.add(t.deadLetter());
        }
        if (t.releaseLease()) {
            sets.add("lease_owner = NULL");
            sets.add("lease_expires_at = NULL");
        }
        if (t.completedAt() != null) {
            sets.add("completed_at = ?");
            args.add(t.completedAt());
        } else if (!t.to().isTerminal()) {
            sets.add("completed_at = NULL"); // a replayed job is unfinished again
        }
        if (t.deadlineAt() != null) {
            sets.add("deadline_at = ?");
            args.add(t.deadlineAt());
        }
        String from = t.from().stream().map(s -> "'" + s.wire() + "'").collect(Collectors.joining(", "));
        StringBuilder sql = new StringBuilder("UPDATE jobs SET ").append(String.join(", ", sets))
                .append(" WHERE id = ? AND status IN (").append(from).append(")");
        args.add(t.jobId());
        if (t.leaseOwner() != null) {
            sql.append(" AND lease_owner = ?");
            args.add(t.leaseOwner());
        }
        if (update(c, sql.toString(), args.toArray()) == 0) {
            return false;
        }
        if (t.stageRun() != null) {
            StageRun r = t.stageRun();
            Usage u = r.usage() == null ? Usage.ZERO : r.usage();
            JobError e = r.error();
            later(c, "INSERT INTO job_stages (job_id, stage_index, stage_id, status, output, attempts, provenance, input_tokens, output_tokens, cost_micros, "
                            + "error_code, error_message, error_retryable, started_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                            + "ON CONFLICT (job_id, stage_index) DO UPDATE SET status = excluded.status, output = excluded.output, attempts = excluded.attempts, "
                            + "provenance = excluded.provenance, input_tokens = job_stages.input_tokens + excluded.input_tokens, "
                            + "output_tokens = job_stages.output_tokens + excluded.output_tokens, cost_micros = job_stages.cost_micros + excluded.cost_micros, "
                            + "error_code = excluded.error_code, error_message = excluded.error_message, error_retryable = excluded.error_retryable, "
                            + "started_at = excluded.started_at, completed_at = excluded.completed_at",
                    r.jobId(), r.index(), r.stageId(), r.status(), r.output(), r.attempts(), r.provenance() == null ? null : r.provenance().toJson(),
                    u.inputTokens(), u.outputTokens(), u.costMicros(), e == null ? null : e.code().code(), e == null ? null : e.message(),
                    e == null ? null : e.retryable(), r.startedAt(), r.completedAt());
        }
        if (t.review() != null) {
            Review r = t.review();
            update(c, "INSERT INTO reviews (id, job_id, account_id, workflow, stage_index, stage_id, reason, proposed, provenance, status, on_expiry, created_at, expires_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    r.id(), r.jobId(), r.accountId(), r.workflow(), r.stageIndex(), r.stageId(), r.reason(), r.proposed(),
                    r.provenance() == null ? null : r.provenance().toJson(), Review.Status.PENDING.wire(), r.onExpiry().wire(), r.createdAt(), r.expiresAt());
        }
        event(c, t.jobId(), t.eventType(), t.eventData(), t.at());
        if (t.stageRun() != null || !t.audit().isEmpty()) {
            AuditLog.append(c, AuditLog.Dialect.SQLITE, t.jobId(), AuditTrail.ofTransition(t, accountOf(c, t.jobId())));
        }
        accountHealth(c, t);
        return true;
    }

    /** Counts an account's jobs that failed upstream in a row; any finished job resets the count. */
    private static void accountHealth(Connection c, JobTransition t) throws SQLException {
        if (t.to() == JobStatus.FAILED && t.error() != null && UPSTREAM.contains(t.error().code())) {
            later(c, "INSERT INTO account_health (account_id, failures, last_failure_at) SELECT account_id, 1, ? FROM jobs WHERE id = ? "
                    + "ON CONFLICT (account_id) DO UPDATE SET failures = account_health.failures + 1, last_failure_at = excluded.last_failure_at", t.at(), t.jobId());
        } else if (t.to() == JobStatus.COMPLETED || t.to() == JobStatus.DEGRADED || t.to() == JobStatus.PARTIALLY_COMPLETED) {
            later(c, "UPDATE account_health SET failures = 0 WHERE failures > 0 AND account_id = (SELECT account_id FROM jobs WHERE id = ?)", t.jobId());
        }
    }

    // ---- tool calls ------------------------------------------------------------------------------

    @Override
    public Optional<ToolCall> toolCall(String jobId, String stageId) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT * FROM tool_calls WHERE job_id = ? AND stage_id = ?");
            bind(ps, jobId, stageId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                int status = rs.getInt("http_status");
                return Optional.of(new ToolCall(rs.getString("job_id"), rs.getString("stage_id"), rs.getString("tool"),
                        ToolScope.fromWire(rs.getString("scope")).orElseThrow(), rs.getString("idempotency_key"), ToolCall.Status.fromWire(rs.getString("status")),
                        json(rs, "request"), json(rs, "response"), rs.wasNull() ? null : status, rs.getString("approved_by"), rs.getString("error"),
                        instant(rs, "updated_at")));
            }
        });
    }

    @Override
    public void recordToolCall(ToolCall call) {
        write(c -> update(c, "INSERT INTO tool_calls (job_id, stage_id, tool, scope, idempotency_key, status, request, response, http_status, approved_by, error, updated_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, stage_id) DO UPDATE SET status = excluded.status, request = excluded.request, "
                        + "response = excluded.response, http_status = excluded.http_status, approved_by = excluded.approved_by, error = excluded.error, "
                        + "updated_at = excluded.updated_at",
                call.jobId(), call.stageId(), call.tool(), call.scope().wire(), call.idempotencyKey(), call.status().wire(), call.request(), call.response(),
                call.httpStatus(), call.approvedBy(), call.error(), call.updatedAt()));
    }

    // ---- audit ---------------------------------------------------------------------------------

    @Override
    public void audit(List<AuditEvent> events) {
        if (!events.isEmpty()) {
            write(c -> {
                AuditLog.append(c, AuditLog.Dialect.SQLITE, null, events);
                return null;
            });
        }
    }

    @Override
    public List<AuditRecord> auditLog(AuditQuery query) {
        return read(c -> AuditLog.query(c, query));
    }

    @Override
    public AuditCheck verifyAudit() {
        return read(c -> AuditLog.verify(c, 1000));
    }

    private static String accountOf(Connection c, String jobId) throws SQLException {
        PreparedStatement ps = StatementCache.prepared(c, "SELECT account_id FROM jobs WHERE id = ?");
        ps.setString(1, jobId);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    // ---- limits, budgets and usage -------------------------------------------------------------

    @Override
    public AccountLimits limits(String accountId) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT * FROM account_limits WHERE account_id = ?");
            bind(ps, accountId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return AccountLimits.NONE;
                }
                return new AccountLimits(longOrNull(rs, "requests_per_minute"), longOrNull(rs, "tokens_per_day"), longOrNull(rs, "cost_per_month_micros"),
                        longOrNull(rs, "max_concurrent_jobs") == null ? null : rs.getInt("max_concurrent_jobs"));
            }
        });
    }

    private static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    @Override
    public void setLimits(String accountId, AccountLimits limits, String actor, Instant at) {
        write(c -> {
            update(c, "INSERT INTO account_limits (account_id, requests_per_minute, tokens_per_day, cost_per_month_micros, max_concurrent_jobs, updated_at, updated_by) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET requests_per_minute = excluded.requests_per_minute, "
                            + "tokens_per_day = excluded.tokens_per_day, cost_per_month_micros = excluded.cost_per_month_micros, "
                            + "max_concurrent_jobs = excluded.max_concurrent_jobs, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    accountId, limits.requestsPerMinute(), limits.tokensPerDay(), limits.costPerMonthMicros(), limits.maxConcurrentJobs(), at, actor);
            update(c, "INSERT INTO account_limit_changes (account_id, limits, actor, at) VALUES (?, ?, ?, ?)", accountId, limits.toJson(), actor, at);
            return null;
        });
        // A raised or lifted max_concurrent_jobs may let waiting jobs start.
        work.fire();
    }

    @Override
    public Reservation.Outcome reserve(Reservation r, Charge estimate) {
        Estimates.check(r, estimate);
        return write(c -> {
            List<Counter> next = new ArrayList<>();
            for (Hold h : r.holds()) {
                Counter now = counter(c, h.scope());
                Optional<Counter> after = now.reserve(h.amount(), h.max());
                if (after.isEmpty()) {
                    Hold.Unit u = h.unit();
                    boolean later = now.couldFitLater(h.amount(), h.max());
                    Optional<Duration> wait = h.resetsAt() == null ? Optional.empty() : Optional.of(Duration.between(r.at(), h.resetsAt()));
                    return new Reservation.Outcome.Refused(new LimitHit(h.code(), h.limit(), h.label(), "a model call needs " + u.describe(h.amount()) + " but "
                            + h.label() + " has " + u.describe(now.spent()) + " spent and " + u.describe(now.reserved()) + " held of its " + h.limit() + " of "
                            + u.describe(h.max()), later ? Optional.of(Duration.ofMillis(500)) : wait), !later);
                }
                next.add(after.get());
            }
            for (int i = 0; i < next.size(); i++) {
                putCounter(c, r.holds().get(i).scope(), next.get(i));
            }
            var holds = Json.MAPPER.createArrayNode();
            for (Hold h : r.holds()) {
                holds.add(Json.object().put("scope", h.scope()).put("unit", h.unit().name()).put("amount", h.amount()));
            }
            // Read back by nothing before the commit that makes it durable, which is all the caller waits for.
            later(c, "INSERT INTO reservations (id, account_id, job_id, holds, state, created_at, expires_at, estimate) VALUES (?, ?, ?, ?, 'held', ?, ?, ?)",
                    r.id(), r.accountId(), r.jobId(), holds, r.at(), r.expiresAt(), Estimates.toJson(estimate));
            return new Reservation.Outcome.Granted(r.id());
        });
    }

    @Override
    public void charge(List<Charge> charges) {
        if (!charges.isEmpty()) {
            write(c -> {
                chargeIn(c, charges);
                return null;
            });
        }
    }

    /**
     * Records each charge once: ledger row, counters, and the release of its reservation. A
     * provider's answer for a call already charged at its estimate replaces the estimate.
     */
    private static void chargeIn(Connection c, List<Charge> charges) throws SQLException {
        for (Charge ch : charges) {
            int inserted = update(c, "INSERT INTO usage_ledger (id, account_id, job_id, workflow, stage_id, provider, model, input_tokens, cached_input_tokens, "
                            + "output_tokens, cost_micros, at, unknown_outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    ch.id(), ch.accountId(), ch.jobId(), ch.workflow(), ch.stageId(), ch.provider(), ch.model(), ch.inputTokens(), ch.cachedInputTokens(),
                    ch.outputTokens(), ch.costMicros(), ch.at(), ch.unknownOutcome());
            if (inserted == 0) {
                if (!ch.unknownOutcome() && ch.reservationId() != null) {
                    replaceEstimate(c, ch);
                }
                continue; // recorded before
            }
            AuditLog.append(c, AuditLog.Dialect.SQLITE, ch.jobId(), AuditTrail.modelCalls(List.of(ch)));
            if (ch.reservationId() != null) {
                closeReservation(c, ch.reservationId(), ch.unknownOutcome() ? UNKNOWN_OUTCOME : "settled", ch.at());
            }
            addSpent(c, ch.scopes().stream().collect(Collectors.toMap(Charge.CounterScope::scope, sc -> ch.amount(sc.unit()), Long::sum)));
        }
    }

    /** The state of a reservation whose call was charged at its estimate. */
    private static final String UNKNOWN_OUTCOME = "unknown_outcome";

    /**
     * The answer of a call that was charged at its estimate when its node was taken for dead (it
     * was only slow): the ledger row takes the provider's figures, the counters the difference,
     * and the audit log the call as it went. Once only: the row is then no longer an estimate.
     */
    private static void replaceEstimate(Connection c, Charge ch) throws SQLException {
        PreparedStatement ps = StatementCache.prepared(c, "SELECT r.estimate FROM reservations r JOIN usage_ledger l ON l.id = ? "
                + "WHERE r.id = ? AND r.state = '" + UNKNOWN_OUTCOME + "' AND l.unknown_outcome = 1");
        bind(ps, ch.id(), ch.reservationId());
        String estimate;
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next() || rs.getString(1) == null) {
                return;
            }
            estimate = rs.getString(1);
        }
        Charge was = Estimates.fromJson(ch.reservationId(), estimate);
        update(c, "UPDATE usage_ledger SET input_tokens = ?, cached_input_tokens = ?, output_tokens = ?, cost_micros = ?, at = ?, unknown_outcome = 0 WHERE id = ?",
                ch.inputTokens(), ch.cachedInputTokens(), ch.outputTokens(), ch.costMicros(), ch.at(), ch.id());
        update(c, "UPDATE reservations SET state = 'settled' WHERE id = ?", ch.reservationId());
        Map<String, Long> delta = new java.util.TreeMap<>();
        was.scopes().forEach(sc -> delta.merge(sc.scope(), -was.amount(sc.unit()), Long::sum));
        ch.scopes().forEach(sc -> delta.merge(sc.scope(), ch.amount(sc.unit()), Long::sum));
        addSpent(c, delta);
        AuditLog.append(c, AuditLog.Dialect.SQLITE, ch.jobId(), AuditTrail.modelCalls(List.of(ch)));
    }

    /** Releases a held reservation's holds and marks it closed; does nothing if it was closed already. */
    private static void closeReservation(Connection c, String id, String state, Instant at) throws SQLException {
        String holds;
        PreparedStatement ps = StatementCache.prepared(c, "SELECT holds FROM reservations WHERE id = ? AND state = 'held'");
        bind(ps, id);
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return;
            }
            holds = rs.getString(1);
        }
        for (JsonNode h : Json.parse(holds)) {
            String scope = h.path("scope").asString();
            putCounter(c, scope, counter(c, scope).release(h.path("amount").asLong()));
        }
        update(c, "UPDATE reservations SET state = ?, closed_at = ? WHERE id = ?", state, at, id);
    }

    @Override
    public int expireReservations(Instant now) {
        return write(c -> settleHeld(c, "expires_at < ?", now, now));
    }

    /**
     * Settles the held reservations matching {@code where}: the calls of a node that died. Each
     * is charged at its estimate as an unknown outcome (a reservation from before estimates were
     * kept is only released). Returns how many.
     */
    private static int settleHeld(Connection c, String where, Instant now, Object... args) throws SQLException {
        Deferred.flush(c); // reservations taken earlier in this group
        List<String[]> held = new ArrayList<>();
        PreparedStatement ps = StatementCache.prepared(c, "SELECT id, estimate FROM reservations WHERE state = 'held' AND " + where + " LIMIT 1000");
        bind(ps, args);
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                held.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        for (String[] r : held) {
            if (r[1] == null) {
                closeReservation(c, r[0], "expired", now);
            } else {
                chargeIn(c, List.of(Estimates.fromJson(r[0], r[1])));
                // Already closed by the charge, unless the call's own charge was on record first.
                closeReservation(c, r[0], "settled", now);
                update(c, "UPDATE reservations SET closed_at = ? WHERE id = ?", now, r[0]);
            }
        }
        return held.size();
    }

    @Override
    public Counter counter(String scope) {
        return read(c -> counter(c, scope));
    }

    private static Counter counter(Connection c, String scope) throws SQLException {
        PreparedStatement ps = StatementCache.prepared(c, "SELECT spent, reserved FROM budget_counters WHERE scope = ?");
        bind(ps, scope);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? new Counter(rs.getLong(1), rs.getLong(2)) : Counter.ZERO;
        }
    }

    /**
     * Adds amounts to the {@code spent} of counters in one statement: a settled charge adds to
     * {@code spent} only ({@link Counter#settle} with nothing held), so no counter needs reading
     * first. An amount is negative only where a provider's figures replace a larger estimate.
     */
    private static void addSpent(Connection c, Map<String, Long> amounts) throws SQLException {
        if (amounts.isEmpty()) {
            return;
        }
        StringBuilder sql = new StringBuilder("INSERT INTO budget_counters (scope, spent, reserved) VALUES ");
        Object[] args = new Object[amounts.size() * 2];
        int i = 0;
        for (Map.Entry<String, Long> e : amounts.entrySet()) {
            sql.append(i == 0 ? "(?, ?, 0)" : ", (?, ?, 0)");
            args[2 * i] = e.getKey();
            args[2 * i + 1] = e.getValue();
            i++;
        }
        sql.append(" ON CONFLICT (scope) DO UPDATE SET spent = budget_counters.spent + excluded.spent");
        update(c, sql.toString(), args);
    }

    private static void putCounter(Connection c, String scope, Counter counter) throws SQLException {
        update(c, "INSERT INTO budget_counters (scope, spent, reserved) VALUES (?, ?, ?) ON CONFLICT (scope) DO UPDATE SET spent = excluded.spent, reserved = excluded.reserved",
                scope, counter.spent(), counter.reserved());
    }

    @Override
    public List<UsageQuery.Row> usage(UsageQuery q) {
        String key = switch (q.groupBy()) {
            case DAY -> "strftime('%Y-%m-%d', at / 1000, 'unixepoch')";
            case WORKFLOW -> "workflow";
            case MODEL -> "provider || '/' || model";
            case ACCOUNT -> "account_id";
        };
        return read(c -> {
            String sql = "SELECT " + key + " AS k, COUNT(*), SUM(input_tokens), SUM(cached_input_tokens), SUM(output_tokens), SUM(cost_micros), "
                    + "SUM(unknown_outcome), SUM(CASE WHEN unknown_outcome = 1 THEN cost_micros ELSE 0 END) FROM usage_ledger "
                    + "WHERE at >= ? AND at < ?" + (q.accountId() == null ? "" : " AND account_id = ?") + " GROUP BY k ORDER BY k";
            PreparedStatement ps = StatementCache.prepared(c, sql);
            if (q.accountId() == null) {
                bind(ps, q.from(), q.to());
            } else {
                bind(ps, q.from(), q.to(), q.accountId());
            }
            try (ResultSet rs = ps.executeQuery()) {
                List<UsageQuery.Row> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new UsageQuery.Row(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8)));
                }
                return out;
            }
        });
    }

    // ---- result cache --------------------------------------------------------------------------

    @Override
    public Optional<CachedOutput> cachedOutput(String key, Instant now) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT output, provenance, source_job FROM result_cache WHERE key = ? AND expires_at > ?");
            bind(ps, key, now);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.<CachedOutput>empty();
                }
                JsonNode provenance = json(rs, "provenance");
                return Optional.of(new CachedOutput(json(rs, "output"), provenance == null ? null : Provenance.fromJson(provenance), rs.getString("source_job")));
            }
        });
    }

    @Override
    public void cacheOutput(String key, String workflow, CachedOutput output, Instant now, Instant expiresAt) {
        write(c -> {
            update(c, "DELETE FROM result_cache WHERE expires_at <= ?", now);
            return update(c, "INSERT INTO result_cache (key, workflow, output, provenance, source_job, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                            + "ON CONFLICT (key) DO UPDATE SET output = excluded.output, provenance = excluded.provenance, source_job = excluded.source_job, "
                            + "created_at = excluded.created_at, expires_at = excluded.expires_at",
                    key, workflow, output.output(), output.provenance() == null ? null : output.provenance().toJson(), output.sourceJob(), now, expiresAt);
        });
    }

    // ---- reviews -------------------------------------------------------------------------------

    @Override
    public Optional<Review> review(String id) {
        return read(c -> {
            List<Review> found = loadReviews(c, "id = ?", id);
            return found.isEmpty() ? Optional.<Review>empty() : Optional.of(found.getFirst());
        });
    }

    @Override
    public List<Review> reviews(ReviewQuery q) {
        return read(c -> {
            StringBuilder where = new StringBuilder("account_id = ?");
            List<Object> args = new ArrayList<>(List.of(q.accountId()));
            if (q.status() != null) {
                where.append(" AND status = ?");
                args.add(q.status().wire());
            }
            if (q.workflow() != null) {
                where.append(" AND workflow = ?");
                args.add(q.workflow());
            }
            if (q.cursor() != null) {
                where.append(" AND id < ?");
                args.add(q.cursor());
            }
            where.append(" ORDER BY id DESC LIMIT ?");
            args.add(q.limit());
            return loadReviews(c, where.toString(), args.toArray());
        });
    }

    @Override
    public List<Review> expiredReviews(Instant now, int max) {
        return read(c -> loadReviews(c, "status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?", now, max));
    }

    @Override
    public boolean decideReview(String reviewId, Review.Status outcome, JsonNode output, String reviewer, String note, Instant at, JobTransition job) {
        boolean decided = write(c -> {
            if (update(c, "UPDATE reviews SET status = ?, output = ?, reviewer = ?, note = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
                    outcome.wire(), output, reviewer, note, at, reviewId) == 0) {
                return false;
            }
            if (!applyIn(c, job)) {
                // Throwing rolls this unit back, review decision included.
                throw new StoreException("job " + job.jobId() + " is no longer waiting for review " + reviewId);
            }
            return true;
        });
        if (decided && WorkSignal.makesDue(job)) {
            work.fire();
        }
        return decided;
    }

    @Override
    public int closeReviews(String jobId, String reviewer, Instant at) {
        return write(c -> update(c, "UPDATE reviews SET status = 'rejected', reviewer = ?, note = 'the job was cancelled', decided_at = ? WHERE job_id = ? AND status = 'pending'",
                reviewer, at, jobId));
    }

    private static List<Review> loadReviews(Connection c, String where, Object... args) throws SQLException {
        PreparedStatement ps = StatementCache.prepared(c, "SELECT * FROM reviews WHERE " + where);
        bind(ps, args);
        try (ResultSet rs = ps.executeQuery()) {
            List<Review> out = new ArrayList<>();
            while (rs.next()) {
                JsonNode provenance = json(rs, "provenance");
                out.add(new Review(rs.getString("id"), rs.getString("job_id"), rs.getString("account_id"), rs.getString("workflow"),
                        rs.getInt("stage_index"), rs.getString("stage_id"), rs.getString("reason"), json(rs, "proposed"),
                        provenance == null ? null : Provenance.fromJson(provenance), Review.Status.fromWire(rs.getString("status")),
                        Review.Decision.fromWire(rs.getString("on_expiry")), json(rs, "output"), rs.getString("reviewer"), rs.getString("note"),
                        instant(rs, "created_at"), instant(rs, "expires_at"), instant(rs, "decided_at")));
            }
            return out;
        }
    }

    private static void event(Connection c, String jobId, String type, JsonNode data, Instant at) throws SQLException {
        later(c, "INSERT INTO job_events (job_id, type, data, at) VALUES (?, ?, ?, ?)", jobId, type, data, at);
    }

    // ---- jobs: reads ---------------------------------------------------------------------------

    @Override
    public Optional<Job> job(String id) {
        return read(c -> loadJob(c, id));
    }

    private static Optional<Job> loadJob(Connection c, String id) throws SQLException {
        List<Job> jobs = loadJobs(c, "j.id = ?", id);
        return jobs.isEmpty() ? Optional.empty() : Optional.of(jobs.getFirst());
    }

    private static List<Job> loadJobs(Connection c, String where, Object... args) throws SQLException {
        PreparedStatement ps = StatementCache.prepared(c, "SELECT " + JOB_COLUMNS + " FROM jobs j JOIN payloads p ON p.hash = j.input_hash WHERE " + where);
        bind(ps, args);
        try (ResultSet rs = ps.executeQuery()) {
            List<Job> out = new ArrayList<>();
            while (rs.next()) {
                out.add(job(rs));
            }
            return out;
        }
    }

    private static Job job(ResultSet rs) throws SQLException {
        String errorCode = rs.getString("error_code");
        JobError error = errorCode == null ? null : new JobError(ErrorCode.fromCode(errorCode).orElse(ErrorCode.INTERNAL), rs.getString("error_message"), rs.getInt("error_retryable") == 1);
        JsonNode provenance = json(rs, "provenance");
        String resultType = rs.getString("result_type");
        return new Job(
                rs.getString("id"),
                rs.getString("account_id"),
                rs.getString("workflow"),
                rs.getInt("workflow_version"),
                JobStatus.fromWire(rs.getString("status")),
                resultType == null ? null : ResultType.fromWire(resultType),
                Json.parse(rs.getString("input_body")),
                rs.getString("input_hash"),
                json(rs, "result"),
                error,
                instant(rs, "retry_at"),
                provenance == null ? null : Provenance.fromJson(provenance),
                new Usage(rs.getLong("input_tokens"), rs.getLong("output_tokens"), rs.getLong("cost_micros")),
                rs.getInt("current_stage"),
                rs.getInt("stage_attempts"),
                rs.getInt("dead_letter") == 1,
                rs.getString("idempotency_key"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"),
                instant(rs, "started_at"),
                instant(rs, "completed_at"),
                instant(rs, "deadline_at"));
    }

    @Override
    public JobPage jobs(JobQuery q) {
        return read(c -> {
            StringBuilder where = new StringBuilder("j.account_id = ?");
            List<Object> args = new ArrayList<>(List.of(q.accountId()));
            if (q.workflow() != null) {
                where.append(" AND j.workflow = ?");
                args.add(q.workflow());
            }
            if (q.status() != null) {
                where.append(" AND j.status = ?");
                args.add(q.status().wire());
            }
            if (q.deadLetter() != null) {
                where.append(" AND j.dead_letter = ?");
                args.add(q.deadLetter());
            }
            if (q.cursor() != null) {
                where.append(" AND j.id < ?");
                args.add(q.cursor());
            }
            where.append(" ORDER BY j.id DESC LIMIT ?");
            args.add(q.limit() + 1);
            List<Job> jobs = loadJobs(c, where.toString(), args.toArray());
            if (jobs.size() > q.limit()) {
                List<Job> page = jobs.subList(0, q.limit());
                return new JobPage(page, Optional.of(page.getLast().id()));
            }
            return new JobPage(jobs, Optional.empty());
        });
    }

    @Override
    public Optional<Job> lastGoodJob(String workflow, int version, String inputHash) {
        return read(c -> {
            List<Job> jobs = loadJobs(c, "j.workflow = ? AND j.workflow_version = ? AND j.input_hash = ? AND j.status = 'completed' AND j.result_type = 'full' "
                    + "ORDER BY j.completed_at DESC LIMIT 1", workflow, version, inputHash);
            return jobs.isEmpty() ? Optional.<Job>empty() : Optional.of(jobs.getFirst());
        });
    }

    @Override
    public List<StageRun> stages(String jobId) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT * FROM job_stages WHERE job_id = ? ORDER BY stage_index");
            bind(ps, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                List<StageRun> out = new ArrayList<>();
                while (rs.next()) {
                    String code = rs.getString("error_code");
                    JsonNode provenance = json(rs, "provenance");
                    out.add(new StageRun(rs.getString("job_id"), rs.getInt("stage_index"), rs.getString("stage_id"), rs.getString("status"),
                            json(rs, "output"), rs.getInt("attempts"), provenance == null ? null : Provenance.fromJson(provenance),
                            new Usage(rs.getLong("input_tokens"), rs.getLong("output_tokens"), rs.getLong("cost_micros")),
                            code == null ? null : new JobError(ErrorCode.fromCode(code).orElse(ErrorCode.INTERNAL), rs.getString("error_message"), rs.getInt("error_retryable") == 1),
                            instant(rs, "started_at"), instant(rs, "completed_at")));
                }
                return out;
            }
        });
    }

    @Override
    public List<JobEvent> events(String jobId, long afterSeq, int limit) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT * FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?");
            bind(ps, jobId, afterSeq, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<JobEvent> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new JobEvent(rs.getLong("seq"), rs.getString("job_id"), rs.getString("type"), json(rs, "data"), instant(rs, "at")));
                }
                return out;
            }
        });
    }

    static String countUnfinishedSql(boolean perAccount) {
        return "SELECT COUNT(*) FROM jobs WHERE status NOT IN (" + TERMINAL + ")" + (perAccount ? " AND account_id = ?" : "");
    }

    @Override
    public long countUnfinished(String accountId) {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, countUnfinishedSql(accountId != null));
            if (accountId != null) {
                bind(ps, accountId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Override
    public Optional<Instant> nextDueAt() {
        return read(c -> {
            PreparedStatement ps = StatementCache.prepared(c, "SELECT MIN(next_run_at) FROM jobs WHERE status IN ('queued', 'retrying')");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long v = rs.getLong(1);
                return rs.wasNull() ? Optional.<Instant>empty() : Optional.of(Instant.ofEpochMilli(v));
            }
        });
    }

    /** Runs {@code wake} on the caller's thread right after a write that made work due has committed. */
    @Override
    public void onWork(Runnable wake) {
        work.add(wake);
    }

    @Override
    public long commitCount() {
        return writer.commits();
    }

    @Override
    public void close() {
        writer.close();
        checkpointer.close();
        // The cached statements hold their connection, so a weak key alone would never let go.
        for (Connection c : readers) {
            StatementCache.forget(c);
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        lock.close();
    }
}
