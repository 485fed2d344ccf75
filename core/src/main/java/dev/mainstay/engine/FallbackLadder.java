package dev.mainstay.engine;

import dev.mainstay.ContentHash;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.contract.OutputContract;
import dev.mainstay.contract.Violation;
import dev.mainstay.fallback.FallbackRung;
import dev.mainstay.job.Job;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.store.Store;
import dev.mainstay.tracing.TraceSpan;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.StageDefinition;
import dev.mainstay.workflow.WorkflowDefinition;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * Climbs a workflow's declared fallback ladder once the ideal path has failed for good: every
 * rung is tried in order and the first that yields a result satisfying the final stage's schema
 * wins. Each step, taken or passed over, is appended to the path recorded in provenance.
 */
final class FallbackLadder {
    /** Where the ladder ended. */
    sealed interface Outcome {
    }

    /** A result the ladder produced, labelled for what it is. */
    record Rescue(JsonNode result, ResultType type, Provenance provenance) implements Outcome {
    }

    /** A person decides; {@code proposed} is the output put forward for approval, if any. */
    record ToReview(FallbackRung.Review rung, JsonNode proposed, Provenance provenance) implements Outcome {
    }

    private final Store store;
    private final String toolchainVersion;

    private final JobSpans spans;

    FallbackLadder(Store store, String toolchainVersion) {
        this(store, toolchainVersion, JobSpans.NONE);
    }

    FallbackLadder(Store store, String toolchainVersion, JobSpans spans) {
        this.spans = spans;
        this.store = store;
        this.toolchainVersion = toolchainVersion;
    }

    /**
     * @param failedStage index of the stage that failed
     * @param path the steps so far (route targets given up); rung outcomes are appended
     */
    Optional<Outcome> climb(Job job, WorkflowDefinition wf, int failedStage, StageResult.Failed failure, List<String> path) {
        StageDefinition last = wf.stages().getLast();
        OutputContract contract = switch (last) {
            case ModelStage m -> m.output();
            case dev.mainstay.workflow.ToolStage t -> null;
        };
        if (contract == null) {
            return Optional.empty(); // no rung can stand in for an integration's answer
        }
        for (FallbackRung rung : wf.fallback()) {
            TraceSpan span = spans.rung(job, wf.stages().get(failedStage).id(), rung.label());
            Optional<Outcome> out = Optional.empty();
            try {
                out = tryRung(rung, job, wf, failedStage, failure, path, contract);
            } finally {
                span.set("mainstay.fallback.taken", out.isPresent());
                span.end();
            }
            if (out.isPresent()) {
                return out;
            }
        }
        return Optional.empty();
    }

    /** One rung: its outcome, or empty with the reason appended to {@code path}. */
    private Optional<Outcome> tryRung(FallbackRung rung, Job job, WorkflowDefinition wf, int failedStage, StageResult.Failed failure, List<String> path,
                                      OutputContract contract) {
        switch (rung) {
            case FallbackRung.Cached c -> {
                Optional<Job> hit = store.lastGoodJob(wf.name(), wf.version(), job.inputHash()).filter(j -> !j.id().equals(job.id()));
                if (hit.isEmpty()) {
                    path.add("cached: no earlier full result for this input");
                    return Optional.empty();
                }
                Job cached = hit.get();
                path.add("cached: served the result of " + cached.id());
                Provenance p = cached.provenance();
                return Optional.of(new Rescue(cached.result(), ResultType.FALLBACK, p == null
                        ? new Provenance("mainstay", "cached", null, schemaVersion(contract), toolchainVersion, path, "passed", cached.id())
                        : new Provenance(p.provider(), p.model(), p.promptVersion(), p.schemaVersion(), p.toolchainVersion(), path, p.validation(), cached.id())));
            }
            case FallbackRung.Rules r -> {
                Optional<JsonNode> built = r.path().run(job.input(), contract.schema().node());
                if (built.isEmpty()) {
                    path.add(rung.label() + ": nothing to build from this input");
                    return Optional.empty();
                }
                OutputContract.Check check = contract.check(Json.write(built.get()), job.input());
                if (check instanceof OutputContract.Check.Invalid invalid) {
                    path.add(rung.label() + ": its result failed the output schema (" + describe(invalid.violations()) + ")");
                    return Optional.empty();
                }
                path.add(rung.label() + ": built the result without a model");
                return Optional.of(new Rescue(built.get(), ResultType.FALLBACK,
                        new Provenance("mainstay", rung.label(), null, schemaVersion(contract), toolchainVersion, path, "passed")));
            }
            case FallbackRung.Draft d -> {
                if (failure.rejectedOutput() == null || failedStage != wf.stages().size() - 1) {
                    path.add("draft: no model answer of the final stage to hand over");
                    return Optional.empty();
                }
                path.add("draft: handed over the model's answer that failed its contract");
                Provenance p = failure.provenance();
                return Optional.of(new Rescue(failure.rejectedOutput(), ResultType.DRAFT, p == null
                        ? new Provenance("mainstay", "draft", null, schemaVersion(contract), toolchainVersion, path, "failed")
                        : new Provenance(p.provider(), p.model(), p.promptVersion(), p.schemaVersion(), p.toolchainVersion(), path, "failed")));
            }
            case FallbackRung.Review review -> {
                ErrorCode code = failure.error().code();
                if ((code == ErrorCode.BUDGET_EXCEEDED || code == ErrorCode.QUOTA_EXCEEDED) && !review.budgetRefusals()) {
                    // A person cannot raise a budget; an account over it would flood the queue.
                    path.add("review: not sent, " + code.code() + " goes to review only with budget_refusals: true");
                    return Optional.empty();
                }
                path.add("review: sent to a person, who decides within " + review.expires() + " (then: " + review.onExpiry().wire() + ")");
                Provenance p = failure.provenance();
                return Optional.of(new ToReview(review, failure.rejectedOutput(), p == null
                        ? new Provenance("mainstay", null, null, schemaVersion(contract), toolchainVersion, path, "failed")
                        : new Provenance(p.provider(), p.model(), p.promptVersion(), p.schemaVersion(), p.toolchainVersion(), path, "failed")));
            }
        }
    }

    private static String schemaVersion(OutputContract contract) {
        return ContentHash.shortForm(contract.schema().hash());
    }

    private static String describe(List<Violation> violations) {
        return violations.stream().limit(3).map(Violation::toString).collect(Collectors.joining("; "));
    }
}
