package dev.mainstay.server;

import dev.mainstay.ConfigException;
import dev.mainstay.store.postgres.PostgresStore;
import dev.mainstay.store.sqlite.SqliteStore;
import dev.mainstay.workflow.YamlDocument;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Where a node keeps its state: the closed set of stores. */
public sealed interface Database {
    /** The embedded default: one SQLite file in the data directory, for one node. */
    record Sqlite(Path file, SqliteStore.Durability durability) implements Database {
    }

    /** One PostgreSQL database shared by any number of nodes. */
    record Postgres(PostgresStore.Config config) implements Database {
    }

    /**
     * PostgreSQL when a URL is given ({@code MAINSTAY_DB_URL}, which {@code --db} sets, else
     * {@code storage.postgresql.url}), SQLite otherwise. The password may come from the URL, from
     * {@code MAINSTAY_DB_PASSWORD}, or from the variable {@code storage.postgresql.password_env}
     * names, so it need not be written into a file or shown in a process list.
     */
    static Database read(YamlDocument doc, Map<String, String> env, Path sqliteFile, SqliteStore.Durability durability) {
        String envUrl = env.get("MAINSTAY_DB_URL");
        boolean fromEnv = envUrl != null && !envUrl.isBlank();
        Optional<String> fileUrl = doc.text("/storage/postgresql/url");
        if (!fromEnv && fileUrl.isEmpty()) {
            if (doc.has("/storage/postgresql")) {
                throw doc.error("/storage/postgresql/url", "is required to use PostgreSQL, e.g. postgresql://mainstay:secret@db.internal:5432/mainstay");
            }
            return new Database.Sqlite(sqliteFile, durability);
        }
        String password = env.get("MAINSTAY_DB_PASSWORD");
        Optional<String> passwordEnv = doc.text("/storage/postgresql/password_env");
        if (password == null && passwordEnv.isPresent()) {
            password = env.get(passwordEnv.get());
            if (password == null) {
                throw doc.error("/storage/postgresql/password_env", "names the environment variable " + passwordEnv.get() + ", which is not set");
            }
        }
        PostgresStore.Config config;
        try {
            config = PostgresStore.Config.parse(fromEnv ? envUrl : fileUrl.get(), password);
        } catch (IllegalArgumentException e) {
            throw fromEnv
                    ? new ConfigException("MAINSTAY_DB_URL (or --db): " + e.getMessage())
                    : doc.error("/storage/postgresql/url", e.getMessage());
        }
        int poolSize = env.containsKey("MAINSTAY_DB_POOL_SIZE")
                ? ServerConfig.envInt(env, "MAINSTAY_DB_POOL_SIZE", 2, 1000)
                : doc.integer("/storage/postgresql/pool_size", PostgresStore.DEFAULT_POOL_SIZE, 2, 1000);
        config = config.withPoolSize(poolSize)
                .withConnectTimeout(atLeast(doc, "/storage/postgresql/connect_timeout", PostgresStore.DEFAULT_CONNECT_TIMEOUT, Duration.ofMillis(250)))
                .withStatementTimeout(atLeast(doc, "/storage/postgresql/statement_timeout", PostgresStore.DEFAULT_STATEMENT_TIMEOUT, Duration.ofMillis(100)))
                .withLockTimeout(atLeast(doc, "/storage/postgresql/lock_timeout", PostgresStore.DEFAULT_LOCK_TIMEOUT, Duration.ofMillis(100)));
        return new Database.Postgres(config);
    }

    private static Duration atLeast(YamlDocument doc, String pointer, Duration defaultValue, Duration min) {
        Duration d = doc.duration(pointer, defaultValue);
        if (d.compareTo(min) < 0) {
            throw doc.error(pointer, "must be at least " + min.toMillis() + "ms");
        }
        return d;
    }
}
