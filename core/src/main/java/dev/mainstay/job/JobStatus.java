package dev.mainstay.job;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The states of a job and the one table of legal transitions between them. An illegal transition
 * is a bug in Mainstay, never a user error: {@link #checkTransition} throws loudly.
 */
public enum JobStatus {
    QUEUED,
    PROCESSING,
    WAITING_FOR_TOOL,
    WAITING_FOR_REVIEW,
    RETRYING,
    COMPLETED,
    PARTIALLY_COMPLETED,
    DEGRADED,
    FAILED,
    CANCELLED;

    private static final Set<JobStatus> TERMINAL = EnumSet.of(COMPLETED, PARTIALLY_COMPLETED, DEGRADED, FAILED, CANCELLED);
    private static final Set<JobStatus> ENDINGS = EnumSet.of(COMPLETED, PARTIALLY_COMPLETED, DEGRADED, FAILED, CANCELLED);

    private static final Map<JobStatus, Set<JobStatus>> NEXT = Map.of(
            QUEUED, EnumSet.of(PROCESSING, CANCELLED),
            // PROCESSING -> PROCESSING: a lease that expired is claimed again by another worker.
            // PROCESSING -> QUEUED: a node shutting down hands its unfinished jobs back.
            PROCESSING, union(ENDINGS, EnumSet.of(PROCESSING, QUEUED, RETRYING, WAITING_FOR_TOOL, WAITING_FOR_REVIEW)),
            // WAITING_FOR_TOOL -> WAITING_FOR_TOOL: a callback stage's request was taken; the job waits on, leased by no node, for its callback.
            WAITING_FOR_TOOL, union(ENDINGS, EnumSet.of(PROCESSING, QUEUED, RETRYING, WAITING_FOR_TOOL)),
            WAITING_FOR_REVIEW, union(ENDINGS, EnumSet.of(PROCESSING, QUEUED)),
            RETRYING, EnumSet.of(PROCESSING, CANCELLED, FAILED),
            COMPLETED, EnumSet.noneOf(JobStatus.class),
            PARTIALLY_COMPLETED, EnumSet.noneOf(JobStatus.class),
            DEGRADED, EnumSet.noneOf(JobStatus.class),
            // Replay of a failed job puts it back in the queue at its failed stage.
            FAILED, EnumSet.of(QUEUED),
            CANCELLED, EnumSet.noneOf(JobStatus.class));

    private static Set<JobStatus> union(Set<JobStatus> a, Set<JobStatus> b) {
        EnumSet<JobStatus> out = EnumSet.copyOf(a);
        out.addAll(b);
        return out;
    }

    public boolean isTerminal() {
        return TERMINAL.contains(this);
    }

    public boolean canTransitionTo(JobStatus next) {
        return NEXT.get(this).contains(next);
    }

    /** The statuses a job may come from to reach {@code this}. */
    public Set<JobStatus> predecessors() {
        EnumSet<JobStatus> out = EnumSet.noneOf(JobStatus.class);
        for (JobStatus s : values()) {
            if (s.canTransitionTo(this)) {
                out.add(s);
            }
        }
        return out;
    }

    public void checkTransition(JobStatus next, String jobId) {
        if (!canTransitionTo(next)) {
            throw new IllegalStateException("job " + jobId + " cannot go from " + wire() + " to " + next.wire() + ". Indicates a bug.");
        }
    }

    public static Set<JobStatus> terminal() {
        return EnumSet.copyOf(TERMINAL);
    }

    /** The wire form, e.g. {@code waiting_for_review}. */
    // Computed once: the wire form is written with every event, stage and job row.
    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    public static JobStatus fromWire(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
