package dev.mainstay.job;

import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * The committed record of one stage of one job: once a stage is {@code completed} here, a resumed
 * job starts after it and never calls its model again.
 */
public record StageRun(
        String jobId,
        int index,
        String stageId,
        String status,
        JsonNode output,
        int attempts,
        Provenance provenance,
        Usage usage,
        JobError error,
        Instant startedAt,
        Instant completedAt) {

    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
}
