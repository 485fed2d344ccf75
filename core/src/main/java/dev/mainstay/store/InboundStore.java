package dev.mainstay.store;

import java.time.Instant;
import java.util.Optional;

/**
 * What arrives from other systems, kept so that it counts once: the inbound events already taken
 * (by source and {@code webhook-id}, with the job each started) and the single-use tokens of
 * callback tool stages (by the token's hash).
 */
public interface InboundStore {
    /** The job an inbound event started, if that event was taken before. */
    Optional<String> inboundJob(String source, String webhookId);

    /** Notes that {@code webhookId} from {@code source} started {@code jobId}; a second note of the same event keeps the first. */
    void recordInbound(String source, String webhookId, String eventType, String jobId, Instant at);

    /** A callback token, as the store keeps it. */
    record CallbackToken(String tokenHash, String jobId, int stageIndex, String stageId, Instant expiresAt, Instant usedAt) {
    }

    /** Keeps a new token's hash for the job's stage; a token issued again for the same stage replaces the earlier one. */
    void saveCallbackToken(CallbackToken token);

    Optional<CallbackToken> callbackToken(String tokenHash);

    /**
     * Takes a callback, in one transaction: marks the unexpired token used at {@code at}, records
     * {@code result} as the outcome of the stage's tool call ({@code done}), and applies {@code job}
     * (the job back in the queue, to finish the stage with that outcome). False, and nothing
     * written, when the token was used before (the callback is a repeat) or has expired.
     *
     * @throws StoreException when the job does not take the transition (nothing is written then)
     */
    boolean useCallbackToken(String tokenHash, Instant at, tools.jackson.databind.JsonNode result, JobTransition job);

    /**
     * Callbacks that did not come: unused tokens expired at {@code now} whose job still waits for
     * its tool, leased by no node. Oldest first, at most {@code max}.
     */
    java.util.List<CallbackToken> expiredCallbacks(Instant now, int max);
}
