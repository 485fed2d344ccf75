package dev.mainstay.store;

import java.time.Instant;
import java.util.Optional;

/**
 * The workflow versions a store keeps, so that a job pinned to a version can run after its file is
 * gone. All the {@link dev.mainstay.workflow.WorkflowRegistry} needs of a store.
 */
public interface WorkflowVersionStore {
    /**
     * Records a workflow version unless one with that name and version exists.
     *
     * @return the content hash on record: {@code contentHash} if it was inserted now, or the hash of
     *     the version registered earlier, which the caller compares
     */
    String registerWorkflowVersion(String name, int version, String contentHash, String definition, Instant at);

    /** The stored definition document of a workflow version. */
    Optional<String> workflowDefinition(String name, int version);
}
