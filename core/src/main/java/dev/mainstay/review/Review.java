package dev.mainstay.review;

import dev.mainstay.job.Provenance;
import java.time.Instant;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * A request for a human to decide one stage's output. The job waits in {@code waiting_for_review}
 * until a decision (or the expiry) arrives.
 *
 * @param proposed the output put forward for approval (a model answer), or {@code null} when
 *     there is none and only {@code edit} or {@code reject} can resolve the review
 * @param provenance how the proposed output was produced, with the fallback path so far
 * @param reviewer the key id of the person who decided, or {@code system:expiry}
 */
public record Review(
        String id,
        String jobId,
        String accountId,
        String workflow,
        int stageIndex,
        String stageId,
        String reason,
        JsonNode proposed,
        Provenance provenance,
        Status status,
        Decision onExpiry,
        JsonNode output,
        String reviewer,
        String note,
        Instant createdAt,
        Instant expiresAt,
        Instant decidedAt) {

    /** Where a review stands. */
    public enum Status {
        PENDING, APPROVED, EDITED, REJECTED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Status fromWire(String wire) {
            return valueOf(wire.toUpperCase(Locale.ROOT));
        }
    }

    /** What a reviewer can decide. */
    public enum Decision {
        APPROVE, EDIT, REJECT;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public Status outcome() {
            return switch (this) {
                case APPROVE -> Status.APPROVED;
                case EDIT -> Status.EDITED;
                case REJECT -> Status.REJECTED;
            };
        }

        public static Decision fromWire(String wire) {
            return valueOf(wire.toUpperCase(Locale.ROOT));
        }
    }
}
