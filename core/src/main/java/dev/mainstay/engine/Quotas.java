package dev.mainstay.engine;

import dev.mainstay.access.Account;
import dev.mainstay.access.Principal;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.Admission;
import dev.mainstay.limits.Counter;
import dev.mainstay.limits.LimitHit;
import dev.mainstay.limits.Hold;
import dev.mainstay.limits.NotEligibleException;
import dev.mainstay.limits.Reservation;
import dev.mainstay.limits.Scope;
import dev.mainstay.limits.WorkflowLimits;
import dev.mainstay.provider.Message;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.provider.Routes;
import dev.mainstay.provider.Target;
import dev.mainstay.store.Store;
import dev.mainstay.usage.BilledTokens;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.usage.TokenEstimator;
import dev.mainstay.workflow.WorkflowDefinition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The account side of limits: what a submit must pass (eligibility, request rate, used-up quotas,
 * failure cooldown), the budget a model call reserves before it is made, and the charge that
 * settles it. Every check that must hold across nodes is made by the store in one transaction;
 * this class only decides which limits apply.
 */
final class Quotas {
    /**
     * How long an account's plan is reused before it is read again. Its limits are not cached:
     * a limit an operator sets applies on every node from the next submit or model call.
     */
    private static final Duration ACCOUNT_TTL = Duration.ofSeconds(1);

    private final Store store;
    private final PriceTable prices;
    private final TokenEstimator tokens = new TokenEstimator();
    private final Clock clock;
    private final EngineConfig config;
    private final JobIds ids;
    private final Map<String, Cached> accounts = new ConcurrentHashMap<>();
    private final Routes routes;
    /** By workflow name, version and content hash: prices and routes are fixed while the node runs. */
    private final Map<String, FirstCall> firstCalls = new ConcurrentHashMap<>();

    private record Cached(String plan, Instant until) {
    }

    /** What a reservation attempt gave. */
    sealed interface Held {
        /** Go ahead: the call is on record as in flight under {@code reservationId}. */
        record Granted(String reservationId) implements Held {
        }

        record Refused(Reservation.Outcome.Refused refusal) implements Held {
        }
    }

    Quotas(Store store, PriceTable prices, Routes routes, Clock clock, EngineConfig config, JobIds ids) {
        this.store = store;
        this.routes = routes;
        this.prices = prices;
        this.clock = clock;
        this.config = config;
        this.ids = ids;
    }

    /** The account's limits as enforced: what an operator set, else the configured defaults. */
    AccountLimits effective(String accountId) {
        return store.limits(accountId).orElse(config.defaultLimits());
    }

    private Cached account(String accountId) {
        Instant now = clock.instant();
        Cached c = accounts.get(accountId);
        if (c == null || now.isAfter(c.until())) {
            String plan = store.account(accountId).map(Account::plan).orElse("");
            c = new Cached(plan, now.plus(ACCOUNT_TTL));
            accounts.put(accountId, c);
        }
        return c;
    }

    /**
     * Refuses an account whose plan the workflow's eligibility rules exclude. Roles are not
     * checked here: the workflow's {@code access.run} decides them, before the input is read.
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
    }

    private static List<String> sorted(java.util.Set<String> s) {
        return s.stream().sorted().toList();
    }

    /** One budget that applies: the counter its spend is kept under, and its limit. */
    private record Budget(String scope, Hold.Unit unit, long max, String limit, String label, Instant resetsAt) {
    }

    /**
     * The budgets of the account, of this workflow for the account, and (with a {@code jobId}) of
     * the job, each only when a limit is set.
     */
    private List<Budget> budgets(String accountId, WorkflowDefinition wf, String jobId, Instant now) {
        AccountLimits acct = effective(accountId);
        AccountLimits own = wf.limits().perAccount();
        String who = "account " + accountId;
        String whoWf = "workflow " + wf.name() + " for account " + accountId;
        List<Budget> out = new ArrayList<>();
        if (acct.costPerMonthMicros() != null) {
            out.add(new Budget(Scope.accountCost(accountId, now), Hold.Unit.MICRO_USD, acct.costPerMonthMicros(), "cost_per_month_usd", who, Scope.monthEnd(now)));
        }
        if (acct.tokensPerDay() != null) {
            out.add(new Budget(Scope.accountTokens(accountId, now), Hold.Unit.TOKENS, acct.tokensPerDay(), "tokens_per_day", who, Scope.dayEnd(now)));
        }
        if (own.costPerMonthMicros() != null) {
            out.add(new Budget(Scope.workflowCost(accountId, wf.name(), now), Hold.Unit.MICRO_USD, own.costPerMonthMicros(), "cost_per_month_usd", whoWf, Scope.monthEnd(now)));
        }
        if (own.tokensPerDay() != null) {
            out.add(new Budget(Scope.workflowTokens(accountId, wf.name(), now), Hold.Unit.TOKENS, own.tokensPerDay(), "tokens_per_day", whoWf, Scope.dayEnd(now)));
        }
        if (jobId != null && wf.limits().costPerJobMicros() != null) {
            out.add(new Budget(Scope.jobCost(jobId), Hold.Unit.MICRO_USD, wf.limits().costPerJobMicros(), "cost_per_job_usd", "job " + jobId, null));
        }
        return out;
    }

    /**
     * What the workflow's first model call needs at the least: the cheapest call of its first
     * model stage in micro-dollars and, separately, in tokens (targets count tokens differently).
     * A workflow without a model call needs nothing.
     */
    record FirstCall(long micros, long tokens, String description, Optional<CallEstimate> cheapest) {
        static final FirstCall NONE = new FirstCall(0, 0, null, Optional.empty());

        long need(Hold.Unit unit) {
            return unit == Hold.Unit.MICRO_USD ? micros : tokens;
        }
    }

    FirstCall firstCall(WorkflowDefinition wf) {
        return firstCalls.computeIfAbsent(wf.name() + "@" + wf.version() + "#" + wf.contentHash(), k -> {
            List<CallEstimate> calls = CallEstimate.first(wf, routes, prices);
            Optional<CallEstimate> cheapest = CallEstimate.cheapest(calls);
            if (cheapest.isEmpty()) {
                return FirstCall.NONE;
            }
            CallEstimate c = cheapest.get();
            long tokens = calls.stream().mapToLong(CallEstimate::tokens).min().orElseThrow();
            return new FirstCall(c.costMicros(), tokens, "the cheapest possible first call of " + wf.name() + " (stage '" + c.stage() + "' on " + c.target()
                    + ": its smallest prompt, " + c.promptTokens() + " tokens, plus max_output_tokens " + c.maxOutputTokens() + ")", cheapest);
        });
    }

    /** The limits a submit of {@code wf} by this account must pass. */
    Admission admission(String accountId, WorkflowDefinition wf, Instant now) {
        AccountLimits acct = effective(accountId);
        AccountLimits own = wf.limits().perAccount();
        List<Admission.Bucket> buckets = new ArrayList<>();
        if (acct.requestsPerMinute() != null) {
            buckets.add(new Admission.Bucket("rpm/" + accountId, acct.requestsPerMinute(), Duration.ofMinutes(1), "requests_per_minute", "account " + accountId));
        }
        if (own.requestsPerMinute() != null) {
            buckets.add(new Admission.Bucket("rpm/" + accountId + "/wf/" + wf.name(), own.requestsPerMinute(), Duration.ofMinutes(1), "requests_per_minute",
                    "workflow " + wf.name() + " for account " + accountId));
        }
        List<Admission.Ceiling> ceilings = ceilings(accountId, wf, now);
        Admission.Cooldown cooldown = config.cooldownFailures() > 0 ? new Admission.Cooldown(accountId, config.cooldownFailures(), config.cooldown()) : null;
        return new Admission(buckets, ceilings, cooldown);
    }

    /** The period budgets a submit of {@code wf} must find room in, each with what the first call needs of it. */
    private List<Admission.Ceiling> ceilings(String accountId, WorkflowDefinition wf, Instant now) {
        FirstCall first = firstCall(wf);
        return budgets(accountId, wf, null, now).stream()
                .map(b -> new Admission.Ceiling(b.scope(), b.max(), b.unit(), b.limit(), b.label(), b.resetsAt(), first.need(b.unit()), first.description()))
                .toList();
    }

    /**
     * Where the account stands against its period budgets now, and, for each of {@code workflows},
     * what its first call needs and whether a submit would pass the budgets (the same decision the
     * store makes at submit, on the same counters).
     */
    BudgetStanding standing(String accountId, List<WorkflowDefinition> workflows, Instant now) {
        Map<String, BudgetStanding.Budget> budgets = new java.util.LinkedHashMap<>();
        // The account's own budgets show even without a workflow to ask about.
        AccountLimits acct = effective(accountId);
        if (acct.costPerMonthMicros() != null) {
            budget(budgets, new Admission.Ceiling(Scope.accountCost(accountId, now), acct.costPerMonthMicros(), Hold.Unit.MICRO_USD, "cost_per_month_usd",
                    "account " + accountId, Scope.monthEnd(now)));
        }
        if (acct.tokensPerDay() != null) {
            budget(budgets, new Admission.Ceiling(Scope.accountTokens(accountId, now), acct.tokensPerDay(), Hold.Unit.TOKENS, "tokens_per_day",
                    "account " + accountId, Scope.dayEnd(now)));
        }
        List<BudgetStanding.Workflow> out = new ArrayList<>();
        for (WorkflowDefinition wf : workflows) {
            Optional<LimitHit> refusal = Optional.empty();
            for (Admission.Ceiling c : ceilings(accountId, wf, now)) {
                Counter counter = budget(budgets, c);
                if (refusal.isEmpty()) {
                    refusal = c.refusal(counter, now);
                }
            }
            FirstCall first = firstCall(wf);
            out.add(new BudgetStanding.Workflow(wf.name(), wf.version(), first.cheapest(), first.tokens(), refusal));
        }
        return new BudgetStanding(List.copyOf(budgets.values()), out);
    }

    /** Reads the counter of {@code c}'s scope and records the budget once; returns the counter. */
    private Counter budget(Map<String, BudgetStanding.Budget> budgets, Admission.Ceiling c) {
        BudgetStanding.Budget known = budgets.get(c.scope());
        if (known != null) {
            return new Counter(known.spent(), known.reserved());
        }
        Counter counter = store.counter(c.scope());
        budgets.putIfAbsent(c.scope(), new BudgetStanding.Budget(c.limit(), c.label(), c.unit(), c.max(), counter.spent(), counter.reserved(),
                c.remaining(counter), c.resetsAt()));
        return counter;
    }

    /**
     * Records that a call is about to be made and reserves the most it can cost: the prompt's
     * estimated tokens plus {@code maxOutputTokens}, priced, against every budget that applies to
     * it (none, when no limit applies: the record alone is what keeps the call from vanishing from
     * the ledger if the node dies mid-call). The reservation expires one lease after the call's
     * timeout: by then the call has settled, or its node is gone and the job runs elsewhere.
     */
    Held reserve(Job job, WorkflowDefinition wf, String stageId, Target t, List<Message> messages, String schema, int maxOutputTokens, Duration timeout) {
        Instant now = clock.instant();
        List<Budget> budgets = budgets(job.accountId(), wf, job.id(), now);
        long input = tokens.estimate(t.model(), messages, schema);
        long tokensMax = input + maxOutputTokens;
        long costMax = prices.costMicros(t.provider(), t.model(), input, 0, maxOutputTokens);
        List<Hold> holds = budgets.stream().map(b -> new Hold(b.scope(), b.unit(), b.unit() == Hold.Unit.MICRO_USD ? costMax : tokensMax, b.max(),
                b.limit(), b.label(), b.resetsAt())).toList();
        String id = ids.next("rsv");
        Reservation r = new Reservation(id, job.accountId(), job.id(), holds, now, now.plus(timeout).plus(config.lease()));
        Charge estimate = new Charge(chargeId(id), id, job.accountId(), job.id(), wf.name(), stageId, t.provider(), t.model(), input, 0, maxOutputTokens,
                costMax, now, scopes(job, wf, now), Charge.Basis.UNKNOWN_OUTCOME, "no answer to this call was recorded; charged its reservation's estimate of "
                        + input + " prompt and " + maxOutputTokens + " answer tokens (max_output_tokens)");
        return switch (store.reserve(r, estimate)) {
            case Reservation.Outcome.Granted g -> new Held.Granted(g.id());
            case Reservation.Outcome.Refused refused -> new Held.Refused(refused);
        };
    }

    /**
     * The id of the charge of the call made under reservation {@code reservationId}: fixed by the
     * reservation, so the estimate charged if the call's outcome is never known and the charge of
     * its answer are one ledger row, whichever is recorded first.
     */
    static String chargeId(String reservationId) {
        return "chg" + reservationId.substring(reservationId.indexOf('_'));
    }

    /** Every counter a call of the job counts against, whether or not a limit is set on it. */
    private static List<Charge.CounterScope> scopes(Job job, WorkflowDefinition wf, Instant now) {
        return List.of(
                new Charge.CounterScope(Scope.accountCost(job.accountId(), now), Hold.Unit.MICRO_USD),
                new Charge.CounterScope(Scope.accountTokens(job.accountId(), now), Hold.Unit.TOKENS),
                new Charge.CounterScope(Scope.workflowCost(job.accountId(), wf.name(), now), Hold.Unit.MICRO_USD),
                new Charge.CounterScope(Scope.workflowTokens(job.accountId(), wf.name(), now), Hold.Unit.TOKENS),
                new Charge.CounterScope(Scope.jobCost(job.id()), Hold.Unit.MICRO_USD));
    }

    /** The estimator reservations use; other estimates of the same calls use it too. */
    TokenEstimator tokens() {
        return tokens;
    }

    /**
     * What a call cost, to be recorded once: the tokens billed for its answer (see
     * {@link BilledTokens}), nothing when it got none (a failed call is still recorded, and
     * releases its reservation).
     */
    Charge charge(Job job, WorkflowDefinition wf, String stageId, Target t, String reservationId, BilledTokens billed) {
        Instant now = clock.instant();
        long in = billed.input();
        long cached = billed.cachedInput();
        long out = billed.output();
        long cost = prices.costMicros(t.provider(), t.model(), in, cached, out);
        String id = reservationId == null ? ids.next("chg") : chargeId(reservationId);
        return new Charge(id, reservationId, job.accountId(), job.id(), wf.name(), stageId, t.provider(), t.model(), in, cached, out, cost, now, scopes(job, wf, now),
                billed.basis(), billed.note());
    }
}
