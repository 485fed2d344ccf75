package dev.mainstay.workflow;

/**
 * One step of a workflow. Stages run in order; each one's output is committed before the next
 * starts. The kinds form a closed set handled by exhaustive switches.
 */
public sealed interface StageDefinition permits ModelStage, ToolStage {
    String id();

    /** An optional stage's failure leaves the job {@code partially_completed} instead of failed. */
    boolean optional();

    RetryPolicy retry();
}
