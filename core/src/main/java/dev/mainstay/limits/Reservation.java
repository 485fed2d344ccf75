package dev.mainstay.limits;

import java.time.Instant;
import java.util.List;

/**
 * Budget held for one model call before it is made, released by the call's settlement or, if the
 * node dies first, by expiry.
 */
public record Reservation(String id, String accountId, String jobId, List<Hold> holds, Instant at, Instant expiresAt) {
    public Reservation {
        holds = List.copyOf(holds);
    }

    /** What the store answers. */
    public sealed interface Outcome {
        record Granted(String id) implements Outcome {
        }

        /**
         * Refused. {@code definitive} is false when only other calls' reservations stand in the
         * way: they may settle for less, so waiting can help.
         */
        record Refused(LimitHit hit, boolean definitive) implements Outcome {
        }
    }
}
