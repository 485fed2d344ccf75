package dev.mainstay.server.stream;

import dev.mainstay.job.EventCursor;
import dev.mainstay.job.FeedEvent;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.EventFeedStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An event feed kept in memory, in the order a single writer commits: the SQLite dialect's order, without the database. */
final class MemoryFeed implements EventFeedStore {
    private final List<FeedEvent> events = new ArrayList<>();
    private final List<Runnable> wakes = new CopyOnWriteArrayList<>();
    private long seq;

    /** Writes one event and wakes the readers, as a commit does. */
    FeedEvent write(String accountId, String workflow, String jobId, String type, JobStatus status) {
        FeedEvent e;
        synchronized (this) {
            seq++;
            e = new FeedEvent(new EventCursor(0, seq), accountId, workflow, status, new JobEvent(seq, jobId, type, null, Instant.EPOCH.plusMillis(seq)));
            events.add(e);
        }
        wakes.forEach(Runnable::run);
        return e;
    }

    @Override
    public synchronized FeedPage feed(EventCursor after, String accountId, int limit) {
        List<FeedEvent> out = new ArrayList<>();
        for (FeedEvent e : events) {
            if (e.cursor().isAfter(after) && (accountId == null || accountId.equals(e.accountId())) && out.size() < limit) {
                out.add(e);
            }
        }
        return new FeedPage(out, false);
    }

    @Override
    public synchronized List<FeedEvent> jobFeed(String jobId, long afterSeq, int limit) {
        return events.stream().filter(e -> e.event().jobId().equals(jobId) && e.event().seq() > afterSeq).limit(limit).toList();
    }

    @Override
    public synchronized EventCursor feedHead() {
        return events.isEmpty() ? EventCursor.START : events.getLast().cursor();
    }

    @Override
    public void onEvents(Runnable wake) {
        wakes.add(wake);
    }
}
