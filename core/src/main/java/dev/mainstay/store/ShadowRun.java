package dev.mainstay.store;

import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * A live job sampled for shadow traffic, and its shadow: written by the live job's finishing
 * transition (so a sample is decided once, durably), then given its shadow job, then scored.
 *
 * @param liveJobId the live job, which identifies the row: a live job is sampled at most once
 * @param shadowJobId the eval-account job that ran the input again on {@code shadowVersion};
 *     {@code null} until submitted, and for a submission that was refused
 * @param result the comparison of the two results ({@code null} until scored)
 */
public record ShadowRun(String liveJobId, String workflow, int liveVersion, int shadowVersion, Instant sampledAt, String shadowJobId, JsonNode result,
                        Instant scoredAt) {
    public boolean scored() {
        return result != null;
    }
}
