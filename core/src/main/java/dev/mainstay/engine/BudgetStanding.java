package dev.mainstay.engine;

import dev.mainstay.limits.Hold;
import dev.mainstay.limits.LimitHit;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where an account stands against its period budgets, and what each workflow's first model call
 * needs of them: what {@code GET /v1/usage} shows so a client can tell, before submitting, whether
 * a job would be admitted.
 *
 * @param budgets the account's budgets and its per-workflow ones, each once
 * @param workflows per workflow, its first call's worst case and the refusal a submit would get now
 */
public record BudgetStanding(List<Budget> budgets, List<Workflow> workflows) {
    public BudgetStanding {
        budgets = List.copyOf(budgets);
        workflows = List.copyOf(workflows);
    }

    /**
     * One budget now.
     *
     * @param spent what settled calls cost in this period
     * @param reserved what calls in flight hold; they settle at what the provider reports
     * @param remaining {@code max - spent}, never negative: what a submit is checked against
     * @param resetsAt when the period ends
     */
    public record Budget(String limit, String label, Hold.Unit unit, long max, long spent, long reserved, long remaining, Instant resetsAt) {
    }

    /**
     * One workflow's first call and its admission.
     *
     * @param cheapestFirstCall the cheapest call of the first model stage; empty without one
     * @param firstCallTokens the fewest tokens a first call reserves on any of the stage's targets
     * @param refusal what a submit would be refused with by the budgets now; empty when it passes them
     */
    public record Workflow(String name, int version, Optional<CallEstimate> cheapestFirstCall, long firstCallTokens, Optional<LimitHit> refusal) {
    }
}
