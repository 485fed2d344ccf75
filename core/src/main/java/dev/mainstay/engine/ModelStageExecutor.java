package dev.mainstay.engine;

import dev.mainstay.ContentHash;
import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.contract.ConfidenceGate;
import dev.mainstay.contract.OutputContract;
import dev.mainstay.contract.Violation;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.Provenance;
import dev.mainstay.provider.Message;
import dev.mainstay.provider.ToolDefinition;
import dev.mainstay.provider.ToolRequest;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.routing.TargetLimits;
import dev.mainstay.workflow.ModelTool;
import dev.mainstay.provider.ModelRequest;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.provider.Routes;
import dev.mainstay.provider.Target;
import dev.mainstay.redaction.Category;
import dev.mainstay.redaction.Egress;
import dev.mainstay.redaction.Redaction;
import dev.mainstay.redaction.RedactionBlockedException;
import dev.mainstay.redaction.RedactionPolicy;
import dev.mainstay.redaction.Redactor;
import dev.mainstay.redaction.Report;
import dev.mainstay.redaction.TokenVault;
import dev.mainstay.store.StoreException;
import dev.mainstay.tracing.TraceContext;
import dev.mainstay.tracing.TraceSpan;
import dev.mainstay.usage.BilledTokens;
import dev.mainstay.usage.Charge;
import dev.mainstay.usage.TokenEstimator;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.WorkflowDefinition;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.stream.Collectors;
import dev.mainstay.metrics.CallClass;
import dev.mainstay.metrics.CheckResult;
import dev.mainstay.metrics.EngineMetrics;
import dev.mainstay.metrics.ModelCall;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Runs one attempt of a model stage: render the prompt, call the route's first target within the
 * provider's bulkhead, check the answer against the output contract, and give the model exactly
 * one chance to repair an invalid answer. Never throws for provider trouble.
 *
 * <p>The next rung after a failure (another target, a cached result, a rules path) is the fallback
 * ladder's decision and is taken by the engine, not here.
 */
final class ModelStageExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(ModelStageExecutor.class);
    private final Map<String, Provider> providers;
    private final Routes routes;
    private final Clock clock;
    private final EngineConfig config;
    private final Map<String, Semaphore> bulkheads = new ConcurrentHashMap<>();
    private final TargetHealth health;
    private final TargetLimits limits;
    private final Quotas quotas;
    private final TokenEstimator tokens;
    private final Map<RedactionPolicy, Redactor> redactors = new ConcurrentHashMap<>();

    /** Makes a function call a model asked for, and gives back what the model is told (JSON text). */
    @FunctionalInterface
    interface Functions {
        String call(Job job, ModelStage stage, ToolRequest request, int n) throws InterruptedException;
    }

    private final Functions functions;
    private final EngineMetrics metrics;
    private final JobSpans spans;

    ModelStageExecutor(Map<String, Provider> providers, Routes routes, Quotas quotas, Clock clock, EngineConfig config, TargetHealth health,
                       TargetLimits limits, Functions functions) {
        this(providers, routes, quotas, clock, config, health, limits, functions, EngineMetrics.NONE);
    }

    ModelStageExecutor(Map<String, Provider> providers, Routes routes, Quotas quotas, Clock clock, EngineConfig config, TargetHealth health,
                       TargetLimits limits, Functions functions, EngineMetrics metrics) {
        this(providers, routes, quotas, clock, config, health, limits, functions, metrics, JobSpans.NONE);
    }

    ModelStageExecutor(Map<String, Provider> providers, Routes routes, Quotas quotas, Clock clock, EngineConfig config, TargetHealth health,
                       TargetLimits limits, Functions functions, EngineMetrics metrics, JobSpans spans) {
        this.spans = spans;
        this.metrics = metrics;
        this.functions = functions;
        this.quotas = quotas;
        this.tokens = quotas.tokens();
        this.health = health;
        this.limits = limits;
        this.providers = Map.copyOf(providers);
        this.routes = routes;
        this.clock = clock;
        this.config = config;
    }

    /**
     * One attempt on {@code t}, one of {@link #targets(ModelStage)}. Every call made is in the
     * result's charges, whatever happens after it: an unexpected failure past a call ends the
     * attempt as {@code internal} with those charges, rather than losing them with the exception.
     */
    StageResult attempt(Job job, WorkflowDefinition workflow, ModelStage stage, Map<String, JsonNode> earlier, Target t) throws InterruptedException {
        List<Charge> charges = new ArrayList<>();
        try {
            return attempt(job, workflow, stage, earlier, t, charges);
        } catch (StoreException e) {
            throw e; // the database is away: the job runs again once it is back, as after a crash
        } catch (RuntimeException e) {
            if (charges.isEmpty()) {
                throw e;
            }
            LOG.error("job {} stage '{}': unexpected failure after {} model calls to {}; the calls are recorded with the failure", job.id(), stage.id(),
                    charges.size(), t, e);
            return failed(ErrorCode.INTERNAL, "stage '" + stage.id() + "' failed on an unexpected " + e.getClass().getSimpleName() + " after " + charges.size()
                    + " model calls to " + t, false, null, charges);
        }
    }

    private StageResult attempt(Job job, WorkflowDefinition workflow, ModelStage stage, Map<String, JsonNode> earlier, Target t, List<Charge> charges)
            throws InterruptedException {
        Provider provider = providers.get(t.provider());
        if (provider == null) {
            return failed(ErrorCode.PROVIDER_UNAVAILABLE, "route target " + t + " names provider '" + t.provider() + "', which is not configured", false, null, List.of());
        }
        Duration timeout = stage.timeout();
        Duration left = Duration.between(clock.instant(), job.deadlineAt());
        if (left.compareTo(timeout) < 0) {
            timeout = left;
        }
        if (timeout.toMillis() < 1) {
            return failed(ErrorCode.DEADLINE_EXCEEDED, "the workflow deadline of " + workflow.deadline() + " passed before stage '" + stage.id() + "' could run", false, null, List.of());
        }

        RedactionPolicy policy = workflow.redaction(stage.id()).forProvider(provider.dataPolicy());
        Redactor redactor = redactors.computeIfAbsent(policy, Redactor::of);
        List<Message> messages;
        // The job's one vault, derived afresh on every attempt from the input and the finished
        // stages' outputs: a value gets the same placeholder in every stage on any node after any
        // restart, and one an earlier stage restored into its output is replaced again here.
        TokenVault vault = redactor.jobVault(job.input(), workflow.stages().stream()
                .map(s -> earlier.get(s.id())).filter(Objects::nonNull).toList());
        Egress egress;
        try {
            List<Message> plain = messages(job, workflow, stage, earlier);
            messages = new ArrayList<>(plain.size());
            Report found = Report.EMPTY;
            for (Message m : plain) {
                Redaction<String> r = redactor.redact(m.content(), vault);
                messages.add(new Message(m.role(), r.value()));
                vault = r.vault();
                found = found.plus(r.report());
            }
            egress = Egress.of(policy, found);
        } catch (RedactionBlockedException e) {
            return blocked(workflow, stage, t, policy, e, null, List.of());
        }
        Map<String, String> tags = Map.of("job", job.id(), "stage", stage.id(), "workflow", workflow.name() + "@" + workflow.version());
        String schemaName = stage.id().replace('-', '_') + "_output";

        List<ToolDefinition> offered = stage.tools().stream().map(ModelTool::definition).toList();
        Call first = call(provider, job, workflow, stage, t, new ModelRequest(t.model(), messages, stage.output().schema().node(), schemaName,
                stage.maxOutputTokens(), timeout, tags, offered), charges);
        if (first.refused() != null) {
            return first.refused();
        }
        if (!(first.outcome() instanceof ProviderOutcome.Success firstAnswer)) {
            return fromFailure(first.outcome(), null, charges);
        }
        ProviderOutcome.Success answer = firstAnswer;
        Call answered = first;
        // Function calls the model asks for, each made and its result sent back, up to the stage's bound.
        int made = 0;
        while (!answer.toolCalls().isEmpty()) {
            if (made + answer.toolCalls().size() > stage.maxToolCalls()) {
                return failed(ErrorCode.INVALID_MODEL_OUTPUT, "the model of stage '" + stage.id() + "' asked for more than " + stage.maxToolCalls()
                        + " function calls (max_tool_calls)", false, provenance(egress, workflow, stage, t, answer, "failed"), charges);
            }
            List<Message> exchange = new ArrayList<>(messages);
            exchange.add(Message.assistant(answer.content() == null ? "" : answer.content(), answer.toolCalls()));
            report(job, workflow, stage, answered, CallClass.OK);
            for (ToolRequest request : answer.toolCalls()) {
                String result = functions.call(job, stage, request, ++made);
                try {
                    Redaction<String> r = redactor.redact(result, vault);
                    exchange.add(Message.toolResult(request.id(), r.value()));
                    vault = r.vault();
                    egress = egress.plus(Egress.of(policy, r.report()));
                } catch (RedactionBlockedException e) {
                    return blocked(workflow, stage, t, policy, e, egress, charges);
                }
            }
            messages = exchange;
            Duration left2 = Duration.between(clock.instant(), job.deadlineAt());
            if (left2.toMillis() < 1) {
                return failed(ErrorCode.DEADLINE_EXCEEDED, "the workflow deadline passed while stage '" + stage.id() + "' was calling functions", false,
                        provenance(egress, workflow, stage, t, answer, "failed"), charges);
            }
            Call next = call(provider, job, workflow, stage, t, new ModelRequest(t.model(), messages, stage.output().schema().node(), schemaName,
                    stage.maxOutputTokens(), left2.compareTo(timeout) < 0 ? left2 : timeout, tags, offered), charges);
            if (next.refused() != null) {
                return next.refused();
            }
            if (!(next.outcome() instanceof ProviderOutcome.Success nextAnswer)) {
                return fromFailure(next.outcome(), provenance(egress, workflow, stage, t, answer, "failed"), charges);
            }
            answer = nextAnswer;
            answered = next;
        }
        String answerText = restore(answer.content(), vault);
        OutputContract.Check check = stage.output().check(answerText, job.input());
        EvalTraffic.metrics(metrics, job.accountId()).outputChecked(workflow.name(), stage.id(), false, checkResult(check));
        report(job, workflow, stage, answered, check instanceof OutputContract.Check.Invalid ? CallClass.INVALID_OUTPUT : CallClass.OK);
        List<Violation> violations;
        switch (check) {
            case OutputContract.Check.Valid valid -> {
                return new StageResult.Completed(valid.output(), provenance(egress, workflow, stage, t, answer, "passed"), charges);
            }
            case OutputContract.Check.LowConfidence low -> {
                // Not repaired: the output is well-formed, and asking again only invites a made-up higher number.
                return lowConfidence(stage, low, provenance(egress, workflow, stage, t, answer, "failed"), charges);
            }
            case OutputContract.Check.Invalid invalid -> violations = invalid.violations();
        }

        // One repair attempt: show the model its answer and what was wrong with it.
        List<Message> repair = new ArrayList<>(messages);
        repair.add(Message.assistant(answer.content() == null ? "" : answer.content()));
        // The model's own answer goes back as it wrote it, placeholders and all; the violations
        // describe the restored answer, so they are redacted like any other content.
        String complaint = "Your answer does not satisfy the required JSON Schema and rules:\n"
                + violations.stream().map(v -> "- " + v).collect(Collectors.joining("\n"))
                + "\nReply again with only the corrected JSON object.";
        try {
            Redaction<String> r = redactor.redact(complaint, vault);
            repair.add(Message.user(r.value()));
            vault = r.vault();
            egress = egress.plus(Egress.of(policy, r.report()));
        } catch (RedactionBlockedException e) {
            // The first call did go out: its record and its charge stay with the refusal.
            return blocked(workflow, stage, t, policy, e, egress, charges);
        }
        Duration repairTimeout = Duration.between(clock.instant(), job.deadlineAt());
        if (repairTimeout.compareTo(timeout) > 0) {
            repairTimeout = timeout;
        }
        if (repairTimeout.toMillis() < 1) {
            return failed(ErrorCode.DEADLINE_EXCEEDED, "the workflow deadline passed before the output of stage '" + stage.id() + "' could be repaired", false,
                    provenance(egress, workflow, stage, t, answer, "failed"), charges);
        }
        Call second = call(provider, job, workflow, stage, t, new ModelRequest(t.model(), repair, stage.output().schema().node(), schemaName,
                stage.maxOutputTokens(), repairTimeout, tags, offered), charges);
        if (second.refused() != null) {
            return second.refused();
        }
        if (!(second.outcome() instanceof ProviderOutcome.Success repaired)) {
            return fromFailure(second.outcome(), provenance(egress, workflow, stage, t, answer, "failed"), charges);
        }
        String repairedText = restore(repaired.content(), vault);
        OutputContract.Check recheck = stage.output().check(repairedText, job.input());
        EvalTraffic.metrics(metrics, job.accountId()).outputChecked(workflow.name(), stage.id(), true, checkResult(recheck));
        report(job, workflow, stage, second, recheck instanceof OutputContract.Check.Invalid ? CallClass.INVALID_OUTPUT : CallClass.OK);
        return switch (recheck) {
            case OutputContract.Check.Valid valid -> new StageResult.Completed(valid.output(), provenance(egress, workflow, stage, t, repaired, "repaired"), charges);
            case OutputContract.Check.LowConfidence low -> lowConfidence(stage, low, provenance(egress, workflow, stage, t, repaired, "failed"), charges);
            case OutputContract.Check.Invalid still -> new StageResult.Failed(new JobError(ErrorCode.INVALID_MODEL_OUTPUT, "model output of stage '" + stage.id()
                    + "' failed its output contract after one repair: " + still.violations().stream().limit(5).map(Violation::toString).collect(Collectors.joining("; ")), false),
                    Optional.empty(), provenance(egress, workflow, stage, t, repaired, "failed"), charges, parsedOrNull(repairedText));
        };
    }

    /**
     * A call made (its outcome) or refused by a budget before it was made.
     *
     * @param call the call as metrics see it, its class still {@code ok} for an answer not yet checked
     */
    private record Call(ProviderOutcome outcome, StageResult.Failed refused, ModelCall call) {
        Call(ProviderOutcome outcome, StageResult.Failed refused) {
            this(outcome, refused, null);
        }
    }

    /** Reports an answered call once its answer's class is known. */
    private void report(Job job, WorkflowDefinition workflow, ModelStage stage, Call c, CallClass cls) {
        if (c.call() != null) {
            EngineMetrics metrics = EvalTraffic.metrics(this.metrics, job.accountId());
            ModelCall m = c.call();
            metrics.modelCall(new ModelCall(m.workflow(), m.stage(), m.provider(), m.model(), cls, m.latency(), m.inputTokens(), m.cachedInputTokens(),
                    m.outputTokens(), m.costMicros()));
        }
    }

    private static CheckResult checkResult(OutputContract.Check check) {
        return switch (check) {
            case OutputContract.Check.Valid v -> CheckResult.PASSED;
            case OutputContract.Check.LowConfidence l -> CheckResult.LOW_CONFIDENCE;
            case OutputContract.Check.Invalid i -> i.byRules() ? CheckResult.RULES_FAILED : CheckResult.SCHEMA_FAILED;
        };
    }

    /**
     * Takes the target's permit, reserves the call's budget, makes the call, and adds its charge
     * to {@code charges}. An open circuit or a budget that refuses ends the attempt before
     * anything is sent.
     */
    private Call call(Provider provider, Job job, WorkflowDefinition workflow, ModelStage stage, Target t, ModelRequest request, List<Charge> charges)
            throws InterruptedException {
        // The permit is the half-open circuit's only trial when the circuit is tripped: taken this
        // late and closed whatever ends the call (budget refusal, interrupt, exception), so a call
        // that never happens cannot keep the target switched off for every account.
        TargetHealth.Permit permit;
        switch (health.permit(t)) {
            case TargetHealth.Permit p -> permit = p;
            case TargetHealth.Refused r -> {
                return new Call(null, new StageResult.Failed(new JobError(ErrorCode.PROVIDER_UNAVAILABLE, r.block().reason(), false), Optional.empty(), null, charges));
            }
        }
        try (permit) {
            String reservation = null;
            // The stage's schema is written once; a request with another schema is written here.
            String schemaText = request.outputSchema() == stage.output().schema().node() ? stage.output().schema().text() : Json.write(request.outputSchema());
            switch (quotas.reserve(job, workflow, stage.id(), t, request.messages(), schemaText, request.maxOutputTokens(), request.timeout())) {
                case Quotas.Held.Granted g -> reservation = g.reservationId();
                case Quotas.Held.Refused r -> {
                    var hit = r.refusal().hit();
                    boolean wait = !r.refusal().definitive();
                    return new Call(null, new StageResult.Failed(new JobError(hit.code(), hit.message(), false), Optional.empty(), null, charges, null,
                            wait ? hit.retryAfter() : Optional.empty()));
                }
            }
            long started = System.nanoTime();
            // The call's span is current while it is made, so the request carries its traceparent.
            TraceSpan span = spans.chat(job, stage.id(), t, request.maxOutputTokens());
            ProviderOutcome outcome = null;
            try (TraceContext.Scope entered = spans.on() ? span.enter() : null) {
                outcome = call(provider, t, request);
            } finally {
                if (outcome == null) {
                    JobSpans.answered(span, t, null, 0, 0);
                }
            }
            Duration took = outcome instanceof ProviderOutcome.Success s && s.latency() != null ? s.latency() : Duration.ofNanos(System.nanoTime() - started);
            BilledTokens billed = outcome instanceof ProviderOutcome.Success s ? billed(t, request, s) : BilledTokens.NONE;
            if (billed.basis() == Charge.Basis.ESTIMATED) {
                LOG.warn("job {} stage '{}': {} answered with unusable token counts: {}", job.id(), stage.id(), t, billed.note());
            }
            Charge charge = quotas.charge(job, workflow, stage.id(), t, reservation, billed);
            charges.add(charge);
            JobSpans.answered(span, t, outcome, charge.inputTokens(), charge.outputTokens());
            ModelCall seen = new ModelCall(workflow.name(), stage.id(), t.provider(), t.model(), CallClass.of(outcome), took, charge.inputTokens(),
                    charge.cachedInputTokens(), charge.outputTokens(), charge.costMicros());
            if (!(outcome instanceof ProviderOutcome.Success)) {
                EvalTraffic.metrics(metrics, job.accountId()).modelCall(seen); // an answer is reported once checked, with the class its check gives it
            }
            return new Call(outcome, null, seen);
        }
    }

    /** The provider's counts where they are believable, else the reservation's estimate (see {@link BilledTokens}). */
    private BilledTokens billed(Target t, ModelRequest request, ProviderOutcome.Success s) {
        return BilledTokens.of(s.inputTokens(), s.cachedInputTokens(), s.outputTokens(), request.maxOutputTokens(),
                () -> tokens.estimate(t.model(), request.messages(), Json.write(request.outputSchema())),
                () -> tokens.count(t.model(), (s.content() == null ? "" : s.content())
                        + s.toolCalls().stream().map(c -> c.name() + Json.write(c.arguments() == null ? Json.object() : c.arguments())).collect(Collectors.joining())));
    }

    private static StageResult lowConfidence(ModelStage stage, OutputContract.Check.LowConfidence low, Provenance provenance, List<Charge> usage) {
        // Not retried; the engine routes it to the gate's action (review, or the fallback ladder).
        // The output travels along as the answer a reviewer may approve or the draft rung may hand over.
        ConfidenceGate gate = stage.output().confidence().orElseThrow(() ->
                new IllegalStateException("stage '" + stage.id() + "' has no confidence gate but its check said low confidence. Indicates a bug."));
        return new StageResult.Failed(new JobError(ErrorCode.LOW_CONFIDENCE, "model output of stage '" + stage.id() + "' has " + gate.field() + " " + plain(low.confidence())
                + ", below the minimum " + plain(low.min()) + " of its confidence gate (declared action: " + low.action().code() + ")", false),
                Optional.empty(), provenance, usage, low.output());
    }

    /** {@code 0.42}, {@code 60}: as the workflow author wrote it, not {@code 60.0} or {@code 4.2E-1}. */
    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    private ProviderOutcome call(Provider provider, Target target, ModelRequest request) throws InterruptedException {
        Semaphore bulkhead = bulkheads.computeIfAbsent(provider.name(), n -> new Semaphore(config.providerConcurrency(n), true));
        Optional<Semaphore> perTarget = limits.bulkhead(target);
        bulkhead.acquire();
        ProviderOutcome outcome = null;
        try {
            if (perTarget.isPresent()) {
                perTarget.get().acquire();
            }
            try {
                outcome = provider.call(request);
                return outcome;
            } finally {
                perTarget.ifPresent(Semaphore::release);
            }
        } finally {
            bulkhead.release();
            if (outcome != null) {
                limits.learn(target, outcome.rateLimits());
            }
            switch (outcome) {
                case null -> health.neutral(target);
                case ProviderOutcome.Success s -> {
                    health.success(target, s.latency());
                    // Budgets the headers named are held back by the limits; a bare wait by the breaker.
                    if (s.budgetExhaustedFor() != null && s.rateLimits().budgets().isEmpty()) {
                        health.pause(target, s.budgetExhaustedFor());
                    }
                }
                case ProviderOutcome.RateLimited r -> {
                    health.failure(target, r.retryAfter());
                    health.remember(target, "rate_limited", Redactor.scrubSecrets(r.detail()));
                }
                case ProviderOutcome.Transient tr -> {
                    health.failure(target, tr.retryAfter());
                    health.remember(target, "transient", Redactor.scrubSecrets(tr.detail()));
                }
                case ProviderOutcome.TimedOut to -> {
                    health.failure(target, Optional.empty());
                    health.remember(target, "timed_out", Redactor.scrubSecrets(to.detail()));
                }
                case ProviderOutcome.Refused r -> health.neutral(target);
                case ProviderOutcome.Fatal f -> {
                    health.neutral(target);
                    health.remember(target, "fatal", "HTTP " + f.status() + ": " + Redactor.scrubSecrets(f.detail()));
                }
            }
        }
    }

    /** The messages of a stage's first call: instructions with the output contract, then the rendered prompt. */
    private static List<Message> messages(Job job, WorkflowDefinition workflow, ModelStage stage, Map<String, JsonNode> earlier) {
        // Only what the stage's context declares reaches the template, and so the provider.
        var context = workflow.context(stage.id());
        return List.of(Message.system(instructions(workflow, stage)), Message.user(stage.prompt().render(context.input(job.input()), context.stages(earlier))));
    }

    /** The stage's first call to {@code t}, estimated as budget reservations estimate it: prompt plus the most it may answer. */
    long estimateTokens(Job job, WorkflowDefinition workflow, ModelStage stage, Map<String, JsonNode> earlier, Target t) {
        return tokens.estimate(t.model(), messages(job, workflow, stage, earlier), stage.output().schema().text()) + stage.maxOutputTokens();
    }

    /** Every target of the stage's routes, in preference order, each once. */
    List<Target> targets(ModelStage stage) {
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

    private Provenance provenance(Egress egress, WorkflowDefinition workflow, ModelStage stage, Target t, ProviderOutcome.Success s, String validation) {
        String model = s.reportedModel() == null || s.reportedModel().isBlank() ? t.model() : s.reportedModel();
        return new Provenance(t.provider(), model, stage.prompt().version(), ContentHash.shortForm(stage.output().schema().hash()),
                config.toolchainVersion(), List.of(), validation).withRedaction(egress).withStrictSchema(s.strictSchema());
    }

    /**
     * Content about to be sent holds values its policy blocks, and was not sent. Names categories
     * and counts, never a value; not retryable, as the same content is refused on every target.
     *
     * @param sent what earlier calls of this attempt sent, else {@code null}
     * @param charges the charges of those calls
     */
    private StageResult blocked(WorkflowDefinition workflow, ModelStage stage, Target t, RedactionPolicy policy, RedactionBlockedException e,
                                Egress sent, List<Charge> charges) {
        Egress refused = Egress.of(policy, e.blocked());
        Provenance p = new Provenance(t.provider(), t.model(), stage.prompt().version(), ContentHash.shortForm(stage.output().schema().hash()),
                config.toolchainVersion(), List.of(), "failed").withRedaction(sent == null ? refused : sent.plus(refused));
        return failed(ErrorCode.REDACTION_BLOCKED, "stage '" + stage.id() + "' was not sent to " + t + ": its redaction policy blocks "
                + e.blocked().categories().stream().map(Category::wire).collect(Collectors.joining(", ")) + " and the content holds " + e.blocked()
                + " (values not shown)", false, p, charges);
    }

    /**
     * The answer with this attempt's placeholders turned back into the values. A JSON answer is
     * restored value by value, so a value holding a quote or a line break stays valid JSON.
     */
    static String restore(String content, TokenVault vault) {
        if (content == null || vault.isEmpty()) {
            return content;
        }
        JsonNode tree;
        try {
            tree = Json.parse(content.strip());
        } catch (RuntimeException notJson) {
            return vault.restore(content);
        }
        return tree == null || !(tree.isObject() || tree.isArray()) ? vault.restore(content) : Json.write(vault.restore(tree));
    }

    private static StageResult fromFailure(ProviderOutcome outcome, Provenance provenance, List<Charge> usage) {
        return switch (outcome) {
            case ProviderOutcome.Success s -> throw new IllegalStateException("a success is not a failure. Indicates a bug.");
            case ProviderOutcome.RateLimited r -> new StageResult.Failed(JobError.of(ErrorCode.PROVIDER_RATE_LIMITED, "provider rate limit: " + Redactor.scrubSecrets(r.detail())), r.retryAfter(), provenance, usage);
            case ProviderOutcome.Transient t -> new StageResult.Failed(JobError.of(ErrorCode.PROVIDER_UNAVAILABLE, "provider unavailable: " + Redactor.scrubSecrets(t.detail())), t.retryAfter(), provenance, usage);
            case ProviderOutcome.TimedOut t -> new StageResult.Failed(JobError.of(ErrorCode.PROVIDER_TIMEOUT, "no answer within " + t.after().toMillis() + " ms: " + Redactor.scrubSecrets(t.detail())), Optional.empty(), provenance, usage);
            case ProviderOutcome.Refused r -> new StageResult.Failed(JobError.of(ErrorCode.PROVIDER_REFUSED, "the model refused: " + Redactor.scrubSecrets(r.detail())), Optional.empty(), provenance, usage);
            case ProviderOutcome.Fatal f -> new StageResult.Failed(JobError.of(ErrorCode.PROVIDER_REJECTED, "provider rejected the request (HTTP " + f.status() + "): " + Redactor.scrubSecrets(f.detail())), Optional.empty(), provenance, usage);
        };
    }

    private static StageResult failed(ErrorCode code, String message, boolean retryable, Provenance provenance, List<Charge> usage) {
        return new StageResult.Failed(new JobError(code, message, retryable), Optional.empty(), provenance, usage);
    }

    private static JsonNode parsedOrNull(String text) {
        try {
            JsonNode node = Json.parse(text == null ? "" : text.strip());
            return node != null && node.isObject() ? node : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String instructions(WorkflowDefinition workflow, ModelStage stage) {
        String base = "You are the '" + stage.id() + "' stage of the workflow '" + workflow.name() + "'. "
                + "Reply with exactly one JSON object and nothing else. It must satisfy this JSON Schema:\n"
                + stage.output().schema().text();
        if (!stage.output().rules().isEmpty()) {
            base = base + "\nIt must also make each of these CEL expressions true, where `input` is the request's input and `output` is your answer:\n"
                    + stage.output().rules().stream().map(r -> "- " + r.expression()).collect(Collectors.joining("\n"));
        }
        return stage.system() == null ? base : stage.system().strip() + "\n\n" + base;
    }
}
