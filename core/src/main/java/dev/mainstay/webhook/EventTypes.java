package dev.mainstay.webhook;

import dev.mainstay.job.JobStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The event types an endpoint subscribes to, and which of them a job's transition emits. A job that
 * ends emits {@code job.<status>}; one that starts waiting for a person emits
 * {@code job.waiting_for_review}; a review decision emits {@code review.decided} (and, when the
 * decision ends the job, its {@code job.<status>} too).
 */
public final class EventTypes {
    public static final String JOB_COMPLETED = "job.completed";
    public static final String JOB_PARTIALLY_COMPLETED = "job.partially_completed";
    public static final String JOB_DEGRADED = "job.degraded";
    public static final String JOB_FAILED = "job.failed";
    public static final String JOB_CANCELLED = "job.cancelled";
    public static final String JOB_WAITING_FOR_REVIEW = "job.waiting_for_review";
    public static final String REVIEW_DECIDED = "review.decided";
    /** A test message sent on request to check an endpoint ({@code POST /v1/webhooks/{id}/test}). */
    public static final String WEBHOOK_TEST = "webhook.test";

    /** Every type an endpoint may subscribe to, in the order they are documented. */
    public static final List<String> ALL = List.of(JOB_COMPLETED, JOB_PARTIALLY_COMPLETED, JOB_DEGRADED, JOB_FAILED, JOB_CANCELLED, JOB_WAITING_FOR_REVIEW,
            REVIEW_DECIDED);
    private static final Set<String> KNOWN = Set.copyOf(ALL);

    /** The job event type of a review decision's transition. */
    public static final String REVIEW_DECIDED_EVENT = "review_decided";

    private EventTypes() {
    }

    public static boolean known(String type) {
        return KNOWN.contains(type);
    }

    /**
     * The webhook event types a committed transition emits: none for most, one for a job that ends
     * or starts waiting for review, two for a review decision that ends its job.
     *
     * @param to the job's new status
     * @param jobEventType the type of the job event the transition appends
     */
    public static List<String> emitted(JobStatus to, String jobEventType) {
        List<String> out = new ArrayList<>(2);
        if (REVIEW_DECIDED_EVENT.equals(jobEventType)) {
            out.add(REVIEW_DECIDED);
        }
        if (to.isTerminal() || to == JobStatus.WAITING_FOR_REVIEW) {
            out.add("job." + to.wire());
        }
        return out;
    }
}
