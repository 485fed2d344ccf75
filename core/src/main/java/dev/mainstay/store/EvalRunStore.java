package dev.mainstay.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Eval runs and their cases. A run is a row per case, each filled in as its job is submitted and
 * then scored; every node's sweep moves the runs on from what is stored here, so a run outlives
 * the node that started it.
 */
public interface EvalRunStore {
    /** Stores a new run in {@link EvalRun.Status#RUNNING} with its cases, none submitted yet, in one transaction. */
    void createEvalRun(EvalRun run, List<String> caseIds);

    Optional<EvalRun> evalRun(String id);

    /** The cases of a run, in suite order. */
    List<EvalRunCase> evalRunCases(String runId);

    /** Runs still running, oldest first. */
    List<EvalRun> runningEvalRuns();

    /** Finished runs of {@code workflow} (every workflow when {@code null}), oldest first, at most {@code limit}. */
    List<EvalRun> finishedEvalRuns(String workflow, int limit);

    /** Records the job a case was submitted as; a case already holding a job keeps it. */
    void evalCaseSubmitted(String runId, String caseId, String jobId);

    /** Records a case's scored result; a case already scored keeps its first result, so a case is scored once whichever node gets there first. */
    boolean evalCaseScored(String runId, String caseId, JsonNode result);

    /** Finishes a running run with its summary; false when it was finished already. */
    boolean finishEvalRun(String runId, JsonNode summary, Instant at);

    /**
     * For each workflow, version and suite with a finished run: how many finished, and the latest
     * (the last to finish), in workflow, version and suite order. What {@code /metrics} reports.
     */
    List<EvalRunTally> evalRunTallies();

    /** The finished runs of one workflow version on one suite, and the latest of them. */
    record EvalRunTally(String workflow, int version, String suite, long finished, EvalRun latest) {
    }
}
