package dev.mainstay.server.webhooks;

import dev.mainstay.ConfigException;
import dev.mainstay.webhook.SecretBox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the node's secrets key comes from: {@code MAINSTAY_SECRETS_KEY} (base64 of 32 bytes), else
 * {@code secrets.key} in the data directory, created on first start (owner-only permissions).
 * Every node of a cluster must be given the same key through the environment.
 */
public final class SecretsKey {
    private static final Logger LOG = LoggerFactory.getLogger(SecretsKey.class);
    public static final String ENV = "MAINSTAY_SECRETS_KEY";
    static final String FILE = "secrets.key";

    private SecretsKey() {
    }

    /**
     * The node's box.
     *
     * @param fromEnv the value of {@code MAINSTAY_SECRETS_KEY}, or null
     * @param shared whether other nodes share the database (PostgreSQL): a key made here would not be theirs, which is said at start
     */
    public static SecretBox load(String fromEnv, Path dataDir, boolean shared) {
        if (fromEnv != null && !fromEnv.isBlank()) {
            try {
                return SecretBox.of(fromEnv);
            } catch (ConfigException e) {
                throw new ConfigException(ENV + ": " + e.getMessage());
            }
        }
        Path file = dataDir.resolve(FILE);
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(dataDir);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Files.writeString(file, SecretBox.newKey() + "\n", StandardCharsets.US_ASCII);
                    if (shared) {
                        LOG.warn("created the secrets key {}; every node on this database needs the same key: set {} on each from this file", file, ENV);
                    }
                } catch (FileAlreadyExistsException raced) {
                    // Another process made it first: read theirs.
                } catch (UnsupportedOperationException notPosix) {
                    Files.writeString(file, SecretBox.newKey() + "\n", StandardCharsets.US_ASCII);
                }
            }
            return SecretBox.of(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new ConfigException("cannot read or create the secrets key " + file + ": " + e.getMessage() + " (or set " + ENV + ")", e);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }
}
