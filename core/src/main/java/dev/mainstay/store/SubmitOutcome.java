package dev.mainstay.store;

import dev.mainstay.job.Job;
import dev.mainstay.limits.LimitHit;

/** What the store did with a submission. A conflict is an outcome, not an exception. */
public sealed interface SubmitOutcome {
    /** The job was inserted now. */
    record Created(Job job) implements SubmitOutcome {
    }

    /** The idempotency key was seen before with the same request: here is that job. */
    record Existing(Job job) implements SubmitOutcome {
    }

    /** The idempotency key was seen before with a different request. */
    record Conflict(String existingJobId) implements SubmitOutcome {
    }

    /** A limit of the admission refused the job; nothing was stored. */
    record Refused(LimitHit hit) implements SubmitOutcome {
    }
}
