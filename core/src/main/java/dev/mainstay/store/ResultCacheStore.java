package dev.mainstay.store;

import dev.mainstay.job.Provenance;
import java.time.Instant;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** Stage outputs kept for reuse until they expire. */
public interface ResultCacheStore {
    /** A cached stage output that has not expired at {@code now}. */
    Optional<CachedOutput> cachedOutput(String key, Instant now);

    /** Stores (or replaces) a stage output under {@code key} until {@code expiresAt}. */
    void cacheOutput(String key, String workflow, CachedOutput output, Instant now, Instant expiresAt);

    /** A stage output kept in the result cache, with how it was made and by which job. */
    record CachedOutput(JsonNode output, Provenance provenance, String sourceJob) {
    }
}
