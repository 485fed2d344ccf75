package dev.mainstay.limits;

import java.time.Instant;
import java.util.List;

/**
 * The durable record, written before a model call is made, that the call is in flight, with the
 * budget it holds (no holds when no limit applies). The call's settlement releases the holds and
 * records what the provider reported. If the node dies first, the reservation is settled at the
 * estimate stored with it ({@link dev.mainstay.store.Store#reserve}) when the node restarts or the
 * reservation expires, whichever comes first: never released as if nothing was spent.
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
