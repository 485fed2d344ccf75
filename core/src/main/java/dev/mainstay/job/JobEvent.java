package dev.mainstay.job;

import java.time.Instant;
import tools.jackson.databind.JsonNode;

/** One entry in a job's timeline: submitted, claimed, stage_completed, retry_scheduled, ... */
public record JobEvent(long seq, String jobId, String type, JsonNode data, Instant at) {
}
