package dev.mainstay.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import tools.jackson.databind.JsonNode;

/**
 * The scale-out store: one PostgreSQL database shared by any number of stateless nodes.
 *
 * <ul>
 *   <li>Writes go through one {@link GroupCommitter} per node, which borrows a pooled connection
 *       per batch: concurrent state changes of a node share a transaction and a commit.</li>
 *   <li>Reads use the HikariCP pool directly, in auto-commit mode, and see every committed write.</li>
 *   <li>Claims take due jobs with {@code FOR UPDATE SKIP LOCKED}, so nodes claiming at once never
 *       wait for each other and never share a job.</li>
 *   <li>Writes that make work due {@code NOTIFY} the channel {@value #CHANNEL} at commit; each
 *       store listens on a dedicated connection and runs its {@link #onWork(Runnable)} callbacks.</li>
 * </ul>
 *
 * <p>When the database goes away, operations fail with {@link StoreException} (an operation waits
 * for a connection at most the configured connect timeout), and work again once it is back: the
 * pool replaces dead connections, and the listener reconnects by itself. The server cancels a
 * statement that runs longer than the configured statement timeout or waits longer than the lock
 * timeout for a row, so a caller is never held past them.
 */
public final class PostgresStore implements Store {
    /** Pooled connections per node unless configured: one at a time writes, the rest read. */
    public static final int DEFAULT_POOL_SIZE = 10;
    /** How long an operation waits for a connection before it fails, unless configured. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** The longest one statement may run, unless configured. */
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);
    /** The longest a statement waits for another transaction's row lock, unless configured. */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(10);
    /**
     * A transaction left open this long without a statement is ended by the server, releasing its
     * locks: the GroupCommitter never idles inside a transaction, so only a stuck node does.
     */
    static final Duration IDLE_IN_TRANSACTION_TIMEOUT = Duration.ofSeconds(60);
    /** The {@code LISTEN/NOTIFY} channel of writes that make work due. */
    public static final String CHANNEL = "mainstay_work";
    /**
     * Units per group transaction. Each unit of a batch runs in a savepoint, and a PostgreSQL
     * transaction with more than 64 subtransactions overflows the per-backend cache of them, which
     * slows every other session's snapshots: batches stay at that size.
     */
    static final int MAX_BATCH = 64;

    private static final String TERMINAL = JobStatus.terminal().stream().map(s -> "'" + s.wire() + "'").sorted().collect(Collectors.joining(", "));
    private static final String JOB_COLUMNS = "j.*, p.body AS input_body";
    /** Failures that say the model side is in trouble, as opposed to the request or a person. */
    private static final Set<ErrorCode> UPSTREAM = EnumSet.of(ErrorCode.PROVIDER_TIMEOUT, ErrorCode.PROVIDER_UNAVAILABLE, ErrorCode.PROVIDER_RATE_LIMITED,
            ErrorCode.PROVIDER_REJECTED, ErrorCode.INVALID_MODEL_OUTPUT, ErrorCode.TOOL_FAILED);

    /**
     * How to reach the database, the pool's size and the server-side timeouts.
     *
     * @param url a PostgreSQL JDBC URL, e.g. {@code jdbc:postgresql://db.internal:5432/mainstay}
     *     ({@link #parse} takes the {@code postgresql://user:password@host:port/database} form)
     * @param user the role to connect as
     * @param password its password, or {@code null} where the server asks for none
     * @param poolSize pooled connections per node, at least 2 (default {@value PostgresStore#DEFAULT_POOL_SIZE})
     * @param connectTimeout how long an operation waits for a connection before failing, at least
     *     250 ms (default 5 s)
     * @param statementTimeout the longest any one statement may run before the server cancels it
     *     (default 30 s); bounds a query stuck behind a dead network as well as a slow one
     * @param lockTimeout the longest a statement waits for a row another node holds (default 10 s)
     */
    public record Config(String url, String user, String password, int poolSize, Duration connectTimeout, Duration statementTimeout, Duration lockTimeout) {
        public Config {
            if (url == null || !url.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("the PostgreSQL url must start with jdbc:postgresql:, was " + url);
            }
            if (user == null || user.isBlank()) {
                throw new IllegalArgumentException("the PostgreSQL user must be given");
            }
            if (poolSize < 2) {
                throw new IllegalArgumentException("the PostgreSQL pool needs at least 2 connections (one writes, the others read), was " + poolSize);
            }
            if (connectTimeout == null || connectTimeout.compareTo(Duration.ofMillis(250)) < 0) {
                throw new IllegalArgumentException("the PostgreSQL connect timeout must be at least 250ms, was " + connectTimeout);
            }
            if (statementTimeout == null || statementTimeout.compareTo(Duration.ofMillis(100)) < 0) {
                throw new IllegalArgumentException("the PostgreSQL statement timeout must be at least 100ms, was " + statementTimeout);
            }
            if (lockTimeout == null || lockTimeout.compareTo(Duration.ofMillis(100)) < 0) {
                throw new IllegalArgumentException("the PostgreSQL lock timeout must be at least 100ms, was " + lockTimeout);
            }
        }

        /** The defaults: {@value PostgresStore#DEFAULT_POOL_SIZE} connections, a 5 s connect timeout, 30 s statement and 10 s lock timeouts. */
        public static Config of(String url, String user, String password) {
            return new Config(url, user, password, DEFAULT_POOL_SIZE, DEFAULT_CONNECT_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, DEFAULT_LOCK_TIMEOUT);
        }

        /**
         * Reads a libpq-style URL: {@code postgresql://user:password@host:port/database}
         * ({@code postgres://} too; the port defaults to 5432; user and password may be
         * percent-encoded; query parameters are passed to the driver, e.g. {@code ?sslmode=require}).
         *
         * @param password used when the URL carries none (e.g. from an environment variable), or {@code null}
         * @throws IllegalArgumentException naming what is wrong, never echoing the password
         */
        public static Config parse(String url, String password) {
            if (url == null || url.isBlank()) {
                throw new IllegalArgumentException("is empty; expected postgresql://user:password@host:port/database");
            }
            java.net.URI uri;
            try {
                uri = new java.net.URI(url.strip());
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("is not a URL (" + e.getReason() + "); expected postgresql://user:password@host:port/database");
            }
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equals("postgresql") || scheme.equals("postgres"))) {
                throw new IllegalArgumentException("must start with postgresql://, e.g. postgresql://mainstay:secret@db.internal:5432/mainstay"
                        + (scheme == null ? "" : " (the scheme was " + scheme + ")"));
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("needs a host, e.g. postgresql://mainstay:secret@db.internal:5432/mainstay");
            }
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            String database = path.startsWith("/") ? path.substring(1) : path;
            if (database.isEmpty() || database.contains("/")) {
                throw new IllegalArgumentException("needs a database name after the host, e.g. postgresql://mainstay:secret@" + uri.getHost() + ":5432/mainstay");
            }
            String info = uri.getRawUserInfo();
            if (info == null || info.isEmpty() || info.startsWith(":")) {
                throw new IllegalArgumentException("needs a user, e.g. postgresql://mainstay:secret@" + uri.getHost() + "/" + database);
            }
            int colon = info.indexOf(':');
            String user = decode(colon < 0 ? info : info.substring(0, colon));
            String pass = colon < 0 ? password : decode(info.substring(colon + 1));
            String jdbc = "jdbc:postgresql://" + (uri.getHost().contains(":") && !uri.getHost().startsWith("[") ? "[" + uri.getHost() + "]" : uri.getHost())
                    + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort()) + "/" + database + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            return of(jdbc, user, pass);
        }

        private static String decode(String s) {
            return java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        }

        public Config withPoolSize(int size) {
            return new Config(url, user, password, size, connectTimeout, statementTimeout, lockTimeout);
        }

        public Config withConnectTimeout(Duration timeout) {
            return new Config(url, user, password, poolSize, timeout, statementTimeout, lockTimeout);
        }

        public Config withStatementTimeout(Duration timeout) {
            return new Config(url, user, password, poolSize, connectTimeout, timeout, lockTimeout);
        }

        public Config withLockTimeout(Duration timeout) {
            return new Config(url, user, password, poolSize, connectTimeout, statementTimeout, timeout);
        }

        /** Never prints the password. */
        @Override
        public String toString() {
            return "Config[url=" + url + ", user=" + user + ", password=" + (password == null ? "none" : "****")
                    + ", poolSize=" + poolSize + ", connectTimeout=" + connectTimeout + ", statementTimeout=" + statementTimeout
                    + ", lockTimeout=" + lockTimeout + "]";
        }
    }

    private final Config config;
    private final HikariDataSource pool;
    /**
     * The node's writer. One per node: on two cores, two writers of one node measured 0.9× of one
     * and four 0.75× (smaller groups, each paying its own commit and audit-chain lock).
     */
    private final GroupCommitter writer;
    private final WorkListener listener;
    private final WorkSignal work;
    /**
     * The account served last by this node's claims; the next claim starts after it. Only the
     * writer thread touches it. Per node on purpose: fairness needs each node to rotate, not the
     * cluster to agree on one order.
     */
    private String claimCursor;

    private PostgresStore(Config config, HikariDataSource pool, GroupCommitter writer, WorkListener listener, WorkSignal work) {
        this.config = config;
        this.pool = pool;
        this.writer = writer;
        this.listener = listener;
        this.work = work;
    }

    /**
     * Connects, migrates the schema when needed (Flyway takes a lock, so nodes starting together
     * are safe) and starts listening for work.
     *
     * @throws StoreException when the database cannot be reached or migrated
     */
    public static PostgresStore open(Config config) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("mainstay-postgres");
        hc.setJdbcUrl(config.url());
        hc.setUsername(config.user());
        hc.setPassword(config.password());
        hc.setMaximumPoolSize(config.poolSize());
        hc.setConnectionTimeout(config.connectTimeout().toMillis());
        hc.setValidationTimeout(Math.min(config.connectTimeout().toMillis(), Duration.ofSeconds(5).toMillis()));
        Properties pooled = driverProperties(config, "mainstay");
        // A network that hangs without a reset never delivers the server's cancel: the client gives
        // up on its own a little after the statement timeout, and the pool drops the connection.
        pooled.setProperty("socketTimeout", Long.toString(config.statementTimeout().plusSeconds(10).toSeconds()));
        for (var p : pooled.entrySet()) {
            hc.addDataSourceProperty((String) p.getKey(), p.getValue());
        }
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new StoreException("cannot connect to PostgreSQL at " + config.url() + " as " + config.user() + ": " + rootMessage(e), e);
        }
        try {
            Flyway.configure()
                    .dataSource(pool)
                    .locations("classpath:db/migration/postgresql")
                    .loggers("slf4j")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw new StoreException("cannot migrate the PostgreSQL database " + config.url() + ": " + rootMessage(e), e);
        }
        WorkSignal work = new WorkSignal();
        GroupCommitter writer = new GroupCommitter("postgres", new PooledConnections(pool), MAX_BATCH);
        WorkListener listener = WorkListener.start(() -> DriverManager.getConnection(config.url(), driverProperties(config, "mainstay-listener")),
                work::fire, config.connectTimeout());
        return new PostgresStore(config, pool, writer, listener, work);
    }

    private static Properties driverProperties(Config config, String applicationName) {
        Properties p = new Properties();
        p.setProperty("user", config.user());
        if (config.password() != null) {
            p.setProperty("password", config.password());
        }
        p.setProperty("ApplicationName", applicationName);
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("connectTimeout", Long.toString(Math.max(1, config.connectTimeout().toSeconds())));
        // Server-side limits for every session of the pool (and the listener's, where they never
        // apply while it only waits for notifications).
        p.setProperty("options", "-c statement_timeout=" + config.statementTimeout().toMillis() + " -c lock_timeout=" + config.lockTimeout().toMillis()
                + " -c idle_in_transaction_session_timeout=" + IDLE_IN_TRANSACTION_TIMEOUT.toMillis());
        return p;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root.getMessage() + ")";
    }

    /** The configuration the store was opened with. */
    public Config config() {
        return config;
    }

    // ---- plumbing ------------------------------------------------------------------------------

    /** The writer's connection source: a pooled connection per batch, evicted when it broke. */
    private record PooledConnections(HikariDataSource pool) implements GroupCommitter.Connections {
        @Override
        public Connection borrow() throws SQLException {
            Connection c = pool.getConnection();
            try {
                c.setAutoCommit(false);
            } catch (SQLException e) {
                pool.evictConnection(c);
                throw e;
            }
            return c;
        }

        @Override
        public void giveBack(Connection connection, boolean broken) {
            if (broken) {
                discardDead(pool, connection);
                return;
            }
            try {
                connection.close();
            } catch (SQLException e) {
                pool.evictConnection(connection);
            }
        }
    }

    @FunctionalInterface
    private interface Read<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T read(Read<T> work) {
        for (int attempt = 1; ; attempt++) {
            Connection c;
            try {
                c = pool.getConnection();
            } catch (SQLException e) {
                throw new StoreException("no PostgreSQL connection for a read: " + e.getMessage(), e);
            }
            try {
                return work.run(c);
            } catch (SQLException e) {
                if (attempt == 1 && !usable(c)) {
                    // A pooled connection that died with the server (a restart): reads are safe to
                    // repeat, so try once more on a fresh one rather than fail the caller.
                    discardDead(pool, c);
                    c = null;
                    continue;
                }
                throw new StoreException("PostgreSQL read failed: " + e.getMessage(), e);
            } finally {
                if (c != null) {
                    try {
                        c.close();
                    } catch (SQLException ignored) {
                        // the pool finds out on its own
                    }
                }
            }
        }
    }

    /**
     * Drops a connection found dead, and with it every idle one: a connection dies with its server,
     * and those opened before it are then dead too, though the pool trusts a connection used in the
     * last half second without checking it.
     */
    private static void discardDead(HikariDataSource pool, Connection dead) {
        pool.evictConnection(dead);
        var bean = pool.getHikariPoolMXBean();
        if (bean != null) {
            bean.softEvictConnections();
        }
    }

    private static boolean usable(Connection c) {
        try {
            return c.isValid(5);
        } catch (SQLException e) {
            return false;
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
                case Instant t -> ps.setObject(i + 1, timestamp(t));
                case Boolean b -> ps.setBoolean(i + 1, b);
                case Integer n -> ps.setInt(i + 1, n);
                case Long n -> ps.setLong(i + 1, n);
                // Sent untyped: the server reads it as the json the column or cast asks for.
                case JsonNode n -> ps.setObject(i + 1, Json.write(n), Types.OTHER);
                case TextArray a -> ps.setArray(i + 1, ps.getConnection().createArrayOf("text", a.values().toArray()));
                default -> ps.setString(i + 1, v.toString());
            }
        }
    }

    /** A {@code text[]} parameter, for {@code = ANY (?)}. */
    private record TextArray(Collection<String> values) {
    }

    /** Instants are kept to the millisecond, as in the SQLite dialect, so they read back equal. */
    private static OffsetDateTime timestamp(Instant t) {
        return OffsetDateTime.ofInstant(t.truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC);
    }

    /** Statements of this dialect for {@link Deferred}. */
    private static final Deferred.Statements STATEMENTS = new Deferred.Statements() {
        @Override
        public PreparedStatement prepare(Connection c, String sql) throws SQLException {
            return c.prepareStatement(sql);
        }

        @Override
        public void done(PreparedStatement ps) throws SQLException {
            ps.close();
        }

        @Override
        public void bind(PreparedStatement ps, Object... values) throws SQLException {
            PostgresStore.bind(ps, values);
        }
    };

    /** Runs {@code sql} before the group commits, with the group's other rows of it: one round trip for all (see {@link Deferred}). */
    private static void later(Connection c, String sql, Object... values) throws SQLException {
        Deferred.update(c, STATEMENTS, sql, values);
    }

    private static int update(Connection c, String sql, Object... values) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, values);
            return ps.executeUpdate();
        }
    }

    /** Delivered to every listening store when the surrounding transaction commits; never if it rolls back. */
    private static void notifyWork(Connection c) throws SQLException {
        Deferred.once(c, "NOTIFY " + CHANNEL); // once per group
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime v = rs.getObject(column, OffsetDateTime.class);
        return v == null ? null : v.toInstant();
    }

    private static JsonNode json(ResultSet rs, String column) throws SQLException {
        String v = rs.getString(column);
        return v == null ? null : Json.parse(v);
    }

    private static Boolean nullableBoolean(ResultSet rs, String column) throws SQLException {
        boolean v = rs.getBoolean(column);
        return rs.wasNull() ? null : v;
    }

    // ---- workflows -----------------------------------------------------------------------------

    @Override
    public String registerWorkflowVersion(String name, int version, String contentHash, String definition, Instant at) {
        return write(c -> {
            update(c, "INSERT INTO workflow_versions (name, version, content_hash, definition, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, version) DO NOTHING",
                    name, version, contentHash, definition, at);
            try (PreparedStatement ps = c.prepareStatement("SELECT content_hash FROM workflow_versions WHERE name = ? AND version = ?")) {
                bind(ps, name, version);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        });
    }

    @Override
    public Optional<String> workflowDefinition(String name, int version) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT definition FROM workflow_versions WHERE name = ? AND version = ?")) {
                bind(ps, name, version);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
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
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM accounts WHERE id = ?")) {
                bind(ps, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new Account(rs.getString("id"), rs.getString("name"), rs.getString("plan"), instant(rs, "created_at")))
                            : Optional.empty();
                }
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
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id")) {
                bind(ps, accountId);
                List<ApiKey> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(apiKey(rs));
                    }
                }
                return out;
            }
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
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM api_keys WHERE " + where)) {
            bind(ps, values);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(apiKey(rs)) : Optional.empty();
            }
        }
    }

    private static ApiKey apiKey(ResultSet rs) throws SQLException {
        String roles = rs.getString("roles");
        Set<String> roleSet = roles.isEmpty() ? Set.of() : Set.copyOf(Arrays.asList(roles.split(",")));
        return new ApiKey(rs.getString("id"), rs.getString("account_id"), rs.getString("key_hash"), rs.getString("prefix"), roleSet,
                rs.getBoolean("admin"), instant(rs, "created_at"), rs.getString("name"), instant(rs, "expires_at"), instant(rs, "revoked_at"));
    }

    @Override
    public Optional<Principal> principalForKeyHash(String keyHash) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, account_id, roles, admin FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL")) {
                bind(ps, keyHash);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    String roles = rs.getString("roles");
                    Set<String> roleSet = roles.isEmpty() ? Set.of() : Set.copyOf(Arrays.asList(roles.split(",")));
                    return Optional.of(new Principal(rs.getString("account_id"), rs.getString("id"), roleSet, rs.getBoolean("admin")));
                }
            }
        });
    }

    // ---- jobs: writes --------------------------------------------------------------------------

    @Override
    public SubmitOutcome submit(NewJob job, Admission admission) {
        return write(c -> {
            boolean keyInserted = false;
            if (job.idempotencyKey() != null) {
                // A racing insert of the same key on another connection makes this one wait until
                // that transaction ends; then either the key is ours or the winner's row is visible.
                keyInserted = update(c, "INSERT INTO idempotency_keys (account_id, key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, key) DO NOTHING",
                        job.accountId(), job.idempotencyKey(), job.requestHash(), job.id(), job.createdAt()) == 1;
                if (!keyInserted) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT request_hash, job_id FROM idempotency_keys WHERE account_id = ? AND key = ?")) {
                        bind(ps, job.accountId(), job.idempotencyKey());
                        try (ResultSet rs = ps.executeQuery()) {
                            if (!rs.next()) {
                                throw new StoreException("idempotency key " + job.idempotencyKey() + " of account " + job.accountId()
                                        + " conflicted but is not there. Indicates a bug.");
                            }
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
            }
            Optional<LimitHit> refused = admit(c, admission, job.createdAt());
            if (refused.isPresent()) {
                if (keyInserted) {
                    // A refused request leaves no key behind: its retry is a new request. A submit
                    // of the same key waiting on this row inserts its own once this commits.
                    update(c, "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ?", job.accountId(), job.idempotencyKey());
                }
                return new SubmitOutcome.Refused(refused.get());
            }
            later(c, "INSERT INTO payloads (hash, body) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING", job.inputHash(), Json.canonical(job.input()));
            later(c, "INSERT INTO jobs (id, account_id, workflow, workflow_version, status, input_hash, priority, next_run_at, idempotency_key, created_at, updated_at, deadline_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    job.id(), job.accountId(), job.workflow(), job.workflowVersion(), JobStatus.QUEUED.wire(), job.inputHash(), job.priority(),
                    job.createdAt(), job.idempotencyKey(), job.createdAt(), job.createdAt(), job.deadlineAt());
            event(c, job.id(), "submitted", null, job.createdAt());
            AuditLog.append(c, AuditLog.Dialect.POSTGRESQL, job.id(), job.audit());
            notifyWork(c);
            return new SubmitOutcome.Created(job.queued());
        });
    }

    /**
     * Checks every limit of the admission; takes the rate tokens only when all pass. The buckets
     * are locked (created first when new, so there is always a row to lock) before they are read:
     * submits on other nodes wait for this transaction, then see what it took.
     */
    private static Optional<LimitHit> admit(Connection c, Admission admission, Instant now) throws SQLException {
        Admission.Cooldown cooldown = admission.cooldown();
        if (cooldown != null) {
            try (PreparedStatement ps = c.prepareStatement("SELECT failures, last_failure_at FROM account_health WHERE account_id = ?")) {
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
        }
        for (Admission.Ceiling ceiling : admission.ceilings()) {
            // The decision is the limits policy's; the store only feeds it the counter.
            Optional<LimitHit> hit = ceiling.refusal(counter(c, ceiling.scope()), now);
            if (hit.isPresent()) {
                return hit;
            }
        }
        if (admission.buckets().isEmpty()) {
            return Optional.empty();
        }
        TreeSet<String> keys = admission.buckets().stream().map(Admission.Bucket::key).collect(Collectors.toCollection(TreeSet::new));
        update(c, "INSERT INTO rate_buckets (key) SELECT k FROM unnest(?) AS k ORDER BY k ON CONFLICT (key) DO NOTHING", new TextArray(keys));
        Map<String, TokenBucket.State> states = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT key, tokens, updated_at FROM rate_buckets WHERE key = ANY (?) ORDER BY key FOR UPDATE")) {
            bind(ps, new TextArray(keys));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long tokens = rs.getLong("tokens");
                    if (!rs.wasNull()) {
                        states.put(rs.getString("key"), new TokenBucket.State(tokens, instant(rs, "updated_at")));
                    }
                }
            }
        }
        List<TokenBucket.State> taken = new ArrayList<>();
        for (Admission.Bucket bucket : admission.buckets()) {
            switch (TokenBucket.take(states.get(bucket.key()), bucket.capacity(), bucket.period(), now)) {
                case TokenBucket.Take.Taken t -> taken.add(t.state());
                case TokenBucket.Take.Wait w -> {
                    return Optional.of(new LimitHit(ErrorCode.RATE_LIMITED, bucket.limit(), bucket.scope(),
                            bucket.scope() + " may submit " + bucket.capacity() + " requests per " + describe(bucket.period()) + "; retry in " + w.after().toMillis() + " ms",
                            Optional.of(w.after())));
                }
            }
        }
        for (int i = 0; i < taken.size(); i++) {
            update(c, "UPDATE rate_buckets SET tokens = ?, updated_at = ? WHERE key = ?",
                    taken.get(i).microTokens(), taken.get(i).at(), admission.buckets().get(i).key());
        }
        return Optional.empty();
    }

    private static String describe(Duration period) {
        return period.equals(Duration.ofMinutes(1)) ? "minute" : period.toMillis() + " ms";
    }

    /**
     * The key of the transaction-scoped advisory lock a claim takes when a default
     * {@code max_concurrent_jobs} applies: accounts without a limits row have no row to lock, so
     * claimers take turns on this one instead (one lock, not one per account: advisory locks use
     * the server's shared lock table, which thousands of accounts would fill). Apart from the audit
     * chain's key.
     */
    private static final long CONCURRENCY_LOCK = 0x6d61696e_636f6e63L;

    /**
     * The accounts with due jobs, by a skip scan over the runnable jobs' account index: one short
     * index probe per account rather than a read of every due job, however long the queue.
     */
    private static final String DUE_ACCOUNTS = """
            WITH RECURSIVE a AS (
                (SELECT account_id FROM jobs WHERE status IN ('queued', 'retrying') ORDER BY account_id LIMIT 1)
                UNION ALL
                SELECT (SELECT j.account_id FROM jobs j WHERE j.status IN ('queued', 'retrying') AND j.account_id > a.account_id ORDER BY j.account_id LIMIT 1)
                FROM a WHERE a.account_id IS NOT NULL
            )
            SELECT account_id FROM a
            WHERE account_id IS NOT NULL
              AND EXISTS (SELECT 1 FROM jobs d WHERE d.account_id = a.account_id AND d.status IN ('queued', 'retrying') AND d.next_run_at <= ?)
            """;

    /**
     * Leases the chosen jobs, logs the claims and returns the jobs with their input, in one
     * statement. Every id was locked by this transaction when it was chosen.
     */
    private static final String LEASE = """
            WITH claimed AS (
                UPDATE jobs SET status = 'processing', lease_owner = ?, lease_expires_at = ?, started_at = COALESCE(started_at, ?), updated_at = ?
                WHERE id = ANY (?)
                RETURNING *
            ), logged AS (
                INSERT INTO job_events (job_id, type, data, at)
                SELECT id, 'processing', CAST(? AS json), ? FROM claimed
            )
            SELECT j.*, p.body AS input_body FROM claimed j JOIN payloads p ON p.hash = j.input_hash
            """;

    @Override
    public List<Job> claim(String owner, int max, Instant now, Instant leaseUntil, AccountLimits defaults) {
        if (max <= 0) {
            return List.of();
        }
        // An idle dispatcher asks often; answering "nothing" from a reader keeps the writer free.
        boolean anything = read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM jobs WHERE status IN ('queued', 'retrying') AND next_run_at <= ?) "
                    + "OR EXISTS (SELECT 1 FROM jobs WHERE lease_owner IS NOT NULL AND lease_expires_at < ? AND status IN ('processing', 'waiting_for_tool'))")) {
                bind(ps, now, now);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
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
                try (PreparedStatement ps = c.prepareStatement("SELECT id FROM jobs WHERE lease_owner IS NOT NULL AND lease_expires_at < ? "
                        + "AND status IN ('processing', 'waiting_for_tool') LIMIT ? FOR UPDATE SKIP LOCKED")) {
                    bind(ps, now, max - ids.size());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                        }
                    }
                }
            }
            if (ids.isEmpty()) {
                return List.<Job>of();
            }
            Map<String, Job> byId = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement(LEASE)) {
                bind(ps, owner, leaseUntil, now, now, new TextArray(ids), Json.object().put("node", owner), now);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Job j = job(rs);
                        byId.put(j.id(), j);
                    }
                }
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

    /**
     * Picks due jobs fairly, as the SQLite store does: every account with due jobs gets an equal
     * share of the batch (in a rotating order, so no account always goes last), capped by its
     * {@code max_concurrent_jobs} (its own, else {@code defaultMax} when not null); slots left over
     * go round again. Within an account, priority then age decide, and the id breaks ties so the
     * order is stable.
     *
     * <p>Across nodes: each job is locked as it is chosen and a job another node is claiming right
     * now is passed over ({@code SKIP LOCKED}), never waited for. An account with a
     * {@code max_concurrent_jobs} has its limits row locked before its running jobs are counted,
     * so nodes claiming its jobs at once take turns, and each counts the others' committed claims.
     */
    private List<String> fairBatch(Connection c, int max, Instant now, Integer defaultMax) throws SQLException {
        List<String> accounts = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(DUE_ACCOUNTS)) {
            bind(ps, now);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    accounts.add(rs.getString(1));
                }
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
                int before = ids.size();
                // Excludes the jobs taken in an earlier round by id, not by OFFSET: an OFFSET would
                // lock the rows it skips and leave them locked, unclaimed, until commit.
                try (PreparedStatement ps = c.prepareStatement("SELECT id FROM jobs WHERE account_id = ? AND status IN ('queued', 'retrying') AND next_run_at <= ? "
                        + "AND NOT (id = ANY (?)) ORDER BY priority DESC, next_run_at, id LIMIT ? FOR UPDATE SKIP LOCKED")) {
                    bind(ps, account, now, new TextArray(mine), limit);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                            mine.add(rs.getString(1));
                        }
                    }
                }
                int got = ids.size() - before;
                if (got > 0) {
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
     * For accounts with a {@code max_concurrent_jobs} (their own, else {@code defaultMax}): how
     * many more of their jobs may start now. Locks those accounts' limits rows (in one order, so
     * claimers never deadlock on them) until the claim commits; under a default, which has no row
     * to lock, one advisory lock first (see {@link #CONCURRENCY_LOCK}).
     */
    private static Map<String, Integer> concurrencyRoom(Connection c, List<String> accounts, Integer defaultMax) throws SQLException {
        Map<String, Integer> room = new HashMap<>();
        if (defaultMax != null) {
            // Before any limits row, as every claimer does: no two wait on each other in a circle.
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + CONCURRENCY_LOCK + ")");
            }
            for (String account : accounts) {
                room.put(account, defaultMax);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT account_id, max_concurrent_jobs FROM account_limits "
                + "WHERE account_id = ANY (?) AND max_concurrent_jobs IS NOT NULL ORDER BY account_id FOR UPDATE")) {
            bind(ps, new TextArray(accounts));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    room.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        if (room.isEmpty()) {
            return room;
        }
        // A statement of its own, after the locks: its snapshot sees every claim committed before them.
        Map<String, Integer> running = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT account_id, COUNT(*) FROM jobs WHERE account_id = ANY (?) AND status = 'processing' GROUP BY account_id")) {
            bind(ps, new TextArray(room.keySet()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    running.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        room.replaceAll((account, limit) -> Math.max(0, limit - running.getOrDefault(account, 0)));
        return room;
    }

    @Override
    public int extendLeases(String owner, Collection<String> jobIds, Instant leaseUntil) {
        if (jobIds.isEmpty()) {
            return 0;
        }
        // A job whose row another transaction is changing right now (its transition, in another
        // node's writer) is passed over rather than waited for: waiting on rows in no fixed order
        // against groups that hold them in another could deadlock. The next heartbeat extends it.
        return write(c -> update(c, "UPDATE jobs SET lease_expires_at = ? WHERE id IN (SELECT id FROM jobs WHERE lease_owner = ? AND id = ANY (?) "
                        + "ORDER BY id FOR UPDATE SKIP LOCKED)",
                leaseUntil, owner, new TextArray(List.copyOf(jobIds))));
    }

    @Override
    public int releaseLeases(String owner, Instant now) {
        return write(c -> requeue(c, owner, now, "node " + owner + " shut down").jobs());
    }

    /**
     * Takes back only the leases held under {@code node}: this store is shared, and the leases of
     * other nodes, alive or not, are theirs until they expire.
     */
    @Override
    public Recovered recoverLeases(String node, Instant now) {
        return write(c -> requeue(c, node, now, "node " + node + " started again and took back what its earlier run left when it stopped without handing it back"));
    }

    /**
     * Puts the unfinished jobs leased by {@code owner} back in the queue, due at {@code now}, and
     * settles their calls in flight at their estimates: their workers are gone.
     */
    private static Recovered requeue(Connection c, String owner, Instant now, String reason) throws SQLException {
        Deferred.flush(c); // events and reservations that must precede the release's
        List<String> released = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                WITH released AS (
                    UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, next_run_at = ?, updated_at = ?
                    WHERE lease_owner = ? AND status IN ('processing', 'waiting_for_tool')
                    RETURNING id
                ), logged AS (
                    INSERT INTO job_events (job_id, type, data, at) SELECT id, 'requeued', CAST(? AS json), ? FROM released
                )
                SELECT id FROM released
                """)) {
            bind(ps, now, now, owner, Json.object().put("reason", reason), now);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    released.add(rs.getString(1));
                }
            }
        }
        update(c, "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?", owner);
        int charged = 0;
        if (!released.isEmpty()) {
            notifyWork(c);
            int n;
            do {
                n = settleHeld(c, "job_id = ANY (?) ORDER BY id LIMIT 1000", now, new TextArray(released));
                charged += n;
            } while (n == 1000);
        }
        return new Recovered(released.size(), charged);
    }

    @Override
    public boolean apply(JobTransition t) {
        return write(c -> applyIn(c, t));
    }

    private static boolean applyIn(Connection c, JobTransition t) throws SQLException {
        // The calls were made whether or not the job is still ours: record what they cost first. The
        // usual single charge goes in the job update's own statement below.
        Charge single = t.charges().size() == 1 ? t.charges().getFirst() : null;
        if (single == null) {
            chargeIn(c, t.charges());
        }
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
        sql.append(" RETURNING account_id");
        // With the usual single charge, one round trip for both; its reservation is closed and its
        // ledger row inserted whether or not the job moves.
        List<Object> all = new ArrayList<>();
        StringBuilder statement = new StringBuilder("WITH ");
        if (single != null) {
            statement.append("closed AS (").append(CLOSE_RESERVATION).append("), ledger AS (").append(LEDGER_INSERT).append(" RETURNING id), ");
            all.addAll(java.util.Arrays.asList(closeArgs(single, single.unknownOutcome() ? UNKNOWN_OUTCOME : "settled", single.at())));
            all.addAll(List.of(ledgerRow(single)));
        }
        statement.append("moved AS (").append(sql).append(") SELECT (SELECT account_id FROM moved), ")
                .append(single == null ? "0, NULL" : "(SELECT count(*) FROM ledger), (SELECT holds FROM closed)");
        all.addAll(args);
        String account;
        boolean inserted;
        String holds;
        try (PreparedStatement ps = c.prepareStatement(statement.toString())) {
            bind(ps, all.toArray());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                account = rs.getString(1);
                inserted = rs.getLong(2) == 1;
                holds = rs.getString(3);
            }
        }
        if (single != null) {
            recorded(c, single, inserted, holds);
        }
        if (account == null) {
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
            AuditLog.append(c, AuditLog.Dialect.POSTGRESQL, t.jobId(), AuditTrail.ofTransition(t, account));
        }
        accountHealth(c, t, account);
        if (WorkSignal.makesDue(t)) {
            notifyWork(c);
        }
        return true;
    }

    /** Counts an account's jobs that failed upstream in a row; any finished job resets the count. */
    private static void accountHealth(Connection c, JobTransition t, String account) throws SQLException {
        if (t.to() == JobStatus.FAILED && t.error() != null && UPSTREAM.contains(t.error().code())) {
            // One atomic upsert: failures on several nodes at once each count.
            later(c, "INSERT INTO account_health (account_id, failures, last_failure_at) VALUES (?, 1, ?) "
                    + "ON CONFLICT (account_id) DO UPDATE SET failures = account_health.failures + 1, last_failure_at = excluded.last_failure_at", account, t.at());
        } else if (t.to() == JobStatus.COMPLETED || t.to() == JobStatus.DEGRADED || t.to() == JobStatus.PARTIALLY_COMPLETED) {
            later(c, "UPDATE account_health SET failures = 0 WHERE failures > 0 AND account_id = ?", account);
        }
    }

    // ---- tool calls ------------------------------------------------------------------------------

    @Override
    public Optional<ToolCall> toolCall(String jobId, String stageId) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM tool_calls WHERE job_id = ? AND stage_id = ?")) {
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
                AuditLog.append(c, AuditLog.Dialect.POSTGRESQL, null, events);
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

    // ---- limits, budgets and usage -------------------------------------------------------------

    @Override
    public AccountLimits limits(String accountId) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM account_limits WHERE account_id = ?")) {
                bind(ps, accountId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return AccountLimits.NONE;
                    }
                    return new AccountLimits(longOrNull(rs, "requests_per_minute"), longOrNull(rs, "tokens_per_day"), longOrNull(rs, "cost_per_month_micros"),
                            longOrNull(rs, "max_concurrent_jobs") == null ? null : rs.getInt("max_concurrent_jobs"));
                }
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
            // A raised or lifted max_concurrent_jobs may let waiting jobs start.
            notifyWork(c);
            return null;
        });
    }

    @Override
    public Reservation.Outcome reserve(Reservation r, Charge estimate) {
        Estimates.check(r, estimate);
        return write(c -> {
            // Every counter the reservation touches is locked before any is read: reservations on
            // other nodes wait, then see what this one holds, so none overspends between them.
            Map<String, Counter> counters = lockCounters(c, r.holds().stream().map(Hold::scope).toList());
            List<Counter> next = new ArrayList<>();
            for (Hold h : r.holds()) {
                Counter now = counters.get(h.scope());
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
            // As in the SQLite store, each hold is judged against the counter as it was.
            for (int i = 0; i < next.size(); i++) {
                counters.put(r.holds().get(i).scope(), next.get(i));
            }
            putCounters(c, counters);
            var holds = Json.MAPPER.createArrayNode();
            for (Hold h : r.holds()) {
                holds.add(Json.object().put("scope", h.scope()).put("unit", h.unit().name()).put("amount", h.amount()));
            }
            // Read back by nothing before the commit that makes it durable, which is all the caller
            // waits for: it goes out with the group's other reservations in one round trip.
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

    /** Records each charge once: ledger row, counters, and the release of its reservation. */
    private static void chargeIn(Connection c, List<Charge> charges) throws SQLException {
        for (Charge ch : charges) {
            record(c, ch, ch.unknownOutcome() ? UNKNOWN_OUTCOME : "settled", ch.at());
        }
    }

    /** The state of a reservation whose call was charged at its estimate. */
    private static final String UNKNOWN_OUTCOME = "unknown_outcome";

    /**
     * Closes a charge's reservation if it is still held (returning its holds) and inserts its
     * ledger row once; the close comes first in the arguments (see {@link #closeArgs}).
     */
    private static final String CLOSE_RESERVATION = "UPDATE reservations SET state = ?, closed_at = ? WHERE id = ? AND state = 'held' RETURNING holds";

    private static Object[] closeArgs(Charge ch, String state, Instant at) {
        return new Object[] {state, at, ch.reservationId()};
    }

    /** One round trip: the reservation closed as {@code state} at {@code at}, and the ledger row. */
    private static void record(Connection c, Charge ch, String state, Instant at) throws SQLException {
        // The same charge sent by two nodes at once: the second statement waits for the first
        // transaction, then finds the row and the reservation closed, and changes nothing.
        List<Object> args = new ArrayList<>(java.util.Arrays.asList(closeArgs(ch, state, at)));
        args.addAll(java.util.Arrays.asList(ledgerRow(ch)));
        boolean inserted;
        String holds;
        try (PreparedStatement ps = c.prepareStatement("WITH closed AS (" + CLOSE_RESERVATION + "), ledger AS (" + LEDGER_INSERT + " RETURNING id) "
                + "SELECT (SELECT count(*) FROM ledger), (SELECT holds FROM closed)")) {
            bind(ps, args.toArray());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                inserted = rs.getLong(1) == 1;
                holds = rs.getString(2);
            }
        }
        recorded(c, ch, inserted, holds);
    }

    /**
     * What follows a charge's statement: with a new ledger row, its spend and its audit record;
     * with holds given back, their release. A charge that found its row already there may be the
     * provider's answer for a call charged at its estimate, which it then replaces.
     */
    private static void recorded(Connection c, Charge ch, boolean inserted, String holds) throws SQLException {
        if (!inserted && !ch.unknownOutcome() && ch.reservationId() != null) {
            replaceEstimate(c, ch);
        }
        List<JsonNode> released = new ArrayList<>();
        if (holds != null) {
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
        for (JsonNode h : released) {
            counters.compute(h.path("scope").asString(), (scope, counter) -> counter.release(h.path("amount").asLong()));
        }
        if (inserted) {
            for (Charge.CounterScope scope : ch.scopes()) {
                counters.compute(scope.scope(), (sc, counter) -> counter.settle(0, ch.amount(scope.unit())));
            }
            AuditLog.append(c, AuditLog.Dialect.POSTGRESQL, ch.jobId(), AuditTrail.modelCalls(List.of(ch)));
        }
        putCounters(c, counters);
    }

    /**
     * The answer of a call that was charged at its estimate when its node was taken for dead (it
     * was only slow): the ledger row takes the provider's figures, the counters the difference,
     * and the audit log the call as it went. Once only: the row is then no longer an estimate.
     */
    private static void replaceEstimate(Connection c, Charge ch) throws SQLException {
        String estimate;
        try (PreparedStatement ps = c.prepareStatement("SELECT r.estimate FROM usage_ledger l JOIN reservations r ON r.id = ? "
                + "WHERE l.id = ? AND l.unknown_outcome AND r.state = '" + UNKNOWN_OUTCOME + "' AND r.estimate IS NOT NULL FOR UPDATE OF l, r")) {
            bind(ps, ch.reservationId(), ch.id());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                estimate = rs.getString(1);
            }
        }
        Charge was = Estimates.fromJson(ch.reservationId(), estimate);
        update(c, "UPDATE usage_ledger SET input_tokens = ?, cached_input_tokens = ?, output_tokens = ?, cost_micros = ?, at = ?, unknown_outcome = false WHERE id = ?",
                ch.inputTokens(), ch.cachedInputTokens(), ch.outputTokens(), ch.costMicros(), ch.at(), ch.id());
        update(c, "UPDATE reservations SET state = 'settled' WHERE id = ?", ch.reservationId());
        for (Charge.CounterScope scope : was.scopes()) {
            Deferred.sum(c, STATEMENTS, ADD_SPENT, scope.scope(), -was.amount(scope.unit()));
        }
        for (Charge.CounterScope scope : ch.scopes()) {
            Deferred.sum(c, STATEMENTS, ADD_SPENT, scope.scope(), ch.amount(scope.unit()));
        }
        AuditLog.append(c, AuditLog.Dialect.POSTGRESQL, ch.jobId(), AuditTrail.modelCalls(List.of(ch)));
    }

    /** A charge's ledger row; a charge sent twice (by two nodes at once) is recorded once. */
    private static final String LEDGER_INSERT = "INSERT INTO usage_ledger (id, account_id, job_id, workflow, stage_id, provider, model, input_tokens, "
            + "cached_input_tokens, output_tokens, cost_micros, at, unknown_outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";

    private static Object[] ledgerRow(Charge ch) {
        return new Object[] {ch.id(), ch.accountId(), ch.jobId(), ch.workflow(), ch.stageId(), ch.provider(), ch.model(), ch.inputTokens(),
                ch.cachedInputTokens(), ch.outputTokens(), ch.costMicros(), ch.at(), ch.unknownOutcome()};
    }

    /** Adds to a counter's spend, creating it when new; summed per group (see {@link Deferred#sum}). */
    private static final String ADD_SPENT = "INSERT INTO budget_counters (scope, spent) VALUES (?, ?) "
            + "ON CONFLICT (scope) DO UPDATE SET spent = budget_counters.spent + excluded.spent";

    /** What follows a new ledger row of a charge that held nothing: its counters and its audit record. */
    private static void counted(Connection c, Charge ch) throws SQLException {
        for (Charge.CounterScope scope : ch.scopes()) {
            Deferred.sum(c, STATEMENTS, ADD_SPENT, scope.scope(), ch.amount(scope.unit()));
        }
        AuditLog.append(c, AuditLog.Dialect.POSTGRESQL, ch.jobId(), AuditTrail.modelCalls(List.of(ch)));
    }

    /**
     * Marks the reservations that are still held as closed and returns their holds; those closed
     * already (settled, or expired by another node) give nothing back, so no hold is released
     * twice. Locks the reservations' rows first, then (by the caller) the counters.
     */
    private static List<JsonNode> closeReservations(Connection c, List<String> ids, String state, Instant at) throws SQLException {
        List<JsonNode> holds = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("UPDATE reservations SET state = ?, closed_at = ? WHERE id = ANY (?) AND state = 'held' RETURNING holds")) {
            bind(ps, state, at, new TextArray(ids));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    for (JsonNode h : Json.parse(rs.getString(1))) {
                        holds.add(h);
                    }
                }
            }
        }
        return holds;
    }

    @Override
    public int expireReservations(Instant now) {
        // Nodes expiring at once split the work: each passes over the rows another is closing.
        return write(c -> settleHeld(c, "expires_at < ? ORDER BY id LIMIT 1000", now, now));
    }

    /**
     * Settles the held reservations matching {@code where} (rows another transaction is closing
     * are passed over): the calls of a node that died. Each is charged at its estimate as an
     * unknown outcome; one from before estimates were kept is only released. Returns how many.
     */
    private static int settleHeld(Connection c, String where, Instant now, Object... args) throws SQLException {
        Deferred.flush(c); // reservations taken earlier in this group
        List<String> plain = new ArrayList<>();
        List<Charge> estimates = new ArrayList<>();
        List<String> held = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, estimate, holds FROM reservations WHERE state = 'held' AND " + where + " FOR UPDATE SKIP LOCKED")) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getString(2) == null) {
                        plain.add(rs.getString(1));
                        continue;
                    }
                    Charge estimate = Estimates.fromJson(rs.getString(1), rs.getString(2));
                    estimates.add(estimate);
                    List<String> scopes = new ArrayList<>();
                    Json.parse(rs.getString(3)).forEach(h -> scopes.add(h.path("scope").asString()));
                    if (!scopes.isEmpty()) {
                        held.addAll(scopes);
                        estimate.scopes().forEach(sc -> held.add(sc.scope()));
                    }
                }
            }
        }
        // Every counter these settlements read is locked at once, in scope order, so that
        // settling them one by one never takes one out of order.
        lockCounters(c, held);
        for (Charge estimate : estimates) {
            record(c, estimate, UNKNOWN_OUTCOME, now);
        }
        if (!plain.isEmpty()) {
            List<JsonNode> released = closeReservations(c, plain, "expired", now);
            Map<String, Counter> counters = lockCounters(c, released.stream().map(h -> h.path("scope").asString()).toList());
            for (JsonNode h : released) {
                counters.compute(h.path("scope").asString(), (scope, counter) -> counter.release(h.path("amount").asLong()));
            }
            putCounters(c, counters);
        }
        return plain.size() + estimates.size();
    }

    /**
     * Locks the counters of {@code scopes} (creating the missing ones at zero, which reads the same
     * as absent), always in scope order so that two transactions never wait on each other's.
     */
    private static Map<String, Counter> lockCounters(Connection c, Collection<String> scopes) throws SQLException {
        TreeSet<String> sorted = new TreeSet<>(scopes);
        Map<String, Counter> counters = new TreeMap<>();
        if (sorted.isEmpty()) {
            return counters;
        }
        update(c, "INSERT INTO budget_counters (scope) SELECT s FROM unnest(?) AS s ORDER BY s ON CONFLICT (scope) DO NOTHING", new TextArray(sorted));
        try (PreparedStatement ps = c.prepareStatement("SELECT scope, spent, reserved FROM budget_counters WHERE scope = ANY (?) ORDER BY scope FOR UPDATE")) {
            bind(ps, new TextArray(sorted));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counters.put(rs.getString(1), new Counter(rs.getLong(2), rs.getLong(3)));
                }
            }
        }
        return counters;
    }

    private static void putCounters(Connection c, Map<String, Counter> counters) throws SQLException {
        if (counters.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE budget_counters SET spent = ?, reserved = ? WHERE scope = ?")) {
            for (Map.Entry<String, Counter> e : counters.entrySet()) {
                bind(ps, e.getValue().spent(), e.getValue().reserved(), e.getKey());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    @Override
    public Counter counter(String scope) {
        return read(c -> counter(c, scope));
    }

    private static Counter counter(Connection c, String scope) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT spent, reserved FROM budget_counters WHERE scope = ?")) {
            bind(ps, scope);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Counter(rs.getLong(1), rs.getLong(2)) : Counter.ZERO;
            }
        }
    }

    @Override
    public List<UsageQuery.Row> usage(UsageQuery q) {
        String key = switch (q.groupBy()) {
            case DAY -> "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
            case WORKFLOW -> "workflow";
            case MODEL -> "provider || '/' || model";
            case ACCOUNT -> "account_id";
        };
        return read(c -> {
            String sql = "SELECT " + key + " COLLATE \"C\" AS k, COUNT(*), SUM(input_tokens), SUM(cached_input_tokens), SUM(output_tokens), SUM(cost_micros), "
                    + "COUNT(*) FILTER (WHERE unknown_outcome), COALESCE(SUM(cost_micros) FILTER (WHERE unknown_outcome), 0) FROM usage_ledger "
                    + "WHERE at >= ? AND at < ?" + (q.accountId() == null ? "" : " AND account_id = ?") + " GROUP BY k ORDER BY k";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
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
            }
        });
    }

    private static void event(Connection c, String jobId, String type, JsonNode data, Instant at) throws SQLException {
        later(c, "INSERT INTO job_events (job_id, type, data, at) VALUES (?, ?, ?, ?)", jobId, type, data, at);
    }

    // ---- result cache --------------------------------------------------------------------------

    @Override
    public Optional<CachedOutput> cachedOutput(String key, Instant now) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT output, provenance, source_job FROM result_cache WHERE key = ? AND expires_at > ?")) {
                bind(ps, key, now);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<CachedOutput>empty();
                    }
                    JsonNode provenance = json(rs, "provenance");
                    return Optional.of(new CachedOutput(json(rs, "output"), provenance == null ? null : Provenance.fromJson(provenance), rs.getString("source_job")));
                }
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
        return write(c -> {
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
    }

    @Override
    public int closeReviews(String jobId, String reviewer, Instant at) {
        return write(c -> update(c, "UPDATE reviews SET status = 'rejected', reviewer = ?, note = 'the job was cancelled', decided_at = ? WHERE job_id = ? AND status = 'pending'",
                reviewer, at, jobId));
    }

    private static List<Review> loadReviews(Connection c, String where, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM reviews WHERE " + where)) {
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
        try (PreparedStatement ps = c.prepareStatement("SELECT " + JOB_COLUMNS + " FROM jobs j JOIN payloads p ON p.hash = j.input_hash WHERE " + where)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                List<Job> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(job(rs));
                }
                return out;
            }
        }
    }

    private static Job job(ResultSet rs) throws SQLException {
        String errorCode = rs.getString("error_code");
        JobError error = errorCode == null ? null
                : new JobError(ErrorCode.fromCode(errorCode).orElse(ErrorCode.INTERNAL), rs.getString("error_message"), Boolean.TRUE.equals(nullableBoolean(rs, "error_retryable")));
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
                rs.getBoolean("dead_letter"),
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
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM job_stages WHERE job_id = ? ORDER BY stage_index")) {
                bind(ps, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    List<StageRun> out = new ArrayList<>();
                    while (rs.next()) {
                        String code = rs.getString("error_code");
                        JsonNode provenance = json(rs, "provenance");
                        out.add(new StageRun(rs.getString("job_id"), rs.getInt("stage_index"), rs.getString("stage_id"), rs.getString("status"),
                                json(rs, "output"), rs.getInt("attempts"), provenance == null ? null : Provenance.fromJson(provenance),
                                new Usage(rs.getLong("input_tokens"), rs.getLong("output_tokens"), rs.getLong("cost_micros")),
                                code == null ? null : new JobError(ErrorCode.fromCode(code).orElse(ErrorCode.INTERNAL), rs.getString("error_message"),
                                        Boolean.TRUE.equals(nullableBoolean(rs, "error_retryable"))),
                                instant(rs, "started_at"), instant(rs, "completed_at")));
                    }
                    return out;
                }
            }
        });
    }

    @Override
    public List<JobEvent> events(String jobId, long afterSeq, int limit) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?")) {
                bind(ps, jobId, afterSeq, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<JobEvent> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new JobEvent(rs.getLong("seq"), rs.getString("job_id"), rs.getString("type"), json(rs, "data"), instant(rs, "at")));
                    }
                    return out;
                }
            }
        });
    }

    @Override
    public long countUnfinished(String accountId) {
        return read(c -> {
            String sql = "SELECT COUNT(*) FROM jobs WHERE status NOT IN (" + TERMINAL + ")" + (accountId == null ? "" : " AND account_id = ?");
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                if (accountId != null) {
                    bind(ps, accountId);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    public Optional<Instant> nextDueAt() {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT MIN(next_run_at) FROM jobs WHERE status IN ('queued', 'retrying')")) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return Optional.ofNullable(instant(rs, "min"));
                }
            }
        });
    }

    @Override
    public long commitCount() {
        return writer.commits();
    }

    /**
     * Runs {@code wake} on the listener's thread for every notification on {@value #CHANNEL}: this
     * node's writes and every other node's, once they commit, and once after the listener
     * reconnected.
     */
    @Override
    public void onWork(Runnable wake) {
        work.add(wake);
    }

    @Override
    public void close() {
        listener.close();
        writer.close();
        pool.close();
    }
}
