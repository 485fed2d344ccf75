package dev.mainstay.store;

import dev.mainstay.audit.AuditEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Which version of each workflow serves, and the activation gates of candidate versions. Kept in
 * the store so that it survives restarts and every node of a cluster serves the same version.
 * Every change of the active version is appended to the audit log in its own transaction.
 */
public interface WorkflowActivationStore {
    /**
     * Which version of a workflow serves.
     *
     * @param highestVersion the highest version that was ever active: versions above it are
     *     candidates, versions below the active one and up to it are retired
     * @param changedBy the key id or system actor that activated it
     */
    record WorkflowActivation(String workflow, int version, int highestVersion, Instant changedAt, String changedBy) {
    }

    /**
     * The gate of one candidate version: its run on the gate's suite, the active version's run it is
     * compared with, and, once both are completed, the decision.
     *
     * @param baselineVersion the version active when the gate opened
     * @param decision {@code null} while undecided, then {@code activated} or {@code refused}
     * @param detail the scores, the comparison's regressed cases and the reason, once decided
     */
    record ActivationGate(String workflow, int version, String suite, String runId, int baselineVersion, String baselineRunId, Instant createdAt,
                          String decision, JsonNode detail, Instant decidedAt) {
    }

    /** The active version of every workflow that has one on record. */
    Map<String, WorkflowActivation> workflowActivations();

    /**
     * Records {@code version} as the active version of a workflow that has none on record yet, with
     * {@code audit} in the same transaction; a workflow that has one keeps it.
     *
     * @return the activation on record after the call
     */
    WorkflowActivation firstActivation(String workflow, int version, Instant at, String by, AuditEvent audit);

    /**
     * Makes {@code version} the active version, when the active one is {@code expectedActive} (any,
     * when {@code null}), and appends {@code audit} in the same transaction.
     *
     * @return false when the active version was not {@code expectedActive}: nothing changed
     */
    boolean activateWorkflowVersion(String workflow, int version, Integer expectedActive, Instant at, String by, AuditEvent audit);

    /** Opens a gate unless the version has one already; false when it had. */
    boolean openActivationGate(ActivationGate gate);

    /** The gate of one version, if it has one. */
    Optional<ActivationGate> activationGate(String workflow, int version);

    /** Every gate of a workflow, by version. */
    List<ActivationGate> activationGates(String workflow);

    /** Gates not decided yet, oldest first. */
    List<ActivationGate> undecidedActivationGates();

    /**
     * Decides an undecided gate once, whichever node gets there first: records the decision and,
     * with {@code activate}, makes the gate's version the active one, appending {@code audit}, all
     * in one transaction.
     *
     * @return false when the gate was decided already: nothing changed
     */
    boolean decideActivationGate(String workflow, int version, boolean activate, JsonNode detail, Instant at, AuditEvent audit);
}
