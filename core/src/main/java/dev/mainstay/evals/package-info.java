/**
 * Evals: suites of cases that measure a workflow version, the scorers that judge one observed
 * answer, and the pure arithmetic of a run (weighted quality score, pass rate, cost and latency
 * percentiles) and of the comparison of two runs case by case. Nothing here calls a model or a
 * store: a runner feeds {@link dev.mainstay.evals.Observation}s in and stores what comes out.
 */
package dev.mainstay.evals;
