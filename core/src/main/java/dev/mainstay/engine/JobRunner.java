package dev.mainstay.engine;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.JobTransition;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoreException;
import dev.mainstay.tracing.SpanNames;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.tracing.TraceSpan;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.StageDefinition;
import dev.mainstay.workflow.ToolStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import dev.mainstay.fallback.FallbackPath;
import dev.mainstay.metrics.EngineMetrics;
import dev.mainstay.metrics.StageEnd;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs one claimed job: loads its pinned workflow version, waits for a slot of the workflow's
 * bulkhead, and runs the stages from {@code current_stage} on. Each step of the loop ends in one
 * {@link StageOutcome}, decided by {@link ModelStep} or {@link ToolStageExecutor}, and
 * {@link #commit} writes it as one job transition; whether the loop goes on depends only on that
 * outcome and whether its transition applied (a cancelled job, or a lease lost to another node,
 * applies nothing and the loop stops).
 */
final class JobRunner {
    private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);

    private final Store store;
    private final WorkflowRegistry registry;
    private final ModelStep models;
    private final ToolStageExecutor tools;
    private final Clock clock;
    private final String nodeId;
    private final Map<String, Semaphore> workflowBulkheads = new ConcurrentHashMap<>();

    private final EngineMetrics metrics;
    private final JobSpans spans;

    JobRunner(Store store, WorkflowRegistry registry, ModelStep models, ToolStageExecutor tools, Clock clock, EngineConfig config) {
        this(store, registry, models, tools, clock, config, EngineMetrics.NONE);
    }

    JobRunner(Store store, WorkflowRegistry registry, ModelStep models, ToolStageExecutor tools, Clock clock, EngineConfig config, EngineMetrics metrics) {
        this(store, registry, models, tools, clock, config, metrics, JobSpans.NONE);
    }

    JobRunner(Store store, WorkflowRegistry registry, ModelStep models, ToolStageExecutor tools, Clock clock, EngineConfig config, EngineMetrics metrics,
              JobSpans spans) {
        this.spans = spans;
        this.metrics = metrics;
        this.store = store;
        this.registry = registry;
        this.models = models;
        this.tools = tools;
        this.clock = clock;
        this.nodeId = config.nodeId();
    }

    /**
     * What the loop has of a job so far: the outputs of its committed stages (read back from the
     * store when it resumes), the last of them and its provenance, whether a stage was skipped or
     * repaired, and the attempt slots spent at the current stage.
     */
    static final class Progress {
        final Map<String, JsonNode> outputs = new LinkedHashMap<>();
        JsonNode lastOutput;
        Provenance lastProvenance;
        boolean partial;
        boolean repaired;
        int attemptsDone;
        /** The stage the current step runs, and when the step began: what metrics report it under. */
        String stageId;
        Instant stepStarted;
    }

    /** What the loop does once an outcome is committed. */
    private enum Next { NEXT_STAGE, SAME_STAGE, STOP }

    /**
     * Runs the job until it finishes, waits (for a retry, a person, a budget) or can no longer
     * be written (cancelled, lease lost). Never throws for the job's own trouble: that ends the
     * job as {@code failed}.
     */
    void run(Job job) {
        Semaphore bulkhead = null;
        // The job's context for every log line written while it runs (JSON logs show it as fields).
        MDC.put("job_id", job.id());
        MDC.put("workflow", job.workflow());
        MDC.put("workflow_version", Integer.toString(job.workflowVersion()));
        try {
            Optional<WorkflowDefinition> workflow = registry.version(job.workflow(), job.workflowVersion());
            if (workflow.isEmpty()) {
                fail(job, JobError.of(ErrorCode.INTERNAL, "workflow " + job.workflow() + " v" + job.workflowVersion()
                        + " is not known to node " + nodeId));
                return;
            }
            WorkflowDefinition wf = workflow.get();
            bulkhead = workflowBulkheads.computeIfAbsent(wf.name(), n -> new Semaphore(wf.concurrency(), true));
            bulkhead.acquire();
            stages(job, wf);
        } catch (InterruptedException e) {
            // Cancelled or shutting down: whatever was committed stands; the rest resumes elsewhere.
        } catch (StoreException e) {
            // The database failed under the job (a restart, a failover), not the job: nothing is
            // decided about it. Its lease is no longer renewed, so it runs again, here or on another
            // node, once the lease expires; a call it had reserved is charged at its estimate.
            LOG.warn("job {}: the store failed under it ({}); it runs again once its lease expires", job.id(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("job {}: unexpected failure", job.id(), e);
            try {
                fail(job, JobError.of(ErrorCode.INTERNAL, "internal error while running the job: " + e.getClass().getSimpleName()));
            } catch (RuntimeException again) {
                LOG.error("job {}: could not record the failure; its lease will expire and it will run again", job.id(), again);
            }
        } finally {
            if (bulkhead != null) {
                bulkhead.release();
            }
            MDC.remove("job_id");
            MDC.remove("workflow");
            MDC.remove("workflow_version");
            MDC.remove("stage");
        }
    }

    /** The stage loop: one outcome per step, each committed before the next step starts. */
    private void stages(Job job, WorkflowDefinition wf) throws InterruptedException {
        Progress progress = resume(job);
        List<StageDefinition> stages = wf.stages();
        int i = job.currentStage();
        while (i < stages.size()) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            boolean last = i == stages.size() - 1;
            progress.stageId = stages.get(i).id();
            MDC.put("stage", progress.stageId);
            progress.stepStarted = clock.instant();
            Next next = traced(job, wf, i, stages.get(i), progress, last);
            switch (next) {
                case NEXT_STAGE -> {
                    progress.attemptsDone = 0;
                    i++;
                }
                case SAME_STAGE -> {
                    // the same stage again, on the route's next target
                }
                case STOP -> {
                    return;
                }
            }
        }
    }

    /**
     * One step of stage {@code i} and its commit, in the stage's span: the model and tool calls
     * the step makes are its children, and the span ends with how the step ended.
     */
    private Next traced(Job job, WorkflowDefinition wf, int i, StageDefinition stage, Progress progress, boolean last) throws InterruptedException {
        TraceSpan span = spans.stage(job, stage.id(), stage instanceof ModelStage ? "model" : "tool", progress.attemptsDone + 1);
        StageOutcome outcome = null;
        if (spans.on()) {
            // JSON log lines written during the step name its trace and span (docs/observability.md, Logs).
            TraceContext c = span.context();
            if (c.present()) {
                MDC.put("trace_id", c.traceparent().substring(3, 35));
                MDC.put("span_id", c.traceparent().substring(36, 52));
            }
        }
        try (TraceContext.Scope entered = spans.on() ? span.enter() : null) {
            outcome = switch (stage) {
                case ModelStage model -> models.step(job, wf, i, model, progress, last);
                case ToolStage tool -> tools.step(job, wf, i, tool, progress.outputs, last);
            };
            return commit(job, outcome, progress, last);
        } finally {
            if (spans.on()) {
                ended(span, outcome);
                MDC.remove("trace_id");
                MDC.remove("span_id");
            }
        }
    }

    /** Ends a stage span with the step's outcome, and an error when the step failed the job or was retried. */
    private static void ended(TraceSpan span, StageOutcome outcome) {
        if (outcome == null) {
            span.error("interrupted", "the step ended before it decided anything (cancelled, shutting down, or the store failed)");
            span.end();
            return;
        }
        span.set(SpanNames.STAGE_OUTCOME, switch (outcome) {
            case StageOutcome.Completed c -> "completed";
            case StageOutcome.Retry r -> "retry";
            case StageOutcome.Wait w -> "wait";
            case StageOutcome.AwaitCallback a -> "await_callback";
            case StageOutcome.SwitchTarget s -> "switch_target";
            case StageOutcome.Partial p -> "partial";
            case StageOutcome.Rescued r -> "rescued";
            case StageOutcome.ToReview r -> "review";
            case StageOutcome.Fail f -> "failed";
        });
        switch (outcome) {
            case StageOutcome.Retry r -> span.error(r.error().code().code(), describe(r.error()));
            case StageOutcome.SwitchTarget s -> span.error(s.error().code().code(), describe(s.error()));
            case StageOutcome.Fail f -> span.error(f.error().code().code(), describe(f.error()));
            case StageOutcome.Rescued r -> span.set(SpanNames.ERROR_TYPE, r.run().error().code().code());
            default -> {
            }
        }
        span.end();
    }

    /** An error as a span describes it: an invalid answer's message may quote the answer, which never goes into a trace. */
    private static String describe(JobError error) {
        return error.code() == ErrorCode.INVALID_MODEL_OUTPUT ? "the model's answer failed the stage's output contract" : error.message();
    }

    /** The outputs of the stages committed before {@code current_stage}, as the loop left them. */
    private Progress resume(Job job) {
        Progress p = new Progress();
        p.attemptsDone = job.stageAttempts();
        if (job.currentStage() > 0) {
            for (StageRun run : store.stages(job.id())) {
                if (run.index() < job.currentStage() && StageRun.COMPLETED.equals(run.status())) {
                    p.outputs.put(run.stageId(), run.output());
                    p.lastOutput = run.output();
                    p.lastProvenance = run.provenance();
                    p.repaired |= run.provenance() != null && "repaired".equals(run.provenance().validation());
                } else if (run.index() < job.currentStage()) {
                    p.partial = true;
                }
            }
        }
        return p;
    }

    /** Ends a job that failed before any stage could run. */
    private void fail(Job job, JobError error) {
        commit(job, new StageOutcome.Fail(error, null, List.of(), null, StageOutcome.Via.MODEL, clock.instant()), new Progress(), true);
    }

    /**
     * Writes {@code outcome} as one job transition, applied only while the job is in one of the
     * outcome's expected statuses and leased by this node, and says what the loop does next.
     */
    private Next commit(Job job, StageOutcome outcome, Progress progress, boolean last) {
        JobTransition.Builder t;
        Next next;
        switch (outcome) {
            case StageOutcome.Completed c -> {
                StageRun run = c.run();
                progress.outputs.put(run.stageId(), run.output());
                progress.lastOutput = run.output();
                progress.lastProvenance = run.provenance();
                progress.repaired |= "repaired".equals(run.provenance().validation());
                ObjectNode data = Json.object().put("stage", run.stageId()).put("index", run.index()).put("attempt", run.attempts());
                if (last) {
                    boolean rerouted = !run.provenance().fallbackPath().isEmpty();
                    JobStatus to = progress.partial ? JobStatus.PARTIALLY_COMPLETED : rerouted ? JobStatus.DEGRADED : JobStatus.COMPLETED;
                    t = JobTransition.to(job.id(), to, c.at()).result(run.output(), c.resultType()).provenance(c.jobProvenance()).clearError()
                            .event(to.wire(), data);
                } else {
                    t = JobTransition.to(job.id(), JobStatus.PROCESSING, c.at()).clearError().event("stage_completed", data);
                }
                t.from(c.via().from()).currentStage(run.index() + 1).stageAttempts(0).stageRun(run);
                c.via().audit().forEach(t::audit);
                next = last ? Next.STOP : Next.NEXT_STAGE;
            }
            case StageOutcome.Retry r -> {
                t = JobTransition.to(job.id(), JobStatus.RETRYING, r.at()).from(JobStatus.PROCESSING).stageAttempts(r.stageAttempts()).error(r.error())
                        .nextRunAt(r.runAt()).retryAt(r.runAt()).releaseLease().event("retry_scheduled", r.data());
                next = Next.STOP;
            }
            case StageOutcome.Wait w -> {
                t = JobTransition.to(job.id(), JobStatus.RETRYING, w.at()).from(JobStatus.PROCESSING).stageAttempts(w.stageAttempts())
                        .nextRunAt(w.until()).retryAt(w.until()).releaseLease().event(w.event(), w.data());
                next = Next.STOP;
            }
            case StageOutcome.SwitchTarget s -> {
                progress.attemptsDone = s.stageAttempts();
                t = JobTransition.to(job.id(), JobStatus.PROCESSING, s.at()).from(JobStatus.PROCESSING).stageAttempts(s.stageAttempts()).error(s.error())
                        .event("target_switched", s.data());
                next = Next.SAME_STAGE;
            }
            case StageOutcome.Partial p -> {
                StageRun run = p.run();
                if (last) {
                    t = JobTransition.to(job.id(), JobStatus.PARTIALLY_COMPLETED, p.at()).result(progress.lastOutput, ResultType.FULL)
                            .provenance(jobProvenance(progress.lastProvenance, progress.repaired))
                            .event("partially_completed", Json.object().put("stage", run.stageId()));
                } else {
                    progress.partial = true;
                    t = JobTransition.to(job.id(), JobStatus.PROCESSING, p.at())
                            .event("stage_skipped", Json.object().put("stage", run.stageId()).put("code", run.error().code().code()));
                }
                t.from(p.via().from()).currentStage(run.index() + 1).stageAttempts(0).stageRun(run);
                p.via().audit().forEach(t::audit);
                next = last ? Next.STOP : Next.NEXT_STAGE;
            }
            case StageOutcome.Rescued r -> {
                FallbackLadder.Rescue rescue = r.rescue();
                ObjectNode data = Json.object().put("stage", r.run().stageId()).put("code", r.run().error().code().code()).put("result_type", rescue.type().wire());
                t = JobTransition.to(job.id(), JobStatus.DEGRADED, r.at()).from(JobStatus.PROCESSING).stageAttempts(r.run().attempts()).stageRun(r.run())
                        .clearError().result(rescue.result(), rescue.type()).provenance(rescue.provenance()).event("degraded", data);
                next = Next.STOP;
            }
            case StageOutcome.ToReview r -> {
                StageRun run = r.run();
                ObjectNode data = Json.object().put("stage", r.review().stageId()).put("review", r.review().id())
                        .put("code", run == null ? "approval_required" : run.error().code().code());
                t = JobTransition.to(job.id(), JobStatus.WAITING_FOR_REVIEW, r.at()).from(JobStatus.PROCESSING).releaseLease().openReview(r.review())
                        .event("review_requested", data);
                if (run != null) {
                    t.stageAttempts(run.attempts()).stageRun(run).error(run.error());
                }
                if (r.review().provenance() != null) {
                    t.provenance(r.review().provenance());
                }
                next = Next.STOP;
            }
            case StageOutcome.AwaitCallback a -> {
                t = JobTransition.to(job.id(), JobStatus.WAITING_FOR_TOOL, a.at()).from(JobStatus.WAITING_FOR_TOOL).releaseLease()
                        .event("callback_awaited", Json.object().put("stage", a.stageId()).put("until", a.until().toString()));
                next = Next.STOP;
            }
            case StageOutcome.Fail f -> {
                t = JobTransition.to(job.id(), JobStatus.FAILED, f.at()).from(f.via().from()).error(f.error()).deadLetter(f.deadLetter())
                        .event("failed", Json.object().put("code", f.error().code().code()).put("dead_letter", f.deadLetter()));
                if (f.run() != null) {
                    t.stageRun(f.run()).stageAttempts(f.run().attempts());
                }
                if (f.provenance() != null) {
                    t.provenance(f.provenance());
                }
                f.via().audit().forEach(t::audit);
                next = Next.STOP;
            }
        }
        if (!outcome.charges().isEmpty()) {
            t.charges(outcome.charges());
        }
        if (next == Next.STOP && finishesWithResult(outcome, last)) {
            ShadowRuns.sample(job, registry, outcome.at()).ifPresent(t::sampleShadow);
        }
        JobTransition transition = t.leasedBy(nodeId).build();
        boolean applied = store.apply(transition);
        if (applied) {
            observe(job, outcome, progress, transition);
        }
        return applied ? next : Next.STOP;
    }

    /** Whether {@code outcome} ends the job with a result: what shadow traffic samples. */
    private static boolean finishesWithResult(StageOutcome outcome, boolean last) {
        return switch (outcome) {
            case StageOutcome.Completed c -> last;
            case StageOutcome.Partial p -> last;
            case StageOutcome.Rescued r -> true;
            default -> false;
        };
    }

    /** Reports a committed step to metrics: how the stage's step ended, retries, rungs, and the job's end. */
    private void observe(Job job, StageOutcome outcome, Progress progress, JobTransition transition) {
        EngineMetrics metrics = EvalTraffic.metrics(this.metrics, job.accountId());
        String wf = job.workflow();
        String stage = progress.stageId == null ? "none" : progress.stageId;
        StageEnd end = switch (outcome) {
            case StageOutcome.Completed c -> StageEnd.COMPLETED;
            case StageOutcome.Retry r -> StageEnd.RETRY;
            case StageOutcome.Wait w -> StageEnd.WAIT;
            case StageOutcome.AwaitCallback a -> StageEnd.WAIT;
            case StageOutcome.SwitchTarget s -> StageEnd.SWITCH_TARGET;
            case StageOutcome.Partial p -> StageEnd.PARTIAL;
            case StageOutcome.Rescued r -> StageEnd.RESCUED;
            case StageOutcome.ToReview r -> StageEnd.REVIEW;
            case StageOutcome.Fail f -> StageEnd.FAILED;
        };
        if (progress.stepStarted != null) {
            metrics.stageEnded(wf, job.workflowVersion(), stage, end, Duration.between(progress.stepStarted, outcome.at()));
        }
        switch (outcome) {
            case StageOutcome.Retry r -> metrics.retryScheduled(wf, stage, r.error().code().code());
            case StageOutcome.Completed c when !c.run().provenance().fallbackPath().isEmpty() && transition.to().isTerminal() ->
                    metrics.fallbackRung(wf, stage, FallbackPath.NEXT_TARGET, true);
            case StageOutcome.Rescued r -> rungs(wf, stage, r.rescue().provenance().fallbackPath(), true);
            case StageOutcome.ToReview r when r.review().provenance() != null && !r.review().provenance().fallbackPath().isEmpty()
                    && r.review().provenance().fallbackPath().getLast().startsWith("review:") -> rungs(wf, stage, r.review().provenance().fallbackPath(), true);
            case StageOutcome.Fail f when f.provenance() != null -> rungs(wf, stage, f.provenance().fallbackPath(), false);
            default -> {
            }
        }
        if (transition.to().isTerminal()) {
            Instant at = outcome.at();
            metrics.finished(wf, job.workflowVersion(), transition.to(), transition.resultType(),
                    Duration.between(job.startedAt() == null ? at : job.startedAt(), at), Duration.between(job.createdAt(), at));
        }
    }

    /** The ladder rungs of {@code path} (not the route targets given up): the last one rescued the job when {@code rescued}. */
    private void rungs(String wf, String stage, List<String> path, boolean rescued) {
        List<String> ladder = path.stream().map(FallbackPath::rung).filter(r -> !r.equals(FallbackPath.NEXT_TARGET)).toList();
        for (int k = 0; k < ladder.size(); k++) {
            metrics.fallbackRung(wf, stage, ladder.get(k), rescued && k == ladder.size() - 1);
        }
    }

    /** The job's provenance from its last stage's: {@code repaired} when any stage was. */
    static Provenance jobProvenance(Provenance stage, boolean repaired) {
        if (stage == null) {
            return null;
        }
        return new Provenance(stage.provider(), stage.model(), stage.promptVersion(), stage.schemaVersion(), stage.toolchainVersion(),
                stage.fallbackPath(), repaired ? "repaired" : stage.validation(), stage.cachedFrom());
    }
}
