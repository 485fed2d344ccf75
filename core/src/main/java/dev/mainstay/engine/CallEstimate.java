package dev.mainstay.engine;

import dev.mainstay.Json;
import dev.mainstay.provider.Message;
import dev.mainstay.provider.Routes;
import dev.mainstay.provider.Target;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.usage.TokenEstimator;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.StageDefinition;
import dev.mainstay.workflow.WorkflowDefinition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The worst case of the smallest call a model stage can make to one target: what its budget
 * reservation holds at the least. The smallest prompt is the stage's instructions (its
 * {@code system} text and the output contract, schema and rules) and its prompt template rendered
 * with no input values and no earlier stage outputs; it is estimated exactly as a reservation
 * estimates a prompt, and the stage's {@code max_output_tokens} is added, priced at the target's
 * current input and output prices. Every real call of the stage reserves at least this much: its
 * prompt holds the same instructions and template text, plus the caller's values.
 *
 * <p>A budget with less left than the cheapest of these for a workflow's first model stage cannot
 * run any job of the workflow; a per-job budget below one of them can never pay for that call.
 *
 * @param stage the model stage's id
 * @param promptTokens the smallest prompt's estimated tokens, with the chat format's overhead and the output schema
 * @param costMicros the worst case in micro-dollars: the prompt at the input price, {@code max_output_tokens} at the output price
 */
public record CallEstimate(String stage, Target target, long promptTokens, int maxOutputTokens, long costMicros) {
    private static final TokenEstimator TOKENS = new TokenEstimator();

    /** The worst case in tokens: the smallest prompt plus {@code max_output_tokens}. */
    public long tokens() {
        return promptTokens + maxOutputTokens;
    }

    /** The smallest call of every model stage to every target of its routes, stages in order, targets in route order. */
    public static List<CallEstimate> all(WorkflowDefinition wf, Routes routes, PriceTable prices) {
        List<CallEstimate> out = new ArrayList<>();
        for (StageDefinition s : wf.stages()) {
            if (s instanceof ModelStage stage) {
                out.addAll(of(wf, stage, routes, prices));
            }
        }
        return out;
    }

    /**
     * The smallest call of the workflow's first model stage to each of its targets; empty when the
     * workflow has no model stage, or its route no target. A job of the workflow cannot start
     * spending without one of these.
     */
    public static List<CallEstimate> first(WorkflowDefinition wf, Routes routes, PriceTable prices) {
        for (StageDefinition s : wf.stages()) {
            if (s instanceof ModelStage stage) {
                return of(wf, stage, routes, prices);
            }
        }
        return List.of();
    }

    /**
     * What is wrong with a workflow's per-job budget at current prices, for people: for each model
     * stage whose every target's smallest call reserves more than {@code cost_per_job_usd}, that
     * the stage can never call a model (for the first model stage: that no job of the version can);
     * for a stage where only some targets do, that those targets can never be called. Empty when
     * the workflow sets no per-job budget or every call fits it.
     */
    public static List<String> perJobBudgetWarnings(WorkflowDefinition wf, Routes routes, PriceTable prices) {
        Long perJob = wf.limits().costPerJobMicros();
        if (perJob == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        boolean first = true;
        for (StageDefinition s : wf.stages()) {
            if (!(s instanceof ModelStage stage)) {
                continue;
            }
            List<CallEstimate> calls = of(wf, stage, routes, prices);
            List<CallEstimate> over = calls.stream().filter(c -> c.costMicros() > perJob).toList();
            if (!over.isEmpty() && over.size() == calls.size()) {
                CallEstimate c = cheapest(calls).orElseThrow();
                out.add("limits.cost_per_job_usd $" + usd(perJob) + " is below $" + usd(c.costMicros()) + ", the least one call of stage '" + stage.id()
                        + "' reserves (" + c.describe() + "): " + (first
                        ? "no job of this version can call a model; every job ends through its fallback ladder, or fails with budget_exceeded"
                        : "stage '" + stage.id() + "' can never call a model"));
            } else {
                for (CallEstimate c : over) {
                    out.add("limits.cost_per_job_usd $" + usd(perJob) + " is below $" + usd(c.costMicros()) + ", the least one call of stage '" + stage.id()
                            + "' reserves on " + c.target() + " (" + c.describe() + "): that target can never be called");
                }
            }
            first = false;
        }
        return out;
    }

    /** {@code openai/gpt-4o-mini: smallest prompt 212 tokens + max_output_tokens 800}. */
    private String describe() {
        return target + ": smallest prompt " + promptTokens + " tokens + max_output_tokens " + maxOutputTokens + " at current prices";
    }

    private static String usd(long micros) {
        return dev.mainstay.limits.AccountLimits.Money.usd(micros);
    }

    /** The one of {@code calls} with the lowest cost (then the fewest tokens). */
    public static Optional<CallEstimate> cheapest(List<CallEstimate> calls) {
        return calls.stream().min(Comparator.comparingLong(CallEstimate::costMicros).thenComparingLong(CallEstimate::tokens));
    }

    private static List<CallEstimate> of(WorkflowDefinition wf, ModelStage stage, Routes routes, PriceTable prices) {
        var context = wf.context(stage.id());
        List<Message> messages = List.of(Message.system(ModelStageExecutor.instructions(wf, stage)),
                Message.user(stage.prompt().render(context.input(Json.object()), context.stages(Map.of()))));
        String schema = stage.output().schema().text();
        List<CallEstimate> out = new ArrayList<>();
        for (Target t : targets(stage, routes)) {
            long prompt = TOKENS.estimate(t.model(), messages, schema);
            out.add(new CallEstimate(stage.id(), t, prompt, stage.maxOutputTokens(), prices.costMicros(t.provider(), t.model(), prompt, 0, stage.maxOutputTokens())));
        }
        return out;
    }

    /** As {@link ModelStageExecutor#targets}: every target of the stage's routes, in preference order, each once. */
    private static List<Target> targets(ModelStage stage, Routes routes) {
        List<Target> out = new ArrayList<>();
        for (String route : stage.route()) {
            for (Target t : routes.targets(route).orElse(List.of())) {
                if (!out.contains(t)) {
                    out.add(t);
                }
            }
        }
        return out;
    }
}
