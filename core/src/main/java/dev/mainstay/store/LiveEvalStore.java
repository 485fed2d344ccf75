package dev.mainstay.store;

import java.time.Instant;
import java.util.List;

/**
 * What evals read and keep of live traffic: the shadow runs of sampled live jobs (their rows are
 * written by the live job's own transition, {@link JobTransition#shadow()}), and the finished live
 * jobs the drift report is computed from.
 */
public interface LiveEvalStore {
    /**
     * The account whose jobs are eval traffic (eval runs, shadow runs): kept out of the live figures,
     * and of the deliveries to a workflow's own receiver ({@code notify:}).
     */
    String EVAL_ACCOUNT = "acct_evals";

    /** Sampled live jobs not yet scored, oldest first, at most {@code limit}. */
    List<ShadowRun> pendingShadowRuns(int limit);

    /** Records the shadow job of a sampled live job; one that already has a shadow job keeps it. */
    void shadowSubmitted(String liveJobId, String shadowJobId);

    /** Records the comparison; false (and nothing written) when the run was scored already, so each is scored once. */
    boolean shadowScored(String liveJobId, tools.jackson.databind.JsonNode result, Instant at);

    /** The shadow runs of {@code workflow}'s live jobs sampled at or after {@code since}, newest first, at most {@code limit}. */
    List<ShadowRun> shadowRuns(String workflow, Instant since, int limit);

    /**
     * Finished jobs of {@code workflow} submitted in [{@code from}, {@code to}), of every account
     * but {@code excludedAccount} (the eval account), newest first, at most {@code limit}.
     */
    List<DriftSample> driftSamples(String workflow, String excludedAccount, Instant from, Instant to, int limit);
}
