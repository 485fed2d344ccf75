package dev.mainstay.webhook;

import java.time.Instant;

/**
 * What a node writes after one attempt of a leased delivery: the attempt for the log, what becomes
 * of the delivery, and what becomes of its endpoint.
 *
 * @param nextAttemptAt when the delivery is tried again; null when it is delivered or dead
 * @param dead the delivery is dead-lettered
 * @param endpoint what the attempt changes of the endpoint
 */
public record AttemptResult(Delivery.Attempt attempt, boolean delivered, boolean dead, Instant nextAttemptAt, EndpointChange endpoint) {

    /** The endpoint's health after an attempt. */
    public sealed interface EndpointChange {
        /** A success: it is not failing any more. */
        record Healthy() implements EndpointChange {
        }

        /** A failure: failing since {@code since} unless it already was. */
        record Failing(Instant since) implements EndpointChange {
        }

        /** Disabled, with the reason its owner sees. */
        record Disable(String reason, Instant at) implements EndpointChange {
        }
    }
}
