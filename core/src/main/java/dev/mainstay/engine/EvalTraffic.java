package dev.mainstay.engine;

import dev.mainstay.metrics.EngineMetrics;

/**
 * Eval jobs are not the product's traffic: what the engine reports of them is dropped, so that
 * live metrics (submits, claims, stage ends, model calls, checks, retries, rungs) count customers'
 * jobs only. Their spend stays in the eval account's usage and their quality in the runs.
 */
final class EvalTraffic {
    private EvalTraffic() {
    }

    /** {@code metrics} for a job of {@code accountId}; nothing for a job of the eval account. */
    static EngineMetrics metrics(EngineMetrics metrics, String accountId) {
        return EvalRuns.ACCOUNT.equals(accountId) ? EngineMetrics.NONE : metrics;
    }
}
