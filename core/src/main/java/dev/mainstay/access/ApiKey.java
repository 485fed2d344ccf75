package dev.mainstay.access;

import java.time.Instant;
import java.util.Set;

/**
 * A stored API key. Only the SHA-256 of the secret is kept; {@code prefix} (the first characters)
 * lets an operator recognise a key without the secret.
 *
 * @param name what the operator called it, or {@code null}
 * @param expiresAt when it stops working, or {@code null} for never
 * @param revokedAt when it was revoked, or {@code null} while it is live
 */
public record ApiKey(String id, String accountId, String hash, String prefix, Set<String> roles, boolean admin, Instant createdAt,
        String name, Instant expiresAt, Instant revokedAt) {
    public ApiKey {
        roles = Set.copyOf(roles);
    }

    /** A live key without a name or expiry. */
    public ApiKey(String id, String accountId, String hash, String prefix, Set<String> roles, boolean admin, Instant createdAt) {
        this(id, accountId, hash, prefix, roles, admin, createdAt, null, null, null);
    }

    /** Whether the key authenticates at {@code now}: not revoked and not past its expiry. */
    public boolean usableAt(Instant now) {
        return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
    }

    /** The caller this key makes. */
    public Principal principal() {
        return new Principal(accountId, id, roles, admin);
    }
}
