package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.SteppedClock;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.JobTransition;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.LimitHit;
import dev.mainstay.limits.Reservation;
import dev.mainstay.provider.ModelRequest;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.provider.Routes;
import dev.mainstay.provider.Target;
import dev.mainstay.review.Review;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.routing.TargetLimits;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoreException;
import dev.mainstay.tool.ToolSpec;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import dev.mainstay.config.YamlDocument;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The job runner's stage loop, one test per way a step can end, each on the stepped clock. Every
 * step must come out as exactly one job transition; the tests read them as the store received
 * them. Providers are in-process fakes answering from a script; the store is a recording stand-in
 * for the few calls a running job makes.
 */
class JobRunnerTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final String NODE = "node-test";
    private static final Target A = new Target("p", "model-a");
    private static final Target B = new Target("p", "model-b");
    private static final String VALID = "{\"summary\": \"Refunds take five days.\"}";

    private final SteppedClock clock = new SteppedClock(NOW);
    /** What the store was asked to apply, in order, and whether each applied. */
    private final List<JobTransition> applied = new ArrayList<>();
    /** Answers {@code apply}; a test makes it refuse to play a cancelled job or a lost lease. */
    private Function<JobTransition, Boolean> applies = t -> true;
    private Function<Reservation, Reservation.Outcome> reserve = r -> new Reservation.Outcome.Granted(r.id());
    /** The provider's answers, per model, in order; a model whose script ran out answers {@link #VALID}. */
    private final Map<String, Deque<ProviderOutcome>> script = new HashMap<>();
    private final List<ModelRequest> calls = new ArrayList<>();
    /** When set, the provider throws it instead of answering, as a provider with a bug would. */
    private RuntimeException providerThrows;
    private EngineConfig config = EngineConfig.defaults(NODE, "mainstay/test");
    private TargetHealth health;

    // ---- completed ------------------------------------------------------------------------------

    @Test
    void aCompletedStageIsCommittedWithItsOutputAndTheLastOneFinishesTheJob() {
        WorkflowDefinition wf = workflow("", stage("first", ""), stage("second", ""));

        run(wf, job(wf, 0, 0));

        assertThat(applied).hasSize(2);
        JobTransition first = applied.get(0);
        assertThat(first.to()).isEqualTo(JobStatus.PROCESSING);
        assertThat(first.eventType()).isEqualTo("stage_completed");
        assertThat(first.from()).containsExactly(JobStatus.PROCESSING);
        assertThat(first.leaseOwner()).isEqualTo(NODE);
        assertThat(first.currentStage()).isEqualTo(1);
        assertThat(first.stageAttempts()).isZero();
        assertThat(first.stageRun().status()).isEqualTo(StageRun.COMPLETED);
        assertThat(first.stageRun().output()).isEqualTo(Json.parse(VALID));
        assertThat(first.charges()).hasSize(1);
        assertThat(first.at()).isEqualTo(NOW);
        JobTransition last = applied.get(1);
        assertThat(last.to()).isEqualTo(JobStatus.COMPLETED);
        assertThat(last.eventType()).isEqualTo("completed");
        assertThat(last.currentStage()).isEqualTo(2);
        assertThat(last.result()).isEqualTo(Json.parse(VALID));
        assertThat(last.resultType()).isEqualTo(ResultType.FULL);
        assertThat(last.provenance().validation()).isEqualTo("passed");
        assertThat(last.releaseLease()).isTrue();
        assertThat(calls).hasSize(2);
    }

    // ---- retry ----------------------------------------------------------------------------------

    @Test
    void aRetryableFailureWaitsInRetryingForItsDelayAndTheNextClaimRunsTheStageAgain() {
        WorkflowDefinition wf = workflow("", stage("only", "retry: { attempts: 3, backoff: 1s, max_backoff: 30s }"));
        answer(A, new ProviderOutcome.Transient(Optional.of(Duration.ofSeconds(3)), "HTTP 503: overloaded"));

        run(wf, job(wf, 0, 0));

        JobTransition retry = applied.getFirst();
        assertThat(applied).hasSize(1);
        assertThat(retry.to()).isEqualTo(JobStatus.RETRYING);
        assertThat(retry.eventType()).isEqualTo("retry_scheduled");
        assertThat(retry.error().code()).isEqualTo(ErrorCode.PROVIDER_UNAVAILABLE);
        assertThat(retry.stageAttempts()).isEqualTo(1);
        // The provider's Retry-After is a floor above the first step's jitter (0.5 s to 1 s).
        assertThat(retry.nextRunAt()).isEqualTo(NOW.plusSeconds(3));
        assertThat(retry.retryAt()).isEqualTo(NOW.plusSeconds(3));
        assertThat(retry.releaseLease()).isTrue();
        assertThat(retry.charges()).as("the failed call is charged").hasSize(1);
        assertThat(retry.eventData().path("delay_ms").asLong()).isEqualTo(3_000);

        clock.advance(Duration.ofSeconds(3));
        run(wf, job(wf, 0, retry.stageAttempts()));

        assertThat(applied).hasSize(2);
        assertThat(applied.get(1).to()).isEqualTo(JobStatus.COMPLETED);
        assertThat(applied.get(1).stageRun().attempts()).isEqualTo(2);
        assertThat(applied.get(1).at()).isEqualTo(NOW.plusSeconds(3));
    }

    // ---- wait -----------------------------------------------------------------------------------

    @Test
    void aTargetThatAskedForAPauseIsWaitedOutInTheQueueWithoutSpendingAnAttempt() {
        WorkflowDefinition wf = workflow("", stage("only", "", List.of(A)));
        runner(wf); // builds the target health the step reads
        health.pause(A, Duration.ofSeconds(20));

        runner(wf).run(job(wf, 0, 0));

        assertThat(calls).as("nothing was sent").isEmpty();
        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.RETRYING);
            assertThat(t.eventType()).isEqualTo("target_busy");
            assertThat(t.stageAttempts()).isZero();
            assertThat(t.nextRunAt()).isEqualTo(NOW.plusSeconds(20));
            assertThat(t.releaseLease()).isTrue();
            assertThat(t.charges()).isEmpty();
        });
    }

    @Test
    void aTargetThatAskedForAPauseIsSkippedForTheRoutesNextTargetWithoutCallingIt() {
        WorkflowDefinition wf = workflow("", stage("only", ""));
        runner(wf);
        health.pause(A, Duration.ofSeconds(20));

        runner(wf).run(job(wf, 0, 0));

        assertThat(applied).hasSize(2);
        assertThat(applied.get(0)).satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.PROCESSING);
            assertThat(t.eventType()).isEqualTo("target_switched");
            assertThat(t.error().code()).isEqualTo(ErrorCode.PROVIDER_RATE_LIMITED);
            assertThat(t.eventData().path("from").asString()).isEqualTo("p/model-a");
            assertThat(t.eventData().path("to").asString()).isEqualTo("p/model-b");
            assertThat(t.charges()).isEmpty();
        });
        assertThat(applied.get(1).to()).as("completed on the next target, so degraded").isEqualTo(JobStatus.DEGRADED);
        assertThat(calls).as("nothing was sent to the paused target").extracting(ModelRequest::model).containsExactly("model-b");
    }

    @Test
    void aBudgetHeldByOtherCallsIsWaitedForWithoutSpendingAnAttempt() {
        config = budgeted();
        reserve = r -> new Reservation.Outcome.Refused(new LimitHit(ErrorCode.BUDGET_EXCEEDED, "cost_per_month_usd", "account acct_1",
                "calls in flight hold the rest of account acct_1's budget", Optional.of(Duration.ofSeconds(7))), false);
        WorkflowDefinition wf = workflow("", stage("only", ""));

        run(wf, job(wf, 0, 0));

        assertThat(calls).isEmpty();
        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.RETRYING);
            assertThat(t.eventType()).isEqualTo("budget_wait");
            assertThat(t.stageAttempts()).isZero();
            assertThat(t.nextRunAt()).isEqualTo(NOW.plusSeconds(7));
            assertThat(t.eventData().path("code").asString()).isEqualTo("budget_exceeded");
        });
    }

    // ---- switch target --------------------------------------------------------------------------

    @Test
    void aTargetThatGivesUpHandsTheStageToTheRoutesNextTargetAtOnce() {
        WorkflowDefinition wf = workflow("", stage("only", "retry: { attempts: 2 }"));
        answer(A, new ProviderOutcome.Fatal(404, "no such model"));

        run(wf, job(wf, 0, 0));

        assertThat(applied).hasSize(2);
        JobTransition switched = applied.get(0);
        assertThat(switched.to()).isEqualTo(JobStatus.PROCESSING);
        assertThat(switched.eventType()).isEqualTo("target_switched");
        assertThat(switched.stageAttempts()).as("the first target's two slots are spent").isEqualTo(2);
        assertThat(switched.error().code()).isEqualTo(ErrorCode.PROVIDER_REJECTED);
        assertThat(switched.eventData().path("from").asString()).isEqualTo("p/model-a");
        assertThat(switched.eventData().path("to").asString()).isEqualTo("p/model-b");
        assertThat(switched.eventData().path("attempts").asInt()).as("the refusal left the second slot unused").isEqualTo(1);
        JobTransition done = applied.get(1);
        assertThat(done.to()).as("a rerouted result is degraded").isEqualTo(JobStatus.DEGRADED);
        assertThat(done.eventType()).isEqualTo("degraded");
        assertThat(done.stageRun().attempts()).isEqualTo(2);
        assertThat(done.provenance().fallbackPath()).containsExactly("p/model-a: provider_rejected, switched to p/model-b");
        assertThat(calls).extracting(ModelRequest::model).containsExactly("model-a", "model-b");
    }

    // ---- partial --------------------------------------------------------------------------------

    @Test
    void anOptionalStageThatFailsIsSkippedAndTheJobEndsPartiallyCompleted() {
        WorkflowDefinition wf = workflow("", stage("enrich", "optional: true\n    retry: { attempts: 1 }", List.of(A)), stage("answer", "", List.of(B)));
        answer(A, new ProviderOutcome.Fatal(400, "bad request"));

        run(wf, job(wf, 0, 0));

        assertThat(applied).hasSize(2);
        JobTransition skipped = applied.get(0);
        assertThat(skipped.to()).isEqualTo(JobStatus.PROCESSING);
        assertThat(skipped.eventType()).isEqualTo("stage_skipped");
        assertThat(skipped.currentStage()).isEqualTo(1);
        assertThat(skipped.stageRun().status()).isEqualTo(StageRun.FAILED);
        assertThat(skipped.error()).as("a skipped stage leaves no error on the job").isNull();
        JobTransition last = applied.get(1);
        assertThat(last.to()).isEqualTo(JobStatus.PARTIALLY_COMPLETED);
        assertThat(last.eventType()).isEqualTo("partially_completed");
        assertThat(last.result()).isEqualTo(Json.parse(VALID));
    }

    @Test
    void anOptionalLastStageThatFailsEndsTheJobWithTheOutputItHas() {
        WorkflowDefinition wf = workflow("", stage("answer", "", List.of(A)), stage("polish", "optional: true\n    retry: { attempts: 1 }", List.of(B)));
        answer(B, new ProviderOutcome.Fatal(400, "bad request"));

        run(wf, job(wf, 0, 0));

        assertThat(applied).hasSize(2);
        JobTransition last = applied.get(1);
        assertThat(last.to()).isEqualTo(JobStatus.PARTIALLY_COMPLETED);
        assertThat(last.eventType()).isEqualTo("partially_completed");
        assertThat(last.stageRun().stageId()).isEqualTo("polish");
        assertThat(last.result()).as("the first stage's output").isEqualTo(Json.parse(VALID));
        assertThat(last.provenance()).as("the first stage's, as the job's").isEqualTo(JobRunner.jobProvenance(applied.get(0).stageRun().provenance(), false));
    }

    // ---- rescued by the ladder ------------------------------------------------------------------

    @Test
    void theLaddersDraftRungRescuesAnAnswerThatFailedItsContract() {
        WorkflowDefinition wf = workflow("fallback: [draft]", stage("only", "retry: { attempts: 1 }", List.of(A)));
        String invalid = "{\"summary\": \"\"}";
        answer(A, success(invalid), success(invalid));

        run(wf, job(wf, 0, 0));

        assertThat(calls).as("the answer and its one repair").hasSize(2);
        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.DEGRADED);
            assertThat(t.eventType()).isEqualTo("degraded");
            assertThat(t.resultType()).isEqualTo(ResultType.DRAFT);
            assertThat(t.result()).isEqualTo(Json.parse(invalid));
            assertThat(t.clearError()).isTrue();
            assertThat(t.eventData().path("code").asString()).isEqualTo("invalid_model_output");
            assertThat(t.stageRun().status()).isEqualTo(StageRun.FAILED);
            assertThat(t.charges()).hasSize(2);
            assertThat(t.provenance().fallbackPath()).last().isEqualTo("draft: handed over the model's answer that failed its contract");
        });
    }

    // ---- to review ------------------------------------------------------------------------------

    @Test
    void anAnswerBelowTheConfidenceGateGoesToAPerson() {
        WorkflowDefinition wf = workflow("", """
                  - id: only
                    model: { prompt: p.mustache, route: [primary], max_output_tokens: 100 }
                    output:
                      schema: { type: object, required: [summary, confidence], properties: { summary: { type: string }, confidence: { type: number } } }
                      confidence: { field: confidence, min: 0.9, below: review }
                """);
        answer(A, success("{\"summary\": \"Perhaps five days.\", \"confidence\": 0.4}"));

        run(wf, job(wf, 0, 0));

        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.WAITING_FOR_REVIEW);
            assertThat(t.eventType()).isEqualTo("review_requested");
            assertThat(t.releaseLease()).isTrue();
            assertThat(t.error().code()).isEqualTo(ErrorCode.LOW_CONFIDENCE);
            Review review = t.review();
            assertThat(review.status()).isEqualTo(Review.Status.PENDING);
            assertThat(review.proposed().path("summary").asString()).isEqualTo("Perhaps five days.");
            assertThat(review.expiresAt()).isAfter(NOW);
            assertThat(t.eventData().path("review").asString()).isEqualTo(review.id());
        });
    }

    @Test
    void anExecuteToolCallWaitsForApprovalBeforeItIsMade() {
        WorkflowDefinition wf = workflow("", """
                  - id: refund
                    tool: { name: crm, path: /refunds, scope: execute, body: { text: "{{input.text}}" } }
                """);

        run(wf, job(wf, 0, 0), Map.of("crm", new ToolSpec("crm", URI.create("http://127.0.0.1:9"), Duration.ofSeconds(1), 0,
                Map.of(), true)));

        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.WAITING_FOR_REVIEW);
            assertThat(t.eventData().path("code").asString()).isEqualTo("approval_required");
            assertThat(t.stageRun()).as("nothing ran yet").isNull();
            assertThat(t.stageAttempts()).isNull();
            assertThat(t.review().reason()).startsWith("approval_required: tool 'crm' would POST http://127.0.0.1:9/refunds");
        });
    }

    // ---- fail -----------------------------------------------------------------------------------

    @Test
    void aRejectedRequestWithNoFallbackFailsTheJobAndARetryableOneRunOutIsDeadLettered() {
        WorkflowDefinition wf = workflow("", stage("only", "retry: { attempts: 1 }", List.of(A)));
        answer(A, new ProviderOutcome.Fatal(400, "bad request"));

        run(wf, job(wf, 0, 0));

        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.FAILED);
            assertThat(t.eventType()).isEqualTo("failed");
            assertThat(t.error().code()).isEqualTo(ErrorCode.PROVIDER_REJECTED);
            assertThat(t.deadLetter()).isFalse();
            assertThat(t.stageRun().attempts()).isEqualTo(1);
            assertThat(t.charges()).hasSize(1);
        });

        applied.clear();
        answer(A, new ProviderOutcome.Transient(Optional.empty(), "HTTP 502"));
        run(wf, job(wf, 0, 0));
        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.FAILED);
            assertThat(t.error().code()).isEqualTo(ErrorCode.PROVIDER_UNAVAILABLE);
            assertThat(t.deadLetter()).as("it may succeed when replayed").isTrue();
        });
    }

    @Test
    void aToolStageWhoseToolIsNotConfiguredFailsOrIsSkippedWhenOptional() {
        String tool = "    tool: { name: crm, path: /notes, scope: read, body: { text: \"{{input.text}}\" } }\n";
        WorkflowDefinition wf = workflow("", "  - id: note\n" + tool);

        run(wf, job(wf, 0, 0));

        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.FAILED);
            assertThat(t.from()).containsExactlyInAnyOrder(JobStatus.PROCESSING, JobStatus.WAITING_FOR_TOOL);
            assertThat(t.error().code()).isEqualTo(ErrorCode.TOOL_FAILED);
            assertThat(t.error().message()).contains("tool 'crm' is not configured on node " + NODE);
            assertThat(t.deadLetter()).isTrue();
        });

        applied.clear();
        WorkflowDefinition optional = workflow("", "  - id: note\n" + tool + "    optional: true\n", stage("answer", ""));
        run(optional, job(optional, 0, 0));
        assertThat(applied).extracting(JobTransition::eventType).containsExactly("stage_skipped", "partially_completed");
    }

    @Test
    void aJobWhoseWorkflowVersionIsUnknownFailsBeforeAnyStage() {
        WorkflowDefinition wf = workflow("", stage("only", ""));
        Job job = new Job("job_1", "acct_1", "test/unknown", 7, JobStatus.PROCESSING, null, Json.object().put("text", "x"), "h", null, null, null,
                null, Usage.ZERO, 0, 0, false, null, NOW, NOW, NOW, null, NOW.plusSeconds(60));

        runner(wf).run(job);

        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.FAILED);
            assertThat(t.error().code()).isEqualTo(ErrorCode.INTERNAL);
            assertThat(t.error().message()).contains("test/unknown v7 is not known to node " + NODE);
            assertThat(t.error().retryable()).as("an internal failure never claims that retrying helps").isFalse();
            assertThat(t.deadLetter()).as("kept to be replayed once the fault is fixed").isTrue();
            assertThat(t.eventData().path("dead_letter").asBoolean()).isTrue();
            assertThat(t.stageRun()).isNull();
        });
    }

    @Test
    void anUnexpectedFailureEndsTheJobAsInternalAndNotRetryable() {
        WorkflowDefinition wf = workflow("", stage("only", "retry: { attempts: 3 }"));
        providerThrows = new IllegalStateException("a provider with a bug");

        run(wf, job(wf, 0, 0));

        assertThat(calls).as("not tried again").hasSize(1);
        assertThat(applied).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(JobStatus.FAILED);
            assertThat(t.error().code()).isEqualTo(ErrorCode.INTERNAL);
            assertThat(t.error().message()).isEqualTo("internal error while running the job: IllegalStateException");
            assertThat(t.error().retryable()).isFalse();
            assertThat(t.deadLetter()).isTrue();
        });
    }

    @Test
    void aStoreThatFailsUnderTheJobLeavesItToRunAgainOnceItsLeaseExpires() {
        WorkflowDefinition wf = workflow("", stage("first", ""), stage("second", ""));
        applies = t -> {
            throw new StoreException("the database is restarting");
        };

        run(wf, job(wf, 0, 0));

        assertThat(applied).as("the first stage's transition, and no failure written after it").singleElement()
                .satisfies(t -> assertThat(t.eventType()).isEqualTo("stage_completed"));
    }

    // ---- a transition that does not apply -------------------------------------------------------

    @Test
    void aStepWhoseTransitionDoesNotApplyStopsTheLoop() {
        WorkflowDefinition wf = workflow("", stage("first", ""), stage("second", ""));
        applies = t -> false; // cancelled meanwhile, or the lease went to another node

        run(wf, job(wf, 0, 0));

        assertThat(applied).hasSize(1);
        assertThat(calls).as("the second stage never ran").hasSize(1);
    }

    // ---- harness --------------------------------------------------------------------------------

    private void answer(Target target, ProviderOutcome... outcomes) {
        script.put(target.model(), new ArrayDeque<>(List.of(outcomes)));
    }

    private void run(WorkflowDefinition wf, Job job) {
        run(wf, job, Map.of());
    }

    private void run(WorkflowDefinition wf, Job job, Map<String, ToolSpec> tools) {
        runner(wf, tools).run(job);
    }

    private JobRunner runner(WorkflowDefinition wf) {
        return runner(wf, Map.of());
    }

    /** The runner as the engine wires it, over the recording store and the scripted provider. */
    private JobRunner runner(WorkflowDefinition wf, Map<String, ToolSpec> tools) {
        Store store = store();
        if (health == null) {
            health = new TargetHealth(clock, config.breakerFailures(), config.breakerCooldown());
        }
        TargetLimits limits = new TargetLimits(clock, Map.of());
        JobIds ids = new JobIds(clock);
        Routes routes = new Routes(Map.of("primary", List.of(A, B), "first", List.of(A), "second", List.of(B)));
        ToolStageExecutor toolStages = new ToolStageExecutor(store, tools, clock, config, ids);
        Quotas quotas = new Quotas(store, new PriceTable(Map.of("p/*", PriceTable.Price.usd("1.00", "2.00"))), routes, clock, config, ids);
        ModelStageExecutor executor = new ModelStageExecutor(Map.of("p", provider()), routes, quotas, clock, config, health, limits, toolStages::callForModel);
        ModelStep models = new ModelStep(store, executor, new FallbackLadder(store, config.toolchainVersion()), health, limits,
                new RetrySchedule(new SplittableRandom(42)), ids, clock, config);
        return new JobRunner(store, WorkflowRegistry.register(store, List.of(wf), NOW), models, toolStages, clock, config);
    }

    private Provider provider() {
        return new Provider() {
            @Override
            public String name() {
                return "p";
            }

            @Override
            public ProviderOutcome call(ModelRequest request) {
                calls.add(request);
                if (providerThrows != null) {
                    throw providerThrows;
                }
                Deque<ProviderOutcome> next = script.get(request.model());
                return next == null || next.isEmpty() ? success(VALID) : next.poll();
            }
        };
    }

    /**
     * The store calls a running job makes: transitions are recorded (and their events read back
     * as the job's timeline), limits are the configured defaults, reservations answer
     * {@link #reserve}. Anything else is a bug in the runner's use of the store.
     */
    private Store store() {
        Set<String> used = Set.of("apply", "events", "stages", "limits", "reserve", "registerWorkflowVersion", "workflowDefinition", "toolCall",
                "recordToolCall", "lastGoodJob");
        return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (proxy, method, args) -> {
            if (!used.contains(method.getName())) {
                return switch (method.getName()) {
                    case "toString" -> "recording store";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException("a running job does not use Store." + method.getName());
                };
            }
            return switch (method.getName()) {
                case "apply" -> {
                    JobTransition t = (JobTransition) args[0];
                    applied.add(t);
                    yield applies.apply(t);
                }
                case "events" -> {
                    List<JobEvent> events = new ArrayList<>();
                    for (int i = 0; i < applied.size(); i++) {
                        JobTransition t = applied.get(i);
                        events.add(new JobEvent(i + 1, t.jobId(), t.eventType(), t.eventData(), t.at()));
                    }
                    yield events;
                }
                case "stages" -> applied.stream().map(JobTransition::stageRun).filter(Objects::nonNull).toList();
                case "limits" -> AccountLimits.NONE;
                case "reserve" -> reserve.apply((Reservation) args[0]);
                case "registerWorkflowVersion" -> args[2];
                case "workflowDefinition", "toolCall", "lastGoodJob" -> Optional.empty();
                case "recordToolCall" -> null;
                default -> throw new IllegalStateException(method.getName());
            };
        });
    }

    /** Engine settings with a monthly budget on every account, so that each call reserves. */
    private static EngineConfig budgeted() {
        EngineConfig d = EngineConfig.defaults(NODE, "mainstay/test");
        return new EngineConfig(d.nodeId(), d.lease(), d.claimBatch(), d.maxInFlight(), d.idlePoll(), d.maxBacklog(), d.maxAccountBacklog(),
                d.shutdownGrace(), d.providerConcurrency(), d.toolchainVersion(), d.breakerFailures(), d.breakerCooldown(), d.targetLimits(),
                new AccountLimits(null, null, 500_000L, null), d.cooldownFailures(), d.cooldown());
    }

    private static String stage(String id, String extra) {
        return stage(id, extra, List.of());
    }

    /** A model stage on route {@code primary} ({@code A}, then {@code B}), or on a route of one target. */
    private static String stage(String id, String extra, List<Target> only) {
        String route = only.isEmpty() ? "primary" : only.getFirst().equals(A) ? "first" : "second";
        return """
                  - id: %s
                    model: { prompt: p.mustache, route: [%s], max_output_tokens: 100 }
                    output:
                      schema: { type: object, required: [summary], properties: { summary: { type: string, minLength: 1 } } }
                    %s
                """.formatted(id, route, extra);
    }

    private static WorkflowDefinition workflow(String extra, String... stages) {
        return WorkflowDefinition.parse(YamlDocument.parse("""
                workflow: test/runner
                version: 1
                %s
                input:
                  type: object
                  properties:
                    text: { type: string }
                stages:
                %s""".formatted(extra, String.join("", stages)), "runner.yaml"), (pointer, name) -> "Summarise: {{input.text}}", Set.of());
    }

    private static Job job(WorkflowDefinition wf, int currentStage, int stageAttempts) {
        return new Job("job_1", "acct_1", wf.name(), wf.version(), JobStatus.PROCESSING, null, Json.object().put("text", "Refunds take five days."),
                "inputhash", null, null, null, null, Usage.ZERO, currentStage, stageAttempts, false, null, NOW, NOW, NOW, null, NOW.plus(Duration.ofMinutes(5)));
    }

    private static ProviderOutcome success(String content) {
        return new ProviderOutcome.Success(content, "m", 20, 0, 10, Duration.ofMillis(5), null);
    }

}
