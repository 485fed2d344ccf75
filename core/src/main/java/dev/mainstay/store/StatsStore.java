package dev.mainstay.store;

import dev.mainstay.stats.JobFact;
import dev.mainstay.stats.QueueSnapshot;
import dev.mainstay.stats.StageFact;
import dev.mainstay.stats.StatsQuery;
import dev.mainstay.stats.Tally;
import java.time.Instant;
import java.util.List;

/**
 * What metrics and stats read of the jobs table: the queue's state, and the facts a summary is
 * computed from ({@link dev.mainstay.stats.JobStats}). The same on every node of a cluster, since
 * it reads the database, not a node's memory. Reads only, but for {@link #foldStats}, which keeps
 * the pre-bucketed counts that make {@link #tally} fast.
 */
public interface StatsStore {
    /** The queue as it stands at {@code now}: a few indexed counts, cheap enough for every scrape window. */
    QueueSnapshot queueSnapshot(Instant now);

    /** Every job of the query's range (by submit time), account and workflow. */
    List<JobFact> jobFacts(StatsQuery query);

    /** The committed stages of those jobs. */
    List<StageFact> stageFacts(StatsQuery query);

    /**
     * The counts of the query's jobs, as {@link Tally#of} would make them from {@link #jobFacts} and
     * {@link #stageFacts}. A store that keeps pre-bucketed counts reads those for the whole buckets
     * of the range and only the rest job by job.
     */
    default Tally tally(StatsQuery query) {
        return Tally.of(query, jobFacts(query), stageFacts(query));
    }

    /**
     * Adds at most {@code max} finished jobs not counted yet to the pre-bucketed counts, each once
     * whichever node folds; returns how many it added (0 when there were none, or the store keeps
     * no such counts). Runs in the background, never in a job's own transactions.
     */
    default int foldStats(Instant now, int max) {
        return 0;
    }
}
