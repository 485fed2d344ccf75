package dev.mainstay.engine;

import dev.mainstay.ErrorCode;
import dev.mainstay.access.Account;
import dev.mainstay.access.Principal;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Admission;
import dev.mainstay.limits.Hold;
import dev.mainstay.limits.Reservation;
import dev.mainstay.limits.Scope;
import dev.mainstay.limits.WorkflowLimits;
import dev.mainstay.provider.Message;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.provider.Target;
import dev.mainstay.store.Store;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.usage.TokenEstimator;
import dev.mainstay.workflow.WorkflowDefinition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The account side of limits: what a submit must pass (eligibility, request rate, used-up quotas,
 * failure cooldown), the budget a model call reserves before it is made, and the charge that
 * settles it. Every check that must hold across nodes is made by the store in one transaction;
 * this class only decides which limits apply.
 */
final class Quotas {
    /** How long an account's plan and limits are reused before they are read again. */
    private static final Duration ACCOUNT_TTL = Duration.ofSeconds(1);

    private final Store store;
    private final PriceTable prices;
    private final TokenEstimator tokens = new TokenEstimator();
    private final Clock clock;
    private final EngineConfig config;
    private final JobIds ids;
    private final Map<String, Cached> accounts = new ConcurrentHashMap<>();

    private record Cached(String plan, AccountLimits limits, Instant until) {
    }

    /** What a reservation attempt gave. */
    sealed interface Held {
        /** Go ahead; {@code reservationId} is null when no limit applied to the call. */
        record Granted(String reservationId) implements Held {
        }

        record Refused(Reservation.Outcome.Refused refusal) implements Held {
        }
    }

    Quotas(Store store, PriceTable prices, Clock clock, EngineConfig config, JobIds ids) {
        this.store = store;
        this.prices = prices;
        this.clock = clock;
        this.config = config;
        this.ids = ids;
    }

    /** The account's limits as enforced: what an operator set, else the configured defaults. */
    AccountLimits effective(String accountId) {
        return account(accountId).limits().orElse(config.defaultLimits());
    }

    void forget(String accountId) {
        accounts.remove(accountId);
    }

    private Cached account(String accountId) {
        Instant now = clock.instant();
        Cached c = accounts.get(accountId);
        if (c == null || now.isAfter(c.until())) {
            String plan = store.account(accountId).map(Account::plan).orElse("");
            c = new Cached(plan, store.limits(accountId), now.plus(ACCOUNT_TTL));
            accounts.put(accountId, c);
        }
        return c;
    }

    /**
     * Refuses a caller the workflow's eligibility rules exclude.
     *
     * @throws NotEligibleException naming the rule
     */
    void checkEligible(Principal principal, WorkflowDefinition wf) {
        WorkflowLimits rules = wf.limits();
        if (!rules.plans().isEmpty()) {
            String plan = account(principal.accountId()).plan();
            if (!rules.plans().contains(plan)) {
                throw new NotEligibleException("workflow " + wf.name() + " is available on the plans " + sorted(rules.plans()) + "; account "
                        + principal.accountId() + " is on '" + plan + "'");
            }
        }
        if (!rules.roles().isEmpty() && rules.roles().stream().noneMatch(principal.roles()::contains)) {
            throw new NotEligibleException("workflow " + wf.name() + " needs an API key with one of the roles " + sorted(rules.roles())
                    + "; this key has " + sorted(principal.roles()));
        }
    }

    private static List<String> sorted(java.util.Set<String> s) {
        return s.stream().sorted().toList();
    }

    /** The limits a submit of {@code wf} by this account must pass. */
    Admission admission(String accountId, WorkflowDefinition wf, Instant now) {
        AccountLimits acct = effective(accountId);
        AccountLimits own = wf.limits().perAccount();
        String who = "account " + accountId;
        String whoWf = "workflow " + wf.name() + " for account " + accountId;
        List<Admission.Bucket> buckets = new ArrayList<>();
        if (acct.requestsPerMinute() != null) {
            buckets.add(new Admission.Bucket("rpm/" + accountId, acct.requestsPerMinute(), Duration.ofMinutes(1), "requests_per_minute", who));
        }
        if (own.requestsPerMinute() != null) {
            buckets.add(new Admission.Bucket("rpm/" + accountId + "/wf/" + wf.name(), own.requestsPerMinute(), Duration.ofMinutes(1), "requests_per_minute", whoWf));
        }
        List<Admission.Ceiling> ceilings = new ArrayList<>();
        if (acct.costPerMonthMicros() != null) {
            ceilings.add(new Admission.Ceiling(Scope.accountCost(accountId, now), acct.costPerMonthMicros(), Hold.Unit.MICRO_USD, "cost_per_month_usd", who, Scope.monthEnd(now)));
        }
        if (acct.tokensPerDay() != null) {
            ceilings.add(new Admission.Ceiling(Scope.accountTokens(accountId, now), acct.tokensPerDay(), Hold.Unit.TOKENS, "tokens_per_day", who, Scope.dayEnd(now)));
        }
        if (own.costPerMonthMicros() != null) {
            ceilings.add(new Admission.Ceiling(Scope.workflowCost(accountId, wf.name(), now), own.costPerMonthMicros(), Hold.Unit.MICRO_USD, "cost_per_month_usd", whoWf, Scope.monthEnd(now)));
        }
        if (own.tokensPerDay() != null) {
            ceilings.add(new Admission.Ceiling(Scope.workflowTokens(accountId, wf.name(), now), own.tokensPerDay(), Hold.Unit.TOKENS, "tokens_per_day", whoWf, Scope.dayEnd(now)));
        }
        Admission.Cooldown cooldown = config.cooldownFailures() > 0 ? new Admission.Cooldown(accountId, config.cooldownFailures(), config.cooldown()) : null;
        return new Admission(buckets, ceilings, cooldown);
    }

    /**
     * Reserves the most a call can cost: the prompt's estimated tokens plus {@code maxOutputTokens},
     * priced, against every budget that applies to it. The reservation expires one lease after the
     * call's timeout: by then the call has settled, or its node is gone and the job runs elsewhere.
     */
    Held reserve(Job job, WorkflowDefinition wf, Target t, List<Message> messages, String schema, int maxOutputTokens, Duration timeout) {
        Instant now = clock.instant();
        AccountLimits acct = effective(job.accountId());
        AccountLimits own = wf.limits().perAccount();
        long input = tokens.estimate(t.model(), messages, schema);
        long tokensMax = input + maxOutputTokens;
        long costMax = prices.costMicros(t.provider(), t.model(), input, 0, maxOutputTokens);
        String who = "account " + job.accountId();
        String whoWf = "workflow " + wf.name() + " for account " + job.accountId();
        List<Hold> holds = new ArrayList<>();
        if (acct.costPerMonthMicros() != null) {
            holds.add(new Hold(Scope.accountCost(job.accountId(), now), Hold.Unit.MICRO_USD, costMax, acct.costPerMonthMicros(), ErrorCode.BUDGET_EXCEEDED,
                    "cost_per_month_usd", who, Scope.monthEnd(now)));
        }
        if (acct.tokensPerDay() != null) {
            holds.add(new Hold(Scope.accountTokens(job.accountId(), now), Hold.Unit.TOKENS, tokensMax, acct.tokensPerDay(), ErrorCode.QUOTA_EXCEEDED,
                    "tokens_per_day", who, Scope.dayEnd(now)));
        }
        if (own.costPerMonthMicros() != null) {
            holds.add(new Hold(Scope.workflowCost(job.accountId(), wf.name(), now), Hold.Unit.MICRO_USD, costMax, own.costPerMonthMicros(), ErrorCode.BUDGET_EXCEEDED,
                    "cost_per_month_usd", whoWf, Scope.monthEnd(now)));
        }
        if (own.tokensPerDay() != null) {
            holds.add(new Hold(Scope.workflowTokens(job.accountId(), wf.name(), now), Hold.Unit.TOKENS, tokensMax, own.tokensPerDay(), ErrorCode.QUOTA_EXCEEDED,
                    "tokens_per_day", whoWf, Scope.dayEnd(now)));
        }
        if (wf.limits().costPerJobMicros() != null) {
            holds.add(new Hold(Scope.jobCost(job.id()), Hold.Unit.MICRO_USD, costMax, wf.limits().costPerJobMicros(), ErrorCode.BUDGET_EXCEEDED,
                    "cost_per_job_usd", "job " + job.id(), null));
        }
        if (holds.isEmpty()) {
            return new Held.Granted(null);
        }
        Reservation r = new Reservation(ids.next("rsv"), job.accountId(), job.id(), holds, now, now.plus(timeout).plus(config.lease()));
        return switch (store.reserve(r)) {
            case Reservation.Outcome.Granted g -> new Held.Granted(g.id());
            case Reservation.Outcome.Refused refused -> new Held.Refused(refused);
        };
    }

    /**
     * What a call cost, to be recorded once: the provider's reported usage when it answered,
     * nothing otherwise (a failed call is still recorded, and releases its reservation).
     */
    Charge charge(Job job, WorkflowDefinition wf, String stageId, Target t, String reservationId, Optional<ProviderOutcome.Success> answer) {
        Instant now = clock.instant();
        long in = answer.map(ProviderOutcome.Success::inputTokens).orElse(0L);
        long cached = answer.map(ProviderOutcome.Success::cachedInputTokens).orElse(0L);
        long out = answer.map(ProviderOutcome.Success::outputTokens).orElse(0L);
        long cost = prices.costMicros(t.provider(), t.model(), in, cached, out);
        List<Charge.CounterScope> scopes = List.of(
                new Charge.CounterScope(Scope.accountCost(job.accountId(), now), Hold.Unit.MICRO_USD),
                new Charge.CounterScope(Scope.accountTokens(job.accountId(), now), Hold.Unit.TOKENS),
                new Charge.CounterScope(Scope.workflowCost(job.accountId(), wf.name(), now), Hold.Unit.MICRO_USD),
                new Charge.CounterScope(Scope.workflowTokens(job.accountId(), wf.name(), now), Hold.Unit.TOKENS),
                new Charge.CounterScope(Scope.jobCost(job.id()), Hold.Unit.MICRO_USD));
        return new Charge(ids.next("chg"), reservationId, job.accountId(), job.id(), wf.name(), stageId, t.provider(), t.model(), in, cached, out, cost, now, scopes);
    }
}
