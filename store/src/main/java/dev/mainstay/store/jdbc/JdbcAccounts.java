package dev.mainstay.store.jdbc;

import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import dev.mainstay.store.AccountStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Accounts and API keys, on any dialect. Roles are kept as one comma-separated column. */
final class JdbcAccounts implements AccountStore {
    private final Sql sql;

    JdbcAccounts(Sql sql) {
        this.sql = sql;
    }

    @Override
    public void createAccount(Account account) {
        sql.write(c -> sql.update(c, "INSERT INTO accounts (id, name, plan, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                account.id(), account.name(), account.plan(), account.createdAt()));
    }

    @Override
    public Optional<Account> account(String id) {
        return sql.read(c -> sql.first(c, "SELECT * FROM accounts WHERE id = ?",
                rs -> new Account(rs.getString("id"), rs.getString("name"), rs.getString("plan"), sql.instant(rs, "created_at")), id));
    }

    @Override
    public boolean addApiKey(ApiKey key) {
        return sql.write(c -> sql.update(c, "INSERT INTO api_keys (id, account_id, key_hash, prefix, roles, admin, created_at, name, expires_at, revoked_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_hash) DO NOTHING",
                key.id(), key.accountId(), key.hash(), key.prefix(), String.join(",", key.roles()), key.admin(), key.createdAt(),
                key.name(), key.expiresAt(), key.revokedAt()) == 1);
    }

    @Override
    public Optional<Principal> principalForKeyHash(String keyHash) {
        return sql.read(c -> sql.first(c, "SELECT id, account_id, roles, admin FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
                rs -> new Principal(rs.getString("account_id"), rs.getString("id"), roles(rs), rs.getBoolean("admin")), keyHash));
    }

    @Override
    public Optional<ApiKey> apiKeyByHash(String keyHash) {
        return sql.read(c -> sql.first(c, "SELECT * FROM api_keys WHERE key_hash = ?", this::apiKey, keyHash));
    }

    @Override
    public List<ApiKey> apiKeys(String accountId) {
        return sql.read(c -> sql.list(c, "SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id", this::apiKey, accountId));
    }

    @Override
    public Optional<ApiKey> revokeApiKey(String accountId, String keyId, Instant at) {
        return sql.write(c -> {
            sql.update(c, "UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at IS NULL", at, accountId, keyId);
            return sql.first(c, "SELECT * FROM api_keys WHERE account_id = ? AND id = ?", this::apiKey, accountId, keyId);
        });
    }

    private ApiKey apiKey(ResultSet rs) throws SQLException {
        return new ApiKey(rs.getString("id"), rs.getString("account_id"), rs.getString("key_hash"), rs.getString("prefix"), roles(rs),
                rs.getBoolean("admin"), sql.instant(rs, "created_at"), rs.getString("name"), sql.instant(rs, "expires_at"), sql.instant(rs, "revoked_at"));
    }

    private static Set<String> roles(ResultSet rs) throws SQLException {
        String roles = rs.getString("roles");
        return roles.isEmpty() ? Set.of() : Set.copyOf(Arrays.asList(roles.split(",")));
    }
}
