package dev.mainstay.engine;

import dev.mainstay.job.JobError;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.Usage;
import java.time.Duration;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** How one attempt at a stage ended. */
sealed interface StageResult {
    Usage usage();

    /** The output passed its contract and may be committed. */
    record Completed(JsonNode output, Provenance provenance, Usage usage) implements StageResult {
    }

    /**
     * The attempt failed; {@code error.retryable()} says whether another attempt may succeed.
     *
     * @param provenance what was tried, when a model was reached at all
     * @param rejectedOutput the model's last answer when it was JSON but failed its contract (the
     *     {@code draft} rung can hand it over), else {@code null}
     */
    record Failed(JobError error, Optional<Duration> retryAfter, Provenance provenance, Usage usage, JsonNode rejectedOutput) implements StageResult {
        Failed(JobError error, Optional<Duration> retryAfter, Provenance provenance, Usage usage) {
            this(error, retryAfter, provenance, usage, null);
        }
    }
}
