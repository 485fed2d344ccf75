package dev.mainstay.server.http;

import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.store.Store;
import java.time.Instant;
import java.util.List;

/**
 * What a just-created account starts with, whether the admin API made it or a node's first start
 * did ({@code acct_demo}, {@code acct_operator}): the configured {@code limits.defaults}.
 */
public final class NewAccounts {
    /** Who set the limits a new account starts with. */
    public static final String SYSTEM_DEFAULTS = "system:limits.defaults";

    private NewAccounts() {
    }

    /**
     * Gives a just-created account the configured {@code limits.defaults} as its own limits,
     * recorded and audited as set by {@code system:limits.defaults}. Nothing without them: an
     * account then has only what {@code limits.accounts} fills in, which may be no limit at all.
     */
    public static void applyLimits(Store store, String accountId, AccountLimits limits, Instant now) {
        if (limits.equals(AccountLimits.NONE)) {
            return;
        }
        store.setLimits(accountId, limits, SYSTEM_DEFAULTS, now);
        store.audit(List.of(new AuditEvent(now, SYSTEM_DEFAULTS, AuditAction.LIMITS_CHANGED, accountId, accountId, limits.toJson())));
    }
}
