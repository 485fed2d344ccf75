package dev.mainstay.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mainstay.store.StoreException;
import dev.mainstay.store.jdbc.GroupCommitter;
import dev.mainstay.store.jdbc.JdbcStore;
import dev.mainstay.store.jdbc.WorkSignal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import org.flywaydb.core.Flyway;

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
public final class PostgresStore extends JdbcStore {
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

    private PostgresStore(Config config, PostgresDialect dialect) {
        super(dialect);
        this.config = config;
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
        return new PostgresStore(config, new PostgresDialect(writer, work, pool, listener));
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
                PostgresDialect.discardDead(pool, connection);
                return;
            }
            try {
                connection.close();
            } catch (SQLException e) {
                pool.evictConnection(connection);
            }
        }
    }
}
