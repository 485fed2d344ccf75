package dev.mainstay.engine;

import dev.mainstay.MainstayException;
import dev.mainstay.access.Principal;
import dev.mainstay.evals.EvalSuites;
import dev.mainstay.evals.Observation;
import dev.mainstay.evals.ShadowComparison;
import dev.mainstay.evals.Subject;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.ShadowRun;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.ShadowPolicy;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shadow traffic: a sampled share of a workflow's live jobs run again on the version its
 * {@code shadow:} names, as jobs of the eval account, and compared with the live result.
 *
 * <p>The sample is decided once, durably: by the live job's finishing transition, which writes the
 * shadow row in its own transaction ({@link #sample}), from a hash of the job id (so the same job
 * is sampled the same way however often its end is attempted, and the row's key keeps it to one).
 * Then every node's sweep submits the pending rows' shadow jobs under the idempotency key
 * {@code shadow-<live job id>}, so a crash between submit and record makes no second job, and
 * scores the rows whose shadow job ended; the first stored score wins.
 *
 * <p>Low priority: a shadow job is submitted only while no job is queued (nothing waits to be
 * claimed), and at most {@link #MAX_IN_FLIGHT} shadow jobs are unfinished at once; beyond that the
 * eval account's limits ({@code max_concurrent_jobs}, budgets) hold it. The shadow job's result is
 * never the live job's: it is another job, of another account, so no client's answer, event stream,
 * webhook or usage shows it.
 */
public final class ShadowRuns implements AutoCloseable {
    /** Shadow jobs submitted and not yet scored, across every workflow, on this node's sweep. */
    public static final int MAX_IN_FLIGHT = 2;

    private static final Logger LOG = LoggerFactory.getLogger(ShadowRuns.class);
    private static final Duration SWEEP = Duration.ofMillis(250);
    private static final int BATCH = 500;
    private static final Principal SHADOW = new Principal(EvalRuns.ACCOUNT, "system:shadow", Set.of(), true);

    private final Store store;
    private final Engine engine;
    private final WorkflowRegistry registry;
    private final EvalSuites suites;
    private final Clock clock;
    private final SweepLoop sweep = new SweepLoop("mainstay-shadow-runs", SWEEP, this::step, LOG);

    public ShadowRuns(Store store, Engine engine, WorkflowRegistry registry, EvalSuites suites, Clock clock) {
        this.store = store;
        this.engine = engine;
        this.registry = registry;
        this.suites = suites;
        this.clock = clock;
    }

    /**
     * The shadow row a live job's finishing transition writes, when its version declares
     * {@code shadow:} and the job falls in the sample. Never for the eval account's own jobs.
     */
    static Optional<ShadowRun> sample(Job job, WorkflowRegistry registry, Instant at) {
        if (EvalRuns.ACCOUNT.equals(job.accountId())) {
            return Optional.empty();
        }
        Optional<ShadowPolicy> policy = registry.version(job.workflow(), job.workflowVersion()).flatMap(WorkflowDefinition::shadow);
        if (policy.isEmpty() || !sampled(job.id(), policy.get().sample())) {
            return Optional.empty();
        }
        return Optional.of(new ShadowRun(job.id(), job.workflow(), job.workflowVersion(), policy.get().version(), at, null, null, null));
    }

    /** Whether a job falls in a sample of {@code share}: the first 64 bits of its id's SHA-256, read as a fraction, below the share. */
    static boolean sampled(String jobId, double share) {
        if (share >= 1) {
            return true;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(jobId.getBytes(StandardCharsets.UTF_8));
            long bits = 0;
            for (int i = 0; i < 8; i++) {
                bits = (bits << 8) | (h[i] & 0xff);
            }
            double fraction = (bits >>> 11) * 0x1.0p-53;
            return fraction < share;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Moves every pending shadow run on once: what the sweep does every 250 ms. */
    public void step() {
        List<ShadowRun> pending = store.pendingShadowRuns(BATCH);
        if (pending.isEmpty()) {
            return;
        }
        int inFlight = 0;
        for (ShadowRun run : pending) {
            if (run.shadowJobId() == null) {
                continue;
            }
            Optional<Job> shadow = store.job(run.shadowJobId());
            if (shadow.isPresent() && Observation.END_STATES.contains(shadow.get().status().wire())) {
                try {
                    score(run, shadow.get());
                } catch (RuntimeException e) {
                    LOG.warn("shadow of live job {} ({} v{} on v{}): scoring failed; the next sweep tries again", run.liveJobId(), run.workflow(),
                            run.liveVersion(), run.shadowVersion(), e);
                }
            } else {
                inFlight++;
            }
        }
        for (ShadowRun run : pending) {
            if (run.shadowJobId() != null) {
                continue;
            }
            if (inFlight >= MAX_IN_FLIGHT || liveWorkWaits()) {
                return;
            }
            try {
                if (submit(run)) {
                    inFlight++;
                }
            } catch (MainstayException e) {
                if (e.retryable()) {
                    return; // the eval account's backlog or budget may have room later
                }
                refused(run, e);
            }
        }
    }

    private boolean liveWorkWaits() {
        return store.queueSnapshot(clock.instant()).unfinished().getOrDefault(JobStatus.QUEUED, 0L) > 0;
    }

    /** Submits the shadow job; false when this node cannot (it does not load the version, or the live job is gone). */
    private boolean submit(ShadowRun run) {
        Optional<WorkflowDefinition> target = registry.version(run.workflow(), run.shadowVersion());
        if (target.isEmpty()) {
            return false; // a node that loads the version submits it
        }
        Optional<Job> live = store.job(run.liveJobId());
        if (live.isEmpty() || live.get().input() == null) {
            store.shadowScored(run.liveJobId(), dev.mainstay.Json.object().put("live_job", run.liveJobId()).put("skipped", "the live job or its input is gone (retention)"),
                    clock.instant());
            return false;
        }
        ensureAccount();
        Engine.Submission sub = engine.submit(SHADOW, target.get(), live.get().input().deepCopy(), "shadow-" + run.liveJobId());
        store.shadowSubmitted(run.liveJobId(), sub.job().id());
        return true;
    }

    private void refused(ShadowRun run, MainstayException e) {
        Optional<Job> live = store.job(run.liveJobId());
        Optional<WorkflowDefinition> liveDef = registry.version(run.workflow(), run.liveVersion());
        Optional<WorkflowDefinition> target = registry.version(run.workflow(), run.shadowVersion());
        if (live.isEmpty() || liveDef.isEmpty() || target.isEmpty()) {
            return;
        }
        Observation shadow = Observation.rejected(e.code().code(), Duration.ZERO);
        store.shadowScored(run.liveJobId(), compare(live.get(), liveDef.get(), target.get(), shadow), clock.instant());
    }

    private void score(ShadowRun run, Job shadowJob) {
        Optional<Job> live = store.job(run.liveJobId());
        Optional<WorkflowDefinition> liveDef = registry.version(run.workflow(), run.liveVersion());
        Optional<WorkflowDefinition> target = registry.version(run.workflow(), run.shadowVersion());
        if (live.isEmpty() || liveDef.isEmpty() || target.isEmpty()) {
            return;
        }
        if (store.shadowScored(run.liveJobId(), compare(live.get(), liveDef.get(), target.get(), observe(shadowJob)), clock.instant())) {
            LOG.debug("shadow of live job {} scored (shadow job {})", run.liveJobId(), shadowJob.id());
        }
    }

    private tools.jackson.databind.node.ObjectNode compare(Job live, WorkflowDefinition liveDef, WorkflowDefinition target, Observation shadow) {
        List<String> agreeOn = liveDef.shadow().map(ShadowPolicy::agreeOn).orElse(List.of());
        return ShadowComparison.compare(suites.of(target.name(), target.version()), agreeOn, live.input(), observe(live), Subject.of(liveDef), shadow,
                Subject.of(target));
    }

    private static Observation observe(Job job) {
        return EvalRuns.observe(job);
    }

    private void ensureAccount() {
        EvalRuns.ensureAccount(store, clock);
    }

    /** Starts the sweep: at once, then every 250 ms. */
    public void start() {
        sweep.start();
    }

    @Override
    public void close() {
        sweep.close();
    }
}
