package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.SteppedClock;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Usage;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.limits.LimitHit;
import dev.mainstay.limits.Reservation;
import dev.mainstay.provider.ModelRequest;
import dev.mainstay.provider.Provider;
import dev.mainstay.provider.ProviderOutcome;
import dev.mainstay.provider.Routes;
import dev.mainstay.provider.Target;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.routing.TargetLimits;
import dev.mainstay.store.Store;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.YamlDocument;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Every way a model-stage attempt can end without its call being answered gives a half-open
 * circuit's trial back, so that one job's budget, content or cancellation never switches a target
 * off for everyone. Each test trips the circuit of {@code p/m}, lets its cooldown pass on the
 * stepped clock, asks whether the target takes calls as the engine does, runs one attempt that
 * ends in the exit under test, and then checks that the next call gets the trial.
 */
class TrialReleaseTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final Target TARGET = new Target("p", "m");
    private static final Target OTHER = new Target("p", "other");
    private static final String VALID = "{\"summary\": \"Refunds take five days.\"}";

    private final SteppedClock clock = new SteppedClock(NOW);
    private final TargetHealth health = new TargetHealth(clock, 1, Duration.ofSeconds(30));
    private final AtomicInteger calls = new AtomicInteger();

    /** What the store does when a call reserves budget. */
    private Function<Reservation, Reservation.Outcome> reserve = r -> new Reservation.Outcome.Granted(r.id());
    /** What the provider does with a call. */
    private ProviderCall answer = request -> success(VALID);

    @FunctionalInterface
    interface ProviderCall {
        ProviderOutcome call(ModelRequest request) throws InterruptedException;
    }

    @Test
    void aBudgetRefusalGivesTheTrialBack() throws Exception {
        reserve = r -> new Reservation.Outcome.Refused(new LimitHit(ErrorCode.BUDGET_EXCEEDED, "cost_per_month_usd", "account acct_1",
                "account acct_1 has $0.000154 spent of $0.000500", Optional.empty()), true);
        ModelStageExecutor executor = executor(budgeted(), Map.of());
        halfOpen();

        StageResult result = attempt(executor, workflow(""), job(NOW.plus(Duration.ofMinutes(5)), "Refunds take five days."));

        assertThat(result).isInstanceOfSatisfying(StageResult.Failed.class, f -> assertThat(f.error().code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED));
        assertThat(calls).as("nothing was sent").hasValue(0);
        assertTrialFree();
    }

    @Test
    void aStoreFailureWhileReservingGivesTheTrialBack() {
        reserve = r -> {
            throw new IllegalStateException("the database did not answer");
        };
        ModelStageExecutor executor = executor(budgeted(), Map.of());
        halfOpen();

        assertThatThrownBy(() -> attempt(executor, workflow(""), job(NOW.plus(Duration.ofMinutes(5)), "Refunds take five days.")))
                .hasMessageContaining("database did not answer");
        assertThat(calls).hasValue(0);
        assertTrialFree();
    }

    @Test
    void aProviderThatThrowsGivesTheTrialBack() {
        answer = request -> {
            throw new IllegalStateException("a bug in a provider");
        };
        ModelStageExecutor executor = executor(EngineConfig.defaults("node-1", "mainstay/test"), Map.of());
        halfOpen();

        assertThatThrownBy(() -> attempt(executor, workflow(""), job(NOW.plus(Duration.ofMinutes(5)), "Refunds take five days.")))
                .hasMessageContaining("a bug in a provider");
        assertTrialFree();
    }

    @Test
    void anInterruptWhileWaitingForTheProviderBulkheadGivesTheTrialBack() throws Exception {
        // One call to provider p at a time: a call to another target of p holds the only slot.
        CountDownLatch release = new CountDownLatch(1);
        answer = request -> {
            if (request.model().equals(OTHER.model())) {
                release.await();
            }
            return success(VALID);
        };
        ModelStageExecutor executor = executor(EngineConfig.defaults("node-1", "mainstay/test"), Map.of("p", 1));
        WorkflowDefinition wf = workflow("");
        Thread holder = Thread.ofVirtual().start(() -> {
            try {
                executor.attempt(job(NOW.plus(Duration.ofMinutes(5)), "Another job."), wf, stage(wf), Map.of(), OTHER);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() == 1);
        halfOpen();

        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread waiting = Thread.ofVirtual().start(() -> {
            try {
                attempt(executor, wf, job(NOW.plus(Duration.ofMinutes(5)), "Refunds take five days."));
            } catch (Throwable e) {
                ended.set(e);
            }
        });
        // It holds the trial while it waits for the provider's slot.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> health.refusal(TARGET).isPresent());
        waiting.interrupt(); // the job was cancelled, or the node is shutting down
        waiting.join(Duration.ofSeconds(10));
        assertThat(ended.get()).isInstanceOf(InterruptedException.class);
        assertThat(calls).as("only the other job's call was made").hasValue(1);
        assertTrialFree();
        release.countDown();
        holder.join(Duration.ofSeconds(10));
    }

    @Test
    void anInterruptDuringTheCallGivesTheTrialBack() throws Exception {
        CountDownLatch inCall = new CountDownLatch(1);
        answer = request -> {
            inCall.countDown();
            new CountDownLatch(1).await(); // until interrupted
            throw new IllegalStateException("not reached");
        };
        ModelStageExecutor executor = executor(EngineConfig.defaults("node-1", "mainstay/test"), Map.of());
        halfOpen();
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread worker = Thread.ofVirtual().start(() -> {
            try {
                attempt(executor, workflow(""), job(NOW.plus(Duration.ofMinutes(5)), "Refunds take five days."));
            } catch (Throwable e) {
                ended.set(e);
            }
        });
        inCall.await();
        worker.interrupt();
        worker.join(Duration.ofSeconds(10));
        assertThat(ended.get()).isInstanceOf(InterruptedException.class);
        assertTrialFree();
    }

    @Test
    void aRedactionBlockNeverTakesTheTrial() throws Exception {
        ModelStageExecutor executor = executor(EngineConfig.defaults("node-1", "mainstay/test"), Map.of());
        halfOpen();

        StageResult result = attempt(executor, workflow("redact: { card: block }"), job(NOW.plus(Duration.ofMinutes(5)), "Card 4111 1111 1111 1111 was charged twice."));

        assertThat(result).isInstanceOfSatisfying(StageResult.Failed.class, f -> assertThat(f.error().code()).isEqualTo(ErrorCode.REDACTION_BLOCKED));
        assertThat(calls).hasValue(0);
        assertTrialFree();
    }

    @Test
    void aPassedDeadlineNeverTakesTheTrial() throws Exception {
        ModelStageExecutor executor = executor(EngineConfig.defaults("node-1", "mainstay/test"), Map.of());
        halfOpen();

        StageResult result = attempt(executor, workflow(""), job(clock.instant().minusSeconds(1), "Refunds take five days."));

        assertThat(result).isInstanceOfSatisfying(StageResult.Failed.class, f -> assertThat(f.error().code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED));
        assertThat(calls).hasValue(0);
        assertTrialFree();
    }

    @Test
    void theCallThatTakesTheTrialDecidesTheCircuit() throws Exception {
        ModelStageExecutor executor = executor(EngineConfig.defaults("node-1", "mainstay/test"), Map.of());
        halfOpen();

        StageResult result = attempt(executor, workflow(""), job(NOW.plus(Duration.ofMinutes(5)), "Refunds take five days."));

        assertThat(result).isInstanceOf(StageResult.Completed.class);
        assertThat(health.snapshots()).singleElement().satisfies(s -> assertThat(s.state()).isEqualTo(TargetHealth.State.CLOSED));
    }

    @Test
    void aCallThatFindsTheTrialTakenIsRefusedWithoutReservingOrSending() throws Exception {
        reserve = r -> {
            throw new AssertionError("a call refused by its circuit must not reserve budget");
        };
        ModelStageExecutor executor = executor(budgeted(), Map.of());
        halfOpen();
        try (TargetHealth.Permit other = (TargetHealth.Permit) health.permit(TARGET)) {
            assertThat(other.trial()).isTrue();
            StageResult result = executor.attempt(job(NOW.plus(Duration.ofMinutes(5)), "Refunds take five days."), workflow(""), stage(workflow("")), Map.of(), TARGET);
            assertThat(result).isInstanceOfSatisfying(StageResult.Failed.class, f -> {
                assertThat(f.error().code()).isEqualTo(ErrorCode.PROVIDER_UNAVAILABLE);
                assertThat(f.error().message()).contains("half-open");
                assertThat(f.error().retryable()).as("the engine moves on to the next target").isFalse();
            });
        }
        assertThat(calls).hasValue(0);
    }

    // ---- set-up --------------------------------------------------------------------------------

    /** Opens the circuit of {@link #TARGET} and lets its cooldown pass: half-open, no trial running. */
    private void halfOpen() {
        health.failure(TARGET, Optional.empty());
        clock.advance(Duration.ofSeconds(31));
        assertThat(health.snapshots()).filteredOn(s -> s.target().equals(TARGET)).singleElement()
                .satisfies(s -> assertThat(s.state()).isEqualTo(TargetHealth.State.HALF_OPEN));
    }

    /** As the engine runs an attempt: it asks whether the target takes calls, then attempts. */
    private StageResult attempt(ModelStageExecutor executor, WorkflowDefinition wf, Job job) throws InterruptedException {
        assertThat(health.refusal(TARGET)).as("the engine sees a target it may try").isEmpty();
        return executor.attempt(job, wf, stage(wf), Map.of(), TARGET);
    }

    private void assertTrialFree() {
        assertThat(health.refusal(TARGET)).as("no trial is left running").isEmpty();
        TargetHealth.Admit next = health.permit(TARGET);
        assertThat(next).as("the next call gets the trial").isInstanceOfSatisfying(TargetHealth.Permit.class, p -> assertThat(p.trial()).isTrue());
        ((TargetHealth.Permit) next).close();
    }

    private ModelStageExecutor executor(EngineConfig config, Map<String, Integer> concurrency) {
        EngineConfig c = new EngineConfig(config.nodeId(), config.lease(), config.claimBatch(), config.maxInFlight(), config.idlePoll(), config.maxBacklog(),
                config.maxAccountBacklog(), config.shutdownGrace(), concurrency, config.toolchainVersion(), config.breakerFailures(), config.breakerCooldown(),
                config.targetLimits(), config.defaultLimits(), config.cooldownFailures(), config.cooldown());
        Provider provider = new Provider() {
            @Override
            public String name() {
                return "p";
            }

            @Override
            public ProviderOutcome call(ModelRequest request) throws InterruptedException {
                calls.incrementAndGet();
                return answer.call(request);
            }
        };
        Routes routes = new Routes(Map.of("primary", List.of(TARGET)));
        Quotas quotas = new Quotas(store(), new PriceTable(Map.of("p/*", PriceTable.Price.usd("1.00", "2.00"))), routes, clock, c, new JobIds(clock));
        return new ModelStageExecutor(Map.of("p", provider), routes, quotas, clock, c, health,
                new TargetLimits(clock, Map.of()), (job, stage, request, n) -> "{}");
    }

    /** Engine settings with a monthly budget on every account, so that each call reserves. */
    private static EngineConfig budgeted() {
        EngineConfig d = EngineConfig.defaults("node-1", "mainstay/test");
        return new EngineConfig(d.nodeId(), d.lease(), d.claimBatch(), d.maxInFlight(), d.idlePoll(), d.maxBacklog(), d.maxAccountBacklog(),
                d.shutdownGrace(), d.providerConcurrency(), d.toolchainVersion(), d.breakerFailures(), d.breakerCooldown(), d.targetLimits(),
                new AccountLimits(null, null, 500L, null), d.cooldownFailures(), d.cooldown());
    }

    /**
     * The two store calls a model call makes: the account's limits (none set, so the configured
     * defaults apply) and the reservation, answered by {@link #reserve}. Anything else is a bug.
     */
    private Store store() {
        return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (proxy, method, args) -> switch (method.getName()) {
            case "limits" -> AccountLimits.NONE;
            case "reserve" -> reserve.apply((Reservation) args[0]);
            case "toString" -> "budget store";
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> throw new UnsupportedOperationException("a model call does not use Store." + method.getName());
        });
    }

    private static WorkflowDefinition workflow(String extra) {
        return WorkflowDefinition.parse(YamlDocument.parse("""
                workflow: test/trial
                version: 1
                %s
                input:
                  type: object
                  properties:
                    text: { type: string }
                stages:
                  - id: summarise
                    model: { prompt: p.mustache, route: [primary], max_output_tokens: 100 }
                    output:
                      schema: { type: object, required: [summary], properties: { summary: { type: string, minLength: 1 } } }
                """.formatted(extra), "trial.yaml"), (pointer, name) -> "Summarise: {{input.text}}", Set.of());
    }

    private static ModelStage stage(WorkflowDefinition wf) {
        return (ModelStage) wf.stages().getFirst();
    }

    private static Job job(Instant deadline, String text) {
        JsonNode input = Json.object().put("text", text);
        return new Job("job_" + Math.abs(text.hashCode()), "acct_1", "test/trial", 1, JobStatus.PROCESSING, null, input, "inputhash", null, null, null,
                null, Usage.ZERO, 0, 0, false, null, NOW, NOW, NOW, null, deadline);
    }

    private static ProviderOutcome success(String content) {
        return new ProviderOutcome.Success(content, "m", 20, 0, 10, Duration.ofMillis(5), null);
    }
}
