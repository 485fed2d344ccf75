package dev.mainstay.store;

import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Accounts and their API keys; keys are kept as hashes only. */
public interface AccountStore {
    void createAccount(Account account);

    Optional<Account> account(String id);

    /** Inserts the key; returns false when a key with that hash already exists. */
    boolean addApiKey(ApiKey key);

    /** The caller behind a key that is not revoked. Expiry is not checked: see {@link #apiKeyByHash}. */
    Optional<Principal> principalForKeyHash(String keyHash);

    /** The key with this hash, whatever its state (revoked and expired keys too). */
    Optional<ApiKey> apiKeyByHash(String keyHash);

    /** One account's keys, oldest first, revoked ones included. */
    List<ApiKey> apiKeys(String accountId);

    /**
     * Revokes one of the account's keys at {@code at}; revoking a revoked key keeps its first
     * revocation time. Empty when the account has no key {@code keyId}.
     */
    Optional<ApiKey> revokeApiKey(String accountId, String keyId, Instant at);
}
