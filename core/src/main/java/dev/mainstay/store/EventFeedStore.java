package dev.mainstay.store;

import dev.mainstay.job.EventCursor;
import dev.mainstay.job.FeedEvent;
import java.util.List;

/**
 * Every job's events in one order that a reader can resume from without missing or repeating any,
 * and a wake-up when new ones may be there: what the live event streams read.
 */
public interface EventFeedStore {
    /** Events after a cursor, and whether more were written that are not yet readable in order. */
    record FeedPage(List<FeedEvent> events, boolean heldBack) {
        public FeedPage {
            events = List.copyOf(events);
        }
    }

    /**
     * Up to {@code limit} events after {@code after}, oldest first, of one account (or of all with
     * {@code null}). Only events that no later commit can precede are returned: on PostgreSQL those
     * of transactions older than every one still running. {@code heldBack} says that newer events
     * exist which wait for such a transaction to end, so the reader should look again soon.
     */
    FeedPage feed(EventCursor after, String accountId, int limit);

    /** Up to {@code limit} events of one job after its event {@code afterSeq}, oldest first. */
    List<FeedEvent> jobFeed(String jobId, long afterSeq, int limit);

    /** The cursor of the newest readable event: a reader starting there sees only what comes next. */
    EventCursor feedHead();

    /**
     * Registers {@code wake} to run when events may have been written, on this node or (PostgreSQL:
     * {@code LISTEN/NOTIFY}) any other. A hint: it can come without new events, and a reader still
     * looks now and then. {@code wake} must return quickly and must not call the store.
     */
    default void onEvents(Runnable wake) {
    }
}
