package dev.mainstay.engine;

import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.job.JobIds;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.RefusalCount;
import dev.mainstay.provider.Routes;
import dev.mainstay.store.Store;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.usage.UsageQuery;
import dev.mainstay.workflow.WorkflowDefinition;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Limits administration beside the engine: an account's limits as set and as enforced, changes
 * an operator makes at runtime, the usage ledger, and where an account stands against its
 * budgets. The engine reads limits afresh on every submit and model call, so a change applies
 * on every node from the next one.
 */
public final class LimitsAdmin {
    private final Store store;
    private final Quotas quotas;
    private final Clock clock;
    private final AccountLimits defaults;
    private final Runnable changed;

    /** The limits set on an account (unset ones {@code null}) and the limits enforced (defaults filled in). */
    public record AccountLimitsView(AccountLimits set, AccountLimits effective) {
    }

    /**
     * @param routes and {@code prices}: what the standing's first-call estimates are priced with,
     *     the same as the engine's
     * @param changed run after every change, e.g. {@link Engine#wake}: a raised concurrency limit
     *     may let waiting jobs start
     */
    public LimitsAdmin(Store store, Routes routes, PriceTable prices, Clock clock, EngineConfig config, Runnable changed) {
        this.store = store;
        this.quotas = new Quotas(store, prices, routes, clock, config, new JobIds(clock));
        this.clock = clock;
        this.defaults = config.defaultLimits();
        this.changed = changed;
    }

    public AccountLimitsView limits(String accountId) {
        AccountLimits set = store.limits(accountId);
        return new AccountLimitsView(set, set.orElse(defaults));
    }

    /** Replaces an account's limits at runtime; {@code actor} (a key id) is recorded with the change. */
    public AccountLimitsView setLimits(String accountId, AccountLimits limits, String actor) {
        Instant now = clock.instant();
        store.setLimits(accountId, limits, actor, now);
        store.audit(List.of(new AuditEvent(now, "key:" + actor, AuditAction.LIMITS_CHANGED, accountId, accountId, limits.toJson())));
        changed.run();
        return limits(accountId);
    }

    public List<UsageQuery.Row> usage(UsageQuery query) {
        return store.usage(query);
    }

    /**
     * Submits refused at admission from day {@code from} to {@code to} (UTC, both included), of
     * {@code accountId} or (with {@code null}) every account. Each node adds its counts every few
     * seconds, so the newest refusals may not show yet.
     */
    public List<RefusalCount> refusals(String accountId, java.time.LocalDate from, java.time.LocalDate to) {
        return store.refusals(accountId, from, to);
    }

    /** The account's budgets as they stand, and what the first call of each of {@code workflows} needs of them. */
    public BudgetStanding standing(String accountId, List<WorkflowDefinition> workflows) {
        return quotas.standing(accountId, workflows, clock.instant());
    }
}
