package dev.mainstay.store;

import dev.mainstay.job.Job;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.StageRun;
import dev.mainstay.limits.Admission;
import java.util.List;
import java.util.Optional;

/** Jobs: the submit that makes one durable, the transitions that change it, and what reads it back. */
public interface JobStore {
    /**
     * Makes a job durable if {@code admission} admits it, judged in the same transaction. With an
     * idempotency key, at most one job ever exists per (account, key), however many submits race:
     * the losers get {@link SubmitOutcome.Existing} when their request hash matches and
     * {@link SubmitOutcome.Conflict} when it does not; a repeat of an accepted request is answered
     * before any limit is checked.
     */
    SubmitOutcome submit(NewJob job, Admission admission);

    /** A submit without limits. */
    default SubmitOutcome submit(NewJob job) {
        return submit(job, Admission.NONE);
    }

    /** Applies the transition atomically; false if the job was not in a state it applies to. */
    boolean apply(JobTransition transition);

    Optional<Job> job(String id);

    /** Jobs of one account, newest first. */
    JobPage jobs(JobQuery query);

    List<StageRun> stages(String jobId);

    List<JobEvent> events(String jobId, long afterSeq, int limit);

    /**
     * The newest job of this workflow version and input hash that completed with a full result:
     * what the {@code cached} fallback rung serves.
     */
    Optional<Job> lastGoodJob(String workflow, int version, String inputHash);

    /** Jobs not yet terminal, for one account or (with {@code null}) all of them. */
    long countUnfinished(String accountId);
}
