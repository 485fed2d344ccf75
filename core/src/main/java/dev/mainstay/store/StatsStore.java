package dev.mainstay.store;

import dev.mainstay.stats.JobFact;
import dev.mainstay.stats.QueueSnapshot;
import dev.mainstay.stats.StageFact;
import dev.mainstay.stats.StatsQuery;
import java.time.Instant;
import java.util.List;

/**
 * What metrics and stats read of the jobs table: the queue's state, and the facts a summary is
 * computed from ({@link dev.mainstay.stats.JobStats}). Read-only, and the same on every node of a
 * cluster, since it reads the database, not a node's memory.
 */
public interface StatsStore {
    /** The queue as it stands at {@code now}: a few indexed counts, cheap enough for every scrape window. */
    QueueSnapshot queueSnapshot(Instant now);

    /** Every job of the query's range (by submit time), account and workflow. */
    List<JobFact> jobFacts(StatsQuery query);

    /** The committed stages of those jobs. */
    List<StageFact> stageFacts(StatsQuery query);
}
