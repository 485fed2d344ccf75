package dev.mainstay.engine;

import dev.mainstay.job.JobError;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.Usage;
import dev.mainstay.usage.Charge;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** How one attempt at a stage ended, with the model calls it made. */
sealed interface StageResult {
    /** Every model call of the attempt, to be recorded with whatever the engine commits next. */
    List<Charge> charges();

    default Usage usage() {
        return Charge.total(charges());
    }

    /** The output passed its contract and may be committed. */
    record Completed(JsonNode output, Provenance provenance, List<Charge> charges) implements StageResult {
        public Completed {
            charges = List.copyOf(charges);
        }
    }

    /**
     * The attempt failed; {@code error.retryable()} says whether another attempt may succeed.
     *
     * @param provenance what was tried, when a model was reached at all
     * @param rejectedOutput the model's last answer when it was JSON but failed its contract (the
     *     {@code draft} rung can hand it over), else {@code null}
     * @param waitForBudget a budget refused the call only because of other calls in flight: the
     *     job should wait this long and try again, without spending an attempt
     */
    record Failed(JobError error, Optional<Duration> retryAfter, Provenance provenance, List<Charge> charges, JsonNode rejectedOutput,
                  Optional<Duration> waitForBudget) implements StageResult {
        public Failed {
            charges = List.copyOf(charges);
        }

        Failed(JobError error, Optional<Duration> retryAfter, Provenance provenance, List<Charge> charges, JsonNode rejectedOutput) {
            this(error, retryAfter, provenance, charges, rejectedOutput, Optional.empty());
        }

        Failed(JobError error, Optional<Duration> retryAfter, Provenance provenance, List<Charge> charges) {
            this(error, retryAfter, provenance, charges, null, Optional.empty());
        }
    }
}
