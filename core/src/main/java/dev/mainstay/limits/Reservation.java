package dev.mainstay.limits;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The durable record, written before a model call is made, that the call is in flight, with the
 * budget it holds (no holds when no limit applies). The call's settlement releases the holds and
 * records what the provider reported. If the node dies first, the reservation is settled at the
 * estimate stored with it ({@link dev.mainstay.store.LedgerStore#reserve}) when the node restarts or the
 * reservation expires, whichever comes first: never released as if nothing was spent.
 */
public record Reservation(String id, String accountId, String jobId, List<Hold> holds, Instant at, Instant expiresAt) {
    /** How long a caller refused only by other calls' holds waits before it asks again. */
    static final Duration RETRY_WHILE_HELD = Duration.ofMillis(500);

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

    /** Every hold taken (with the counters to write back) or the reservation refused. */
    public sealed interface Decision {
        /** @param counters each held scope's counter after its hold, in the order of the holds */
        record Held(Map<String, Counter> counters) implements Decision {
        }

        record Refused(Outcome.Refused refusal) implements Decision {
        }
    }

    /**
     * Judges the holds against {@code counters}, the counters of their scopes as the store read
     * them under its locks (a scope missing is {@link Counter#ZERO}). All or nothing: the first hold
     * that does not fit refuses the reservation. Each hold is judged against its counter as read,
     * not as an earlier hold of the same reservation left it.
     */
    public Decision decide(Map<String, Counter> counters) {
        Map<String, Counter> after = new LinkedHashMap<>();
        for (Hold h : holds) {
            Counter now = counters.getOrDefault(h.scope(), Counter.ZERO);
            Optional<Counter> held = now.reserve(h.amount(), h.max());
            if (held.isEmpty()) {
                Hold.Unit u = h.unit();
                boolean later = now.couldFitLater(h.amount(), h.max());
                Optional<Duration> wait = h.resetsAt() == null ? Optional.empty() : Optional.of(Duration.between(at, h.resetsAt()));
                return new Decision.Refused(new Outcome.Refused(new LimitHit(h.code(), h.limit(), h.label(), "a model call needs " + u.describe(h.amount())
                        + " but " + h.label() + " has " + u.describe(now.spent()) + " spent and " + u.describe(now.reserved()) + " held of its "
                        + h.limit() + " of " + u.describe(h.max()), later ? Optional.of(RETRY_WHILE_HELD) : wait), !later));
            }
            after.put(h.scope(), held.get());
        }
        return new Decision.Held(after);
    }
}
