package dev.mainstay.server;

import dev.mainstay.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options of a command that works on an existing database rather than serving one
 * ({@code audit verify}, {@code erase}, {@code eval export-cases}): the configuration, and the data
 * directory or PostgreSQL URL over it.
 */
final class DatabaseOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (default: $MAINSTAY_CONFIG, else none)")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "where the SQLite file and the erasure log live (default: var)")
    Path dataDir;

    @Option(names = "--db", paramLabel = "URL", description = {"PostgreSQL instead:", "postgresql://user:password@host:port/database", "(default: $MAINSTAY_DB_URL)"})
    String db;

    /**
     * The configuration with these options over the environment.
     *
     * @throws ConfigException when it names a SQLite file that does not exist: a command that reads
     *     a database must not create an empty one
     */
    ServerConfig load() {
        Map<String, String> env = new HashMap<>(System.getenv());
        if (dataDir != null) {
            env.put("MAINSTAY_DATA_DIR", dataDir.toString());
        }
        if (db != null) {
            env.put("MAINSTAY_DB_URL", db);
        }
        ServerConfig cfg = ServerConfig.load(Main.configFile(config, env), env);
        if (cfg.database() instanceof Database.Sqlite sqlite && !Files.isRegularFile(sqlite.file())) {
            throw new ConfigException(sqlite.file() + ": no Mainstay database here; pass --data-dir or --db");
        }
        return cfg;
    }
}
