package dev.mainstay.limits;

import dev.mainstay.workflow.YamlDocument;
import java.util.Set;

/**
 * What a workflow declares about which accounts may run it and how much: tighter limits for each
 * account's use of this workflow, a budget per job, and eligibility by plan. Which of an
 * account's keys may run it is the workflow's {@code access.run}
 * ({@link dev.mainstay.access.WorkflowAccess}), which also reads the older spelling
 * {@code eligibility.roles}.
 *
 * @param perAccount limits on each account's use of this workflow (on top of the account's own)
 * @param costPerJobMicros the most one job may spend on model calls, or {@code null}
 * @param plans the account plans that may run it; empty for all
 */
public record WorkflowLimits(AccountLimits perAccount, Long costPerJobMicros, Set<String> plans) {
    public static final WorkflowLimits NONE = new WorkflowLimits(AccountLimits.NONE, null, Set.of());

    public WorkflowLimits {
        plans = Set.copyOf(plans);
    }

    /** Reads {@code limits:} and {@code eligibility:} of a workflow document ({@code eligibility.roles} is read as access). */
    public static WorkflowLimits parse(YamlDocument doc) {
        AccountLimits perAccount = AccountLimits.NONE;
        Long perJob = null;
        if (doc.has("/limits")) {
            doc.requireObject("/limits");
            doc.onlyKeys("/limits", "requests_per_minute", "tokens_per_day", "cost_per_month_usd", "cost_per_job_usd", "max_concurrent_jobs");
            if (doc.has("/limits/max_concurrent_jobs")) {
                throw doc.error("/limits/max_concurrent_jobs", "is set per account (PUT /v1/admin/accounts/{id}/limits); a workflow bounds its own concurrency with 'concurrency'");
            }
            Long rpm = doc.has("/limits/requests_per_minute") ? (long) doc.integer("/limits/requests_per_minute", 1, 1, Integer.MAX_VALUE) : null;
            Long tpd = doc.has("/limits/tokens_per_day") ? (long) doc.integer("/limits/tokens_per_day", 0, 0, Integer.MAX_VALUE) : null;
            Long month = money(doc, "/limits/cost_per_month_usd");
            perJob = money(doc, "/limits/cost_per_job_usd");
            perAccount = new AccountLimits(rpm, tpd, month, null);
        }
        Set<String> plans = Set.of();
        if (doc.has("/eligibility")) {
            doc.requireObject("/eligibility");
            doc.onlyKeys("/eligibility", "plans", "roles");
            plans = doc.has("/eligibility/plans") ? Set.copyOf(doc.textList("/eligibility/plans")) : Set.of();
        }
        return new WorkflowLimits(perAccount, perJob, plans);
    }

    private static Long money(YamlDocument doc, String pointer) {
        if (!doc.has(pointer)) {
            return null;
        }
        if (!doc.node(pointer).isString()) {
            throw doc.error(pointer, "must be a quoted decimal string of US dollars, e.g. \"0.05\" (money is never a float)");
        }
        try {
            return AccountLimits.Money.micros(doc.node(pointer).asString());
        } catch (IllegalArgumentException e) {
            throw doc.error(pointer, e.getMessage());
        }
    }
}
