package dev.mainstay.engine;

import dev.mainstay.ContentHash;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.contract.ConfidenceGate;
import dev.mainstay.fallback.FallbackPath;
import dev.mainstay.fallback.FallbackRung;
import dev.mainstay.tracing.SpanNames;
import dev.mainstay.tracing.TraceSpan;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.provider.Target;
import dev.mainstay.review.Review;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.routing.TargetLimits;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.StageDefinition;
import dev.mainstay.workflow.WorkflowDefinition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One step of a model stage: pick the route's target for this attempt slot, wait out a target
 * that asked for a pause, serve a cached output or make the attempt, and decide what its result
 * means for the job: {@code completed}, a retry, a wait, the next target, a skipped optional
 * stage, the fallback ladder's rescue, a review, or failure. Writes nothing about the job itself;
 * {@link JobRunner#commit} does.
 *
 * <p>Attempt slots drive the route: each target gets {@code retry.attempts} slots, and slot
 * {@code n} (from 1) runs on target {@code (n - 1) / attempts}.
 */
final class ModelStep {
    private final Store store;
    private final ModelStageExecutor executor;
    private final FallbackLadder ladder;
    private final TargetHealth health;
    private final TargetLimits limits;
    private final RetrySchedule retries;
    private final JobIds ids;
    private final Clock clock;
    private final String toolchainVersion;
    private final JobSpans spans;

    ModelStep(Store store, ModelStageExecutor executor, FallbackLadder ladder, TargetHealth health, TargetLimits limits, RetrySchedule retries,
              JobIds ids, Clock clock, EngineConfig config) {
        this(store, executor, ladder, health, limits, retries, ids, clock, config, JobSpans.NONE);
    }

    ModelStep(Store store, ModelStageExecutor executor, FallbackLadder ladder, TargetHealth health, TargetLimits limits, RetrySchedule retries,
              JobIds ids, Clock clock, EngineConfig config, JobSpans spans) {
        this.spans = spans;
        this.store = store;
        this.executor = executor;
        this.ladder = ladder;
        this.health = health;
        this.limits = limits;
        this.retries = retries;
        this.ids = ids;
        this.clock = clock;
        this.toolchainVersion = config.toolchainVersion();
    }

    StageOutcome step(Job job, WorkflowDefinition wf, int i, ModelStage stage, JobRunner.Progress progress, boolean last) throws InterruptedException {
        List<Target> targets = executor.targets(stage);
        int perTarget = stage.retry().attempts();
        int attempt = progress.attemptsDone + 1;
        int targetIndex = (attempt - 1) / perTarget;
        Instant started = clock.instant();
        Duration left = Duration.between(started, job.deadlineAt());
        StageResult result;
        if (targetIndex >= targets.size()) {
            result = new StageResult.Failed(new JobError(ErrorCode.PROVIDER_UNAVAILABLE, "no route of " + stage.route()
                    + " has a target; check the 'routes' configuration", false), Optional.empty(), null, List.of());
        } else if (left.toMillis() < 1) {
            // Claimed after its deadline (after a restart, say): no target is too slow or too busy, there is no time at all.
            result = new StageResult.Failed(new JobError(ErrorCode.DEADLINE_EXCEEDED, "the workflow deadline of " + wf.deadline() + " passed at "
                    + job.deadlineAt() + ", before stage '" + stage.id() + "' could run on " + targets.get(targetIndex), false), Optional.empty(), null, List.of());
        } else {
            Target target = targets.get(targetIndex);
            boolean nextTarget = targetIndex + 1 < targets.size();
            boolean alternative = nextTarget || !wf.fallback().isEmpty();
            Optional<TargetHealth.Block> block = health.refusal(target);
            Optional<Duration> p95 = health.p95(target);
            if (block.isEmpty()) {
                // A budget the provider's headers reported as used up, until it resets.
                block = limits.exhausted(target);
            }
            if (block.isEmpty()) {
                // Configured minute budgets: a call that does not fit yet waits in the queue.
                Optional<Instant> fits = limits.admit(target, () -> executor.estimateTokens(job, wf, stage, progress.outputs, target));
                if (fits.isPresent()) {
                    block = Optional.of(new TargetHealth.Block(target + " is at its configured requests- or tokens-per-minute limit", fits.get(), false));
                }
            }
            if (block.isPresent() && !block.get().circuitOpen() && nextTarget) {
                // Rate limited with another target in the route: that one gets the call now,
                // and this one is not sent a call that could only earn a 429.
                result = new StageResult.Failed(new JobError(ErrorCode.PROVIDER_RATE_LIMITED, block.get().reason(), false), Optional.empty(), null, List.of());
            } else if (block.isPresent() && !block.get().circuitOpen() && block.get().until().isBefore(job.deadlineAt())) {
                // The provider asked for a pause: wait in the queue rather than add to a 429 storm.
                return new StageOutcome.Wait("target_busy", block.get().until(), progress.attemptsDone, List.of(),
                        Json.object().put("stage", stage.id()).put("target", target.toString()).put("reason", block.get().reason()), started);
            } else if (block.isPresent()) {
                result = new StageResult.Failed(new JobError(ErrorCode.PROVIDER_UNAVAILABLE, block.get().reason(), false), Optional.empty(), null, List.of());
            } else if (alternative && p95.isPresent() && p95.get().compareTo(left) > 0) {
                result = new StageResult.Failed(new JobError(ErrorCode.PROVIDER_TIMEOUT, "skipped " + target + ": its p95 latency of " + p95.get().toMillis()
                        + " ms is more than the " + left.toMillis() + " ms left before the deadline", false), Optional.empty(), null, List.of());
            } else {
                result = attemptOrCached(job, wf, stage, progress.outputs, target, started);
            }
        }
        Instant now = clock.instant();
        // Attempts as made, for records and events; `attempt` counts slots, which drive the route.
        int made = attemptsMade(job.id(), stage.id(), attempt, perTarget, targetIndex);
        return switch (result) {
            case StageResult.Completed c -> {
                // Only a switch of targets leaves a history, and a switch moves the attempt past the first target.
                Provenance withPath = c.provenance().withFallbackPath(targetIndex == 0 ? List.of() : targetHistory(job.id(), stage.id()));
                StageRun run = new StageRun(job.id(), i, stage.id(), StageRun.COMPLETED, c.output(), made, withPath, c.usage(), null, started, now);
                Provenance jobProvenance = last ? JobRunner.jobProvenance(withPath, progress.repaired || "repaired".equals(c.provenance().validation())) : null;
                yield new StageOutcome.Completed(run, ResultType.FULL, jobProvenance, c.charges(), StageOutcome.Via.MODEL, now);
            }
            case StageResult.Failed f when f.waitForBudget().isPresent() && now.plus(f.waitForBudget().get()).isBefore(job.deadlineAt()) ->
                    // Only other calls' reservations stand in the way; they may settle for less. Wait
                    // in the queue without spending an attempt.
                    new StageOutcome.Wait("budget_wait", now.plus(f.waitForBudget().get()), progress.attemptsDone, f.charges(),
                            Json.object().put("stage", stage.id()).put("code", f.error().code().code()).put("reason", f.error().message()), now);
            case StageResult.Failed f -> failed(job, wf, i, stage, progress, last, f, targets, attempt, made, started, now);
        };
    }

    /** The result cache when the workflow opts in, else the attempt itself. */
    private StageResult attemptOrCached(Job job, WorkflowDefinition wf, ModelStage stage, Map<String, JsonNode> outputs, Target target, Instant started)
            throws InterruptedException {
        String cacheKey = wf.cacheTtl().isPresent() ? cacheKey(job, wf, stage, target, outputs) : null;
        Optional<Store.CachedOutput> hit = cacheKey == null ? Optional.empty() : store.cachedOutput(cacheKey, started);
        if (hit.isPresent()) {
            // A hit costs no tokens and says where it came from.
            Provenance p = hit.get().provenance();
            return new StageResult.Completed(hit.get().output(), (p == null
                    ? new Provenance(target.provider(), target.model(), null, null, toolchainVersion, List.of(), "passed")
                    : p).cachedFrom(hit.get().sourceJob()), List.of());
        }
        StageResult result = executor.attempt(job, wf, stage, outputs, target);
        if (cacheKey != null && result instanceof StageResult.Completed c) {
            store.cacheOutput(cacheKey, wf.name(), new Store.CachedOutput(c.output(), c.provenance(), job.id()), clock.instant(),
                    clock.instant().plus(wf.cacheTtl().get()));
        }
        return result;
    }

    /**
     * A failed attempt, in order of precedence: a retry on the same target while it has slots
     * and the deadline allows; a review when the confidence gate says a person decides; the next
     * target of the route; a skipped optional stage; the fallback ladder; failure.
     */
    private StageOutcome failed(Job job, WorkflowDefinition wf, int i, ModelStage stage, JobRunner.Progress progress, boolean last, StageResult.Failed f,
                                List<Target> targets, int attempt, int made, Instant started, Instant now) {
        int perTarget = stage.retry().attempts();
        int targetIndex = (attempt - 1) / perTarget;
        int onThisTarget = (attempt - 1) % perTarget + 1;
        JobError error = f.error();
        boolean deadline = error.code() == ErrorCode.DEADLINE_EXCEEDED;
        boolean retry = error.retryable() && onThisTarget < perTarget;
        Duration delay = Duration.ZERO;
        if (retry) {
            delay = retries.delay(stage.retry(), onThisTarget, f.retryAfter());
            if (now.plus(delay).isAfter(job.deadlineAt())) {
                retry = false;
                error = new JobError(error.code(), error.message() + " (the next attempt would start after the workflow deadline)", error.retryable());
            }
        }
        if (retry) {
            ObjectNode data = Json.object().put("stage", stage.id()).put("attempt", made).put("target", targets.get(targetIndex).toString())
                    .put("code", error.code().code()).put("delay_ms", delay.toMillis());
            return new StageOutcome.Retry(attempt, error, now.plus(delay), f.charges(), data, now);
        }
        boolean lowToReview = error.code() == ErrorCode.LOW_CONFIDENCE && stage.output().confidence()
                .map(g -> g.below() == ConfidenceGate.Action.REVIEW).orElse(false);
        if (lowToReview) {
            // The gate says a person decides: no other target, no other rung.
            FallbackRung.Review rung = wf.fallback().stream().filter(FallbackRung.Review.class::isInstance).map(FallbackRung.Review.class::cast)
                    .findFirst().orElse(new FallbackRung.Review(FallbackRung.Review.DEFAULT_EXPIRY, Review.Decision.REJECT));
            List<String> path = new ArrayList<>(targetHistory(job.id(), stage.id()));
            path.add(targets.get(targetIndex) + ": low_confidence, sent to review as the confidence gate declares");
            Provenance p = f.provenance();
            StageRun run = new StageRun(job.id(), i, stage.id(), StageRun.FAILED, null, made, f.provenance(), f.usage(), error, started, now);
            return new StageOutcome.ToReview(review(job, wf, i, stage, error, f, rung, p == null ? null : p.withFallbackPath(path), now), run, f.charges(), now);
        }
        if (!deadline && targetIndex + 1 < targets.size()) {
            // This target gave up: the next one of the route gets a fresh set of attempts, now.
            TraceSpan rung = spans.rung(job, stage.id(), FallbackPath.NEXT_TARGET);
            rung.set("mainstay.fallback.from", targets.get(targetIndex).toString()).set("mainstay.fallback.to", targets.get(targetIndex + 1).toString())
                    .set(SpanNames.ERROR_TYPE, error.code().code());
            rung.end();
            ObjectNode data = Json.object().put("stage", stage.id()).put("from", targets.get(targetIndex).toString())
                    .put("to", targets.get(targetIndex + 1).toString()).put("code", error.code().code()).put("reason", error.message())
                    .put("attempts", onThisTarget);
            return new StageOutcome.SwitchTarget((targetIndex + 1) * perTarget, error, f.charges(), data, now);
        }
        StageRun run = new StageRun(job.id(), i, stage.id(), StageRun.FAILED, null, made, f.provenance(), f.usage(), error, started, now);
        if (stage.optional() && (!last || progress.lastOutput != null)) {
            return new StageOutcome.Partial(run, f.charges(), StageOutcome.Via.MODEL, now);
        }
        List<String> path = new ArrayList<>(targetHistory(job.id(), stage.id()));
        if (targetIndex < targets.size()) {
            path.add(targets.get(targetIndex) + ": " + error.code().code());
        }
        Optional<FallbackLadder.Outcome> rescue = wf.fallback().isEmpty() ? Optional.empty() : ladder.climb(job, wf, i, f, path);
        if (rescue.isPresent()) {
            return switch (rescue.get()) {
                case FallbackLadder.Rescue r -> new StageOutcome.Rescued(r, run, f.charges(), now);
                case FallbackLadder.ToReview r -> new StageOutcome.ToReview(review(job, wf, i, stage, error, f, r.rung(), r.provenance(), now), run, f.charges(), now);
            };
        }
        Provenance failedWith = f.provenance() == null ? null : f.provenance().withFallbackPath(path);
        return new StageOutcome.Fail(error, new StageRun(job.id(), i, stage.id(), StageRun.FAILED, null, made, failedWith, f.usage(), error, started, now),
                f.charges(), wf.fallback().isEmpty() ? null : new Provenance("mainstay", null, null, null, toolchainVersion, path, "failed"),
                StageOutcome.Via.MODEL, clock.instant());
    }

    /** A pending review of the stage's failed output, which a person approves, edits or rejects. */
    private Review review(Job job, WorkflowDefinition wf, int index, StageDefinition stage, JobError error, StageResult.Failed f, FallbackRung.Review rung,
                          Provenance provenance, Instant now) {
        return new Review(ids.next("rev"), job.id(), job.accountId(), wf.name(), index, stage.id(),
                error.code().code() + ": " + error.message(), f.rejectedOutput(), provenance, Review.Status.PENDING,
                rung.onExpiry(), null, null, null, now, now.plus(rung.expires()), null);
    }

    /** Workflow version, stage, target, the input (defaults filled in) and what earlier stages produced. */
    private static String cacheKey(Job job, WorkflowDefinition wf, StageDefinition stage, Target target, Map<String, JsonNode> earlier) {
        return ContentHash.sha256(wf.name() + "\n" + wf.version() + "\n" + wf.contentHash() + "\n" + stage.id() + "\n" + target + "\n"
                + job.inputHash() + "\n" + Json.canonical(Json.MAPPER.valueToTree(earlier)));
    }

    /**
     * The attempts really made at a stage so far, this one included. Attempt numbers count slots,
     * {@code retry.attempts} of them per target, and a target that gives up early (a refusal, an
     * invalid answer) leaves the rest of its slots unused; each switch of targets records how many
     * its target used. A replay starts the stage over.
     */
    private int attemptsMade(String jobId, String stageId, int attempt, int perTarget, int targetIndex) {
        int onThisTarget = (attempt - 1) % perTarget + 1;
        if (targetIndex == 0) {
            return onThisTarget;
        }
        int before = 0;
        for (var e : store.events(jobId, 0, 10_000)) {
            if ("replayed".equals(e.type())) {
                before = 0;
            } else if ("target_switched".equals(e.type()) && e.data() != null && stageId.equals(e.data().path("stage").asString(""))) {
                before += e.data().path("attempts").asInt(perTarget); // switches recorded before the count was kept used every slot
            }
        }
        return before + onThisTarget;
    }

    /** The route targets a stage gave up on so far, from the job's durable events. */
    private List<String> targetHistory(String jobId, String stageId) {
        List<String> out = new ArrayList<>();
        for (var e : store.events(jobId, 0, 10_000)) {
            if ("target_switched".equals(e.type()) && e.data() != null && stageId.equals(e.data().path("stage").asString(""))) {
                out.add(e.data().path("from").asString() + ": " + e.data().path("code").asString() + ", switched to " + e.data().path("to").asString());
            }
        }
        return out;
    }
}
