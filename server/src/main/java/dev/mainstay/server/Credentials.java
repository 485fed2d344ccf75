package dev.mainstay.server;

import dev.mainstay.Json;
import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.ApiKeys;
import dev.mainstay.server.http.NewAccounts;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The keys a fresh node starts with: the demo account's API key and the operator's admin key.
 * Fixed by configuration when given; otherwise made once and kept in {@code <data dir>/credentials.json}
 * (mode 600) so every start prints the same keys. The database holds only their hashes.
 */
record Credentials(String demoApiKey, String adminKey) {
    static final String DEMO_ACCOUNT = "acct_demo";
    static final String OPERATOR_ACCOUNT = "acct_operator";

    static Credentials bootstrap(ServerConfig config, Store store, Instant now) {
        Path file = config.dataDir().resolve("credentials.json");
        JsonNode saved = read(file);
        String demo = config.demoApiKey().orElseGet(() -> saved.path("demo_api_key").asString(""));
        String admin = config.adminKey().orElseGet(() -> saved.path("admin_key").asString(""));
        boolean changed = false;
        if (demo.isEmpty()) {
            demo = ApiKeys.newSecret(false);
            changed = true;
        }
        if (admin.isEmpty()) {
            admin = ApiKeys.newSecret(true);
            changed = true;
        }
        if (changed) {
            ObjectNode out = Json.object().put("demo_api_key", config.demoApiKey().isPresent() ? "" : demo)
                    .put("admin_key", config.adminKey().isPresent() ? "" : admin);
            write(file, out);
        }
        for (Account account : List.of(new Account(DEMO_ACCOUNT, "Demo", "free", now), new Account(OPERATOR_ACCOUNT, "Operator", "internal", now))) {
            boolean fresh = store.account(account.id()).isEmpty();
            store.createAccount(account);
            if (fresh) {
                NewAccounts.applyLimits(store, account.id(), config.newAccountLimits(), now);
            }
        }
        store.addApiKey(new ApiKey("key_demo_" + ApiKeys.hash(demo).substring(0, 12), DEMO_ACCOUNT, ApiKeys.hash(demo), ApiKeys.prefix(demo), Set.of("member"), false, now, "demo", null, null));
        store.addApiKey(new ApiKey("key_admin_" + ApiKeys.hash(admin).substring(0, 12), OPERATOR_ACCOUNT, ApiKeys.hash(admin), ApiKeys.prefix(admin), Set.of("admin"), true, now, "admin", null, null));
        return new Credentials(demo, admin);
    }

    private static JsonNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            return Json.object();
        }
        try {
            return Optional.ofNullable(Json.parse(Files.readString(file))).orElse(Json.object());
        } catch (IOException | RuntimeException e) {
            throw new StoreException(file + ": cannot read the saved keys (" + e.getMessage() + "); delete the file to make new ones");
        }
    }

    private static void write(Path file, JsonNode content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, Json.write(content) + "\n", StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
        } catch (IOException e) {
            throw new StoreException(file + ": cannot save the generated keys: " + e.getMessage(), e);
        }
    }
}
