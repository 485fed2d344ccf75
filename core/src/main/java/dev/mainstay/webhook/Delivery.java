package dev.mainstay.webhook;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One event on its way to one endpoint: the outbox row. {@code messageId} is the
 * {@code webhook-id} every attempt and every replay of it carries (and the other endpoints that
 * receive the same event too); {@code payload} is the body, fixed when the event was committed.
 *
 * @param jobId the job whose transition emitted it, or null (a test message)
 * @param nextAttemptAt when it is due, or null once delivered or dead
 * @param lastStatus the HTTP status of the last attempt, or null (none yet, or no answer)
 */
public record Delivery(String id, String messageId, String endpointId, String accountId, String jobId, String eventType, String payload, Status status,
                       int attempts, Instant nextAttemptAt, Integer lastStatus, String lastError, Instant lastAttemptAt, Instant deliveredAt,
                       Instant createdAt) {
    public Delivery {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(status, "status");
    }

    /** Where a delivery stands. */
    public enum Status {
        /** Waiting for its next attempt (or for its endpoint to be enabled again). */
        PENDING,
        /** A 2xx came back. */
        DELIVERED,
        /** Every attempt failed: dead-lettered, until replayed. */
        DEAD;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Optional<Status> fromWire(String wire) {
            for (Status s : values()) {
                if (s.wire().equals(wire)) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /** One attempt, as the delivery log shows it. */
    public record Attempt(String deliveryId, int number, Instant at, Integer status, String error, long durationMillis) {
    }
}
