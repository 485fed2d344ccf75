package dev.mainstay.store;

import java.time.Instant;
import java.util.Set;

/**
 * What the retention sweeper removes, each call one bounded batch in one transaction, so that a
 * sweep never holds the writer long enough to slow submits. Only finished jobs lose anything.
 */
public interface RetentionStore {
    /**
     * Takes or renews the sweeper's lease for {@code owner} until {@code until}; true when it is
     * {@code owner}'s, false while another node holds an unexpired one.
     */
    boolean leaseSweep(String owner, Instant now, Instant until);

    /**
     * Removes the payloads of at most {@code max} finished jobs in {@code scope} that finished before
     * {@code finishedBefore}: their input (unless a kept job shares it), result, stage outputs, tool
     * bodies and review proposals. The job rows keep their metadata and are marked expired at {@code now}.
     */
    Removed expirePayloads(Scope scope, Instant finishedBefore, Instant now, int max);

    /** Deletes at most {@code max} finished jobs in {@code scope} that finished before {@code finishedBefore}, with everything of theirs but usage. */
    Removed deleteJobs(Scope scope, Instant finishedBefore, int max);

    /** Deletes at most {@code max} events older than {@code before} of finished jobs in {@code scope}. */
    Removed deleteEvents(Scope scope, Instant before, int max);

    /** Deletes at most {@code max} cached results that expired by {@code now} or were made before {@code createdBefore}. */
    Removed deleteCachedOutputs(Instant now, Instant createdBefore, int max);

    /** Deletes at most {@code max} idempotency keys recorded before {@code recordedBefore}. */
    Removed deleteIdempotencyKeys(Instant recordedBefore, int max);

    /** How much one batch removed: rows changed or deleted, and the characters of content (inputs, outputs, bodies) among them. */
    record Removed(long rows, long characters) {
        public static final Removed NONE = new Removed(0, 0);

        public Removed plus(Removed other) {
            return new Removed(rows + other.rows, characters + other.characters);
        }
    }

    /** Which workflows' jobs a batch may touch: one with its own policy, or all but those. */
    sealed interface Scope {
        record Only(String workflow) implements Scope {
        }

        record AllBut(Set<String> workflows) implements Scope {
            public AllBut {
                workflows = Set.copyOf(workflows);
            }
        }
    }
}
