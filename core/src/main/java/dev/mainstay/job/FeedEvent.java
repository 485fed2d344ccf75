package dev.mainstay.job;

/**
 * A job event as the live streams read it: where it stands in the feed of every job's events, whose
 * job it is, and the job's status once it was written ({@code null} for events written before
 * Mainstay recorded it).
 */
public record FeedEvent(EventCursor cursor, String accountId, String workflow, JobStatus status, JobEvent event) {
    /** Whether this event left its job finished: a job stream ends with it. */
    public boolean terminal() {
        return status != null && status.isTerminal();
    }
}
