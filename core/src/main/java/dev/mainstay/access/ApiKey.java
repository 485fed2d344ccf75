package dev.mainstay.access;

import java.time.Instant;
import java.util.Set;

/**
 * A stored API key. Only the SHA-256 of the secret is kept; {@code prefix} (the first characters)
 * lets an operator recognise a key without the secret.
 */
public record ApiKey(String id, String accountId, String hash, String prefix, Set<String> roles, boolean admin, Instant createdAt) {
    public ApiKey {
        roles = Set.copyOf(roles);
    }
}
