package dev.mainstay.access;

import java.util.Set;

/** Who is calling: the account and key behind a request, with the key's roles. */
public record Principal(String accountId, String keyId, Set<String> roles, boolean admin) {
    public Principal {
        roles = Set.copyOf(roles);
    }
}
