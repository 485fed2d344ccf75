package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Account;
import dev.mainstay.access.ApiKey;
import dev.mainstay.access.Principal;
import dev.mainstay.contract.SchemaSampler;
import dev.mainstay.fallback.FallbackRung;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.NewJob;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.StageRun;
import dev.mainstay.store.SubmitOutcome;
import dev.mainstay.job.Usage;
import dev.mainstay.property.Property;
import dev.mainstay.property.SeededRandom;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.config.YamlDocument;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The order of the fallback ladder, over generated ladders (random order and subsets of
 * {@code cached}, the three rules paths and {@code draft}, with {@code review} last or absent) and
 * generated circumstances that decide which rungs can produce a result: a cache hit or miss, an
 * input with or without the text and name the rules paths build from, an output schema with or
 * without an enum field, a failure with or without a rejected answer of the final stage.
 */
class LadderPropertiesTest {
    private static final String WORKFLOW = "test/ladder";
    private static final int VERSION = 3;
    private static final String JOB_ID = "job_current";
    private static final String EARLIER_JOB_ID = "job_earlier";
    private static final String INPUT_HASH = "inputhash0001";
    private static final List<String> ROUTE_STEPS = List.of("fake/model-a: provider_unavailable, switched to fake/model-b", "fake/model-b: provider_unavailable");
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    /** The rungs before an optional final {@code review}. */
    enum Rung {
        CACHED("cached", "cached"),
        EXTRACTIVE("rules:extractive-summary", "{ rules: extractive-summary, from: text, into: points }"),
        KEYWORD("rules:keyword-classifier", "{ rules: keyword-classifier }"),
        TEMPLATE("rules:template-reply", "{ rules: template-reply, template: \"{{input.name}}\", into: summary }"),
        DRAFT("draft", "draft");

        final String label;
        final String yaml;

        Rung(String label, String yaml) {
            this.label = label;
            this.yaml = yaml;
        }
    }

    /** What {@code lastGoodJob} finds: nothing, an earlier job, or the running job itself (which must not count). */
    enum Cache { MISS, HIT, SELF }

    /** How the ideal path failed: at which of how many stages, and whether the model's answer was JSON that failed its contract. */
    record Failure(int stages, int failedStage, boolean rejected) {
    }

    /**
     * @param review empty for no review rung, else how it is written
     * @param text whether the input has the text extractive-summary builds from
     * @param name whether the input has the name the template renders (without it, the reply is empty and fails minLength)
     * @param enumField whether the final output schema has an enum field for keyword-classifier
     * @param gate whether the final stage declares a confidence gate (rules answers carry confidence 0)
     */
    record Scenario(List<Rung> ladder, String review, Cache cache, boolean text, boolean name, boolean enumField, boolean gate, Failure failure) {
        boolean canProduce(Rung rung) {
            return switch (rung) {
                case CACHED -> cache == Cache.HIT;
                case EXTRACTIVE -> text;
                case KEYWORD -> enumField;
                case TEMPLATE -> name;
                case DRAFT -> failure.rejected() && failure.failedStage() == failure.stages() - 1;
            };
        }

        List<String> labels() {
            List<String> out = new ArrayList<>(ladder.stream().map(r -> r.label).toList());
            if (!review.isEmpty()) {
                out.add("review");
            }
            return out;
        }

        /** Index in {@link #labels()} of the first rung able to produce, or -1. */
        int winner() {
            for (int i = 0; i < ladder.size(); i++) {
                if (canProduce(ladder.get(i))) {
                    return i;
                }
            }
            return review.isEmpty() ? -1 : ladder.size();
        }

        Scenario with(List<Rung> newLadder, String newReview, Cache newCache, boolean newText, boolean newName, boolean newEnum, Failure newFailure) {
            return new Scenario(newLadder, newReview, newCache, newText, newName, newEnum, gate, newFailure);
        }
    }

    // ---- generators ----------------------------------------------------------------------------

    private static Scenario scenario(SeededRandom random) {
        List<Rung> ladder = random.distinct(List.of(Rung.values()), 0, Rung.values().length);
        String review = random.pick("", "review", "{ review: { expires: 1h, on_expiry: approve } }");
        Cache cache = random.pick(Cache.class);
        boolean text = random.nextBoolean();
        boolean name = random.nextBoolean();
        boolean enumField = random.nextBoolean();
        boolean gate = random.nextBoolean();
        int stages = random.intBetween(1, 2);
        Failure failure = new Failure(stages, random.intBetween(0, stages - 1), random.nextBoolean());
        return new Scenario(ladder, review, cache, text, name, enumField, gate, failure);
    }

    /** Circumstances in which no rung before {@code review} can produce anything. */
    private static Scenario barren(SeededRandom random) {
        Scenario s = scenario(random);
        return s.with(s.ladder(), s.review(), s.cache() == Cache.HIT ? Cache.MISS : s.cache(), false, false, false,
                new Failure(s.failure().stages(), s.failure().failedStage(), s.failure().rejected() && s.failure().failedStage() < s.failure().stages() - 1));
    }

    /** A cache hit, with {@code cached} declared before every rules path, each of which could build a result too. */
    private static Scenario cachedBeforeRules(SeededRandom random) {
        Scenario s = scenario(random);
        int slot = random.intBetween(0, Rung.values().length);
        List<Rung> ladder = new ArrayList<>(s.ladder());
        ladder.remove(Rung.CACHED);
        int firstRules = 0;
        while (firstRules < ladder.size() && !ladder.get(firstRules).label.startsWith("rules:")) {
            firstRules++;
        }
        ladder.add(Math.min(slot, firstRules), Rung.CACHED);
        return s.with(ladder, s.review(), Cache.HIT, true, true, true, new Failure(s.failure().stages(), s.failure().failedStage(), false));
    }

    /** A scenario whose ladder ends in a rescue by {@code cached} or a rules path (a fallback result, not a draft). */
    private static Scenario rescuedWithAFallbackResult(SeededRandom random) {
        return Stream.generate(() -> scenario(random)).limit(10_000)
                .filter(s -> climb(s).outcome().filter(o -> o instanceof FallbackLadder.Rescue r && r.type() == ResultType.FALLBACK).isPresent())
                .findFirst().orElseThrow(() -> new AssertionError("no scenario in 10,000 ended in a fallback result"));
    }

    // ---- properties ----------------------------------------------------------------------------

    @Property(tries = 300)
    void theFirstRungThatCanProduceWinsAndEveryEarlierRungIsPassedOverInDeclaredOrder(SeededRandom random) {
        Scenario s = random.draw("scenario", LadderPropertiesTest::scenario);
        Climb climb = climb(s);
        List<String> labels = s.labels();
        int winner = s.winner();

        assertThat(climb.path().subList(0, ROUTE_STEPS.size())).as("the route's steps stay first").isEqualTo(ROUTE_STEPS);
        List<String> rungSteps = climb.path().subList(ROUTE_STEPS.size(), climb.path().size());
        assertThat(rungSteps).hasSize(winner < 0 ? labels.size() : winner + 1);
        for (int i = 0; i < rungSteps.size(); i++) {
            assertThat(rungSteps.get(i)).as("step %d of %s", i, labels).startsWith(labels.get(i) + ": ");
            assertThat(taken(rungSteps.get(i))).as("step %d of %s is the winner's", i, rungSteps).isEqualTo(i == winner);
        }

        if (winner < 0) {
            assertThat(climb.outcome()).isEmpty();
            return;
        }
        FallbackLadder.Outcome outcome = climb.outcome().orElseThrow();
        String won = labels.get(winner);
        switch (outcome) {
            case FallbackLadder.Rescue r -> {
                assertThat(won).isNotEqualTo("review");
                assertThat(r.type()).isEqualTo(won.equals("draft") ? ResultType.DRAFT : ResultType.FALLBACK);
                assertThat(r.provenance().fallbackPath()).isEqualTo(climb.path());
                if (won.startsWith("rules:")) {
                    assertThat(r.provenance().provider()).isEqualTo("mainstay");
                    assertThat(r.provenance().model()).isEqualTo(won);
                } else if (won.equals("cached")) {
                    assertThat(r.result()).isEqualTo(climb.cached().result());
                    assertThat(r.provenance().model()).isEqualTo(climb.cached().provenance().model());
                } else {
                    assertThat(r.result()).isEqualTo(climb.failure().rejectedOutput());
                    assertThat(r.provenance().validation()).isEqualTo("failed");
                }
            }
            case FallbackLadder.ToReview r -> {
                assertThat(won).isEqualTo("review");
                assertThat(r.provenance().fallbackPath()).isEqualTo(climb.path());
            }
        }
    }

    @Property(tries = 300)
    void reviewWhenReachedIsAlwaysTheLastStepAndSendsTheJobToAPerson(SeededRandom random) {
        Scenario barren = random.draw("barren", LadderPropertiesTest::barren);
        Scenario s = barren.review().isEmpty() ? barren.with(barren.ladder(), "review", barren.cache(), false, false, false, barren.failure()) : barren;
        Climb climb = climb(s);

        assertThat(climb.outcome()).get().isInstanceOf(FallbackLadder.ToReview.class);
        FallbackLadder.ToReview review = (FallbackLadder.ToReview) climb.outcome().get();
        assertThat(review.rung()).isSameAs(climb.workflow().fallback().getLast());
        assertThat(review.proposed()).isEqualTo(climb.failure().rejectedOutput());
        assertThat(climb.path()).hasSize(ROUTE_STEPS.size() + s.labels().size());
        assertThat(climb.path().getLast()).startsWith("review: sent to a person");
        assertThat(climb.path().stream().filter(step -> step.startsWith("review:"))).hasSize(1);
    }

    @Property(tries = 300)
    void withNoRungAbleToProduceTheLadderEndsEmptyWithOneStepPerRungInOrder(SeededRandom random) {
        Scenario barren = random.draw("barren", LadderPropertiesTest::barren);
        Scenario s = barren.with(barren.ladder(), "", barren.cache(), false, false, false, barren.failure());
        Climb climb = climb(s);

        assertThat(climb.outcome()).isEmpty();
        List<String> rungSteps = climb.path().subList(ROUTE_STEPS.size(), climb.path().size());
        assertThat(rungSteps.stream().map(step -> step.substring(0, step.indexOf(": "))).toList()).isEqualTo(s.labels());
        assertThat(rungSteps).noneMatch(LadderPropertiesTest::taken);
    }

    @Property(tries = 300)
    void aCacheHitWinsOverEveryRulesPathDeclaredAfterIt(SeededRandom random) {
        Scenario s = random.draw("scenario", LadderPropertiesTest::cachedBeforeRules);
        Climb climb = climb(s);

        assertThat(climb.outcome()).get().isInstanceOf(FallbackLadder.Rescue.class);
        FallbackLadder.Rescue rescue = (FallbackLadder.Rescue) climb.outcome().get();
        assertThat(rescue.type()).isEqualTo(ResultType.FALLBACK);
        assertThat(rescue.result()).isEqualTo(climb.cached().result());
        assertThat(climb.path().getLast()).isEqualTo("cached: served the result of " + EARLIER_JOB_ID);
        assertThat(climb.path()).noneMatch(step -> step.startsWith("rules:"));
    }

    @Property(tries = 300)
    void aFallbackResultAlwaysSatisfiesTheFinalStagesOutputSchema(SeededRandom random) {
        Scenario s = random.draw("scenario", LadderPropertiesTest::rescuedWithAFallbackResult);
        Climb climb = climb(s);

        FallbackLadder.Rescue rescue = (FallbackLadder.Rescue) climb.outcome().get();
        ModelStage last = (ModelStage) climb.workflow().stages().getLast();
        assertThat(last.output().schema().validate(rescue.result())).as("%s", rescue.result()).isEmpty();
    }

    // ---- running the ladder --------------------------------------------------------------------

    /** One climb: what came out, the path it wrote, and what it was given. */
    record Climb(Optional<FallbackLadder.Outcome> outcome, List<String> path, WorkflowDefinition workflow, StageResult.Failed failure, Job cached) {
    }

    private static Climb climb(Scenario s) {
        WorkflowDefinition wf = WorkflowDefinition.parse(YamlDocument.parse(yaml(s), "test.yaml"), (pointer, name) -> "prompt text", Set.of());
        ObjectNode input = Json.object();
        if (s.text()) {
            input.put("text", "Refunds take five days. Refunds need a receipt. Receipts are emailed.");
        }
        if (s.name()) {
            input.put("name", "Hello Ada, we are on it.");
        }
        Job job = job(JOB_ID, JobStatus.PROCESSING, input, null, null, s.failure().failedStage());
        ModelStage last = (ModelStage) wf.stages().getLast();
        Job earlier = job(s.cache() == Cache.SELF ? JOB_ID : EARLIER_JOB_ID, JobStatus.COMPLETED, input,
                SchemaSampler.sample(last.output().schema().node(), "An earlier answer. It was good."),
                new Provenance("fake", "model-earlier", null, null, null, List.of(), "passed"), wf.stages().size() - 1);
        Provenance attempted = new Provenance("fake", "model-b", "prompt@abc", "schema", "mainstay/test", List.of(), "failed");
        JsonNode rejected = s.failure().rejected() ? Json.parse("{\"unexpected\": [\"not\", \"the\", \"schema\"]}") : null;
        StageResult.Failed failure = new StageResult.Failed(JobError.of(ErrorCode.INVALID_MODEL_OUTPUT, "failed its contract"), Optional.empty(),
                s.failure().rejected() ? attempted : null, List.of(), rejected);
        List<String> path = new ArrayList<>(ROUTE_STEPS);
        Store store = new LastGoodOnly(s.cache() == Cache.MISS ? Optional.empty() : Optional.of(earlier));
        Optional<FallbackLadder.Outcome> outcome = new FallbackLadder(store, "mainstay/test").climb(job, wf, s.failure().failedStage(), failure, path);
        return new Climb(outcome, path, wf, failure, earlier);
    }

    private static Job job(String id, JobStatus status, JsonNode input, JsonNode result, Provenance provenance, int stage) {
        return new Job(id, "acct_1", WORKFLOW, VERSION, status, result == null ? null : ResultType.FULL, input, INPUT_HASH, result, null, null,
                provenance, Usage.ZERO, stage, 1, false, null, NOW, NOW, NOW, status.isTerminal() ? NOW : null, NOW.plus(Duration.ofMinutes(1)));
    }

    private static String yaml(Scenario s) {
        StringBuilder y = new StringBuilder("""
                workflow: %s
                version: %d
                input:
                  type: object
                  properties:
                    text: { type: string }
                    name: { type: string }
                stages:
                """.formatted(WORKFLOW, VERSION));
        if (s.failure().stages() == 2) {
            // A first stage with another schema: the ladder must build for the final stage's.
            y.append("""
                      - id: notes
                        model: { prompt: p.mustache, route: [primary] }
                        output:
                          schema: { type: object, required: [notes], properties: { notes: { type: string, minLength: 1 } } }
                    """);
        }
        y.append("""
                  - id: answer
                    model: { prompt: p.mustache, route: [primary] }
                    output:
                      schema:
                        type: object
                        required: [summary, points, confidence%s]
                        properties:
                          summary: { type: string, minLength: 1 }
                          points: { type: array, items: { type: string } }
                          confidence: { type: number, minimum: 0, maximum: 1 }
                """.formatted(s.enumField() ? ", category" : ""));
        if (s.enumField()) {
            y.append("          category: { type: string, enum: [other, billing, refunds] }\n");
        }
        if (s.gate()) {
            y.append("      confidence: { field: confidence, min: 0.5, below: fallback }\n");
        }
        List<String> rungs = new ArrayList<>(s.ladder().stream().map(r -> r.yaml).toList());
        if (!s.review().isEmpty()) {
            rungs.add(s.review());
        }
        if (!rungs.isEmpty()) {
            y.append("fallback:\n");
            rungs.forEach(r -> y.append("  - ").append(r).append('\n'));
        }
        return y.toString();
    }

    /** Whether a path step says its rung produced the outcome (rather than being passed over). */
    private static boolean taken(String step) {
        return step.startsWith("cached: served the result of ")
                || step.endsWith(": built the result without a model")
                || step.equals("draft: handed over the model's answer that failed its contract")
                || step.startsWith("review: sent to a person");
    }

    /**
     * A store that knows one thing: the last good job of the workflow version for the input. It
     * answers only when asked about this test's workflow, version and input hash.
     */
    private record LastGoodOnly(Optional<Job> lastGood) implements Store {
        @Override
        public Optional<Job> lastGoodJob(String workflow, int version, String inputHash) {
            return workflow.equals(WORKFLOW) && version == VERSION && inputHash.equals(INPUT_HASH) ? lastGood : Optional.empty();
        }

        private static UnsupportedOperationException unused() {
            return new UnsupportedOperationException("the fallback ladder only reads lastGoodJob");
        }

        @Override public FeedPage feed(dev.mainstay.job.EventCursor after, String accountId, int limit) { throw unused(); }
        @Override public List<dev.mainstay.job.FeedEvent> jobFeed(String jobId, long afterSeq, int limit) { throw unused(); }
        @Override public dev.mainstay.job.EventCursor feedHead() { throw unused(); }
        @Override public void syncWorkflowEndpoint(dev.mainstay.webhook.WebhookEndpoint e, dev.mainstay.webhook.DueDelivery.SealedSecret s) { throw unused(); }
        @Override public void createEndpoint(dev.mainstay.webhook.WebhookEndpoint e, dev.mainstay.webhook.DueDelivery.SealedSecret s) { throw unused(); }
        @Override public Optional<dev.mainstay.webhook.WebhookEndpoint> endpoint(String accountId, String endpointId) { throw unused(); }
        @Override public List<dev.mainstay.webhook.WebhookEndpoint> endpoints(String accountId) { throw unused(); }
        @Override public Optional<dev.mainstay.webhook.WebhookEndpoint> updateEndpoint(dev.mainstay.webhook.WebhookEndpoint e) { throw unused(); }
        @Override public boolean deleteEndpoint(String accountId, String endpointId) { throw unused(); }
        @Override public void rotateSecret(dev.mainstay.webhook.DueDelivery.SealedSecret s, Instant at, Instant oldUntil) { throw unused(); }
        @Override public List<dev.mainstay.webhook.DueDelivery.SealedSecret> secrets(String endpointId, Instant now) { throw unused(); }
        @Override public dev.mainstay.webhook.Delivery enqueue(String endpointId, String messageId, String type, String payload, Instant at) { throw unused(); }
        @Override public List<dev.mainstay.webhook.DueDelivery> claimDeliveries(String owner, int max, Instant now, Instant leaseUntil) { throw unused(); }
        @Override public boolean recordAttempt(String owner, dev.mainstay.webhook.AttemptResult result) { throw unused(); }
        @Override public List<dev.mainstay.webhook.Delivery> deliveries(dev.mainstay.webhook.DeliveryQuery query) { throw unused(); }
        @Override public Optional<dev.mainstay.webhook.Delivery> delivery(String accountId, String deliveryId) { throw unused(); }
        @Override public List<dev.mainstay.webhook.Delivery.Attempt> attempts(String deliveryId) { throw unused(); }
        @Override public int replayDeliveries(String accountId, String endpointId, List<String> deliveryIds, Instant now) { throw unused(); }
        @Override public int recoverDeliveryLeases(String owner) { throw unused(); }
        @Override public Optional<Instant> nextDeliveryAt() { throw unused(); }
        @Override public Optional<String> inboundJob(String source, String webhookId) { throw unused(); }
        @Override public void recordInbound(String source, String webhookId, String eventType, String jobId, Instant at) { throw unused(); }
        @Override public void saveCallbackToken(CallbackToken token) { throw unused(); }
        @Override public Optional<CallbackToken> callbackToken(String tokenHash) { throw unused(); }
        @Override public boolean useCallbackToken(String tokenHash, Instant at, tools.jackson.databind.JsonNode result, JobTransition job) { throw unused(); }
        @Override public List<CallbackToken> expiredCallbacks(Instant now, int max) { throw unused(); }
        @Override public String registerWorkflowVersion(String name, int version, String contentHash, String definition, Instant at) { throw unused(); }
        @Override public Optional<String> workflowDefinition(String name, int version) { throw unused(); }
        @Override public void createAccount(Account account) { throw unused(); }
        @Override public Optional<Account> account(String id) { throw unused(); }
        @Override public boolean addApiKey(ApiKey key) { throw unused(); }
        @Override public Optional<Principal> principalForKeyHash(String keyHash) { throw unused(); }
        @Override public Optional<ApiKey> apiKeyByHash(String keyHash) { throw unused(); }
        @Override public List<ApiKey> apiKeys(String accountId) { throw unused(); }
        @Override public Optional<ApiKey> revokeApiKey(String accountId, String keyId, Instant at) { throw unused(); }
        @Override public SubmitOutcome submit(NewJob job, dev.mainstay.limits.Admission admission) { throw unused(); }
        @Override public dev.mainstay.stats.QueueSnapshot queueSnapshot(Instant now) { throw unused(); }
        @Override public List<dev.mainstay.stats.JobFact> jobFacts(dev.mainstay.stats.StatsQuery query) { throw unused(); }
        @Override public List<dev.mainstay.stats.StageFact> stageFacts(dev.mainstay.stats.StatsQuery query) { throw unused(); }
        @Override public dev.mainstay.limits.AccountLimits limits(String accountId) { throw unused(); }
        @Override public void setLimits(String accountId, dev.mainstay.limits.AccountLimits limits, String actor, Instant at) { throw unused(); }
        @Override public dev.mainstay.limits.Reservation.Outcome reserve(dev.mainstay.limits.Reservation reservation, dev.mainstay.usage.Charge estimate) { throw unused(); }
        @Override public void charge(List<dev.mainstay.usage.Charge> charges) { throw unused(); }
        @Override public int expireReservations(Instant now) { throw unused(); }
        @Override public dev.mainstay.limits.Counter counter(String scope) { throw unused(); }
        @Override public List<dev.mainstay.usage.UsageQuery.Row> usage(dev.mainstay.usage.UsageQuery query) { throw unused(); }
        @Override public Optional<Job> job(String id) { throw unused(); }
        @Override public JobPage jobs(JobQuery query) { throw unused(); }
        @Override public List<Job> claim(String owner, int max, Instant now, Instant leaseUntil, dev.mainstay.limits.AccountLimits defaults) { throw unused(); }
        @Override public Recovered recoverLeases(String node, Instant now) { throw unused(); }
        @Override public int extendLeases(String owner, Collection<String> jobIds, Instant leaseUntil) { throw unused(); }
        @Override public int releaseLeases(String owner, Instant now) { throw unused(); }
        @Override public boolean apply(JobTransition transition) { throw unused(); }
        @Override public List<StageRun> stages(String jobId) { throw unused(); }
        @Override public List<JobEvent> events(String jobId, long afterSeq, int limit) { throw unused(); }
        @Override public Optional<Review> review(String id) { throw unused(); }
        @Override public List<Review> reviews(ReviewQuery query) { throw unused(); }
        @Override public List<Review> expiredReviews(Instant now, int max) { throw unused(); }
        @Override public boolean decideReview(String reviewId, Review.Status outcome, JsonNode output, String reviewer, String note, Instant at, JobTransition job) { throw unused(); }
        @Override public int closeReviews(String jobId, String reviewer, Instant at) { throw unused(); }
        @Override public long countUnfinished(String accountId) { throw unused(); }
        @Override public Optional<Instant> nextDueAt() { throw unused(); }
        @Override public long commitCount() { throw unused(); }
        @Override public void audit(List<dev.mainstay.audit.AuditEvent> events) { throw unused(); }
        @Override public Optional<dev.mainstay.tool.ToolCall> toolCall(String jobId, String stageId) { throw unused(); }
        @Override public void recordToolCall(dev.mainstay.tool.ToolCall call) { throw unused(); }
        @Override public List<dev.mainstay.audit.AuditRecord> auditLog(dev.mainstay.audit.AuditQuery query) { throw unused(); }
        @Override public dev.mainstay.audit.AuditCheck verifyAudit() { throw unused(); }
        @Override public boolean leaseSweep(String owner, Instant now, Instant until) { throw unused(); }
        @Override public Removed expirePayloads(Scope scope, Instant finishedBefore, Instant now, int max) { throw unused(); }
        @Override public Removed deleteJobs(Scope scope, Instant finishedBefore, int max) { throw unused(); }
        @Override public Removed deleteEvents(Scope scope, Instant before, int max) { throw unused(); }
        @Override public Removed deleteCachedOutputs(Instant now, Instant createdBefore, int max) { throw unused(); }
        @Override public Removed deleteIdempotencyKeys(Instant recordedBefore, int max) { throw unused(); }
        @Override public byte[] subjectKey() { throw unused(); }
        @Override public dev.mainstay.store.Erasure startErasure(dev.mainstay.store.Erasure erasure) { throw unused(); }
        @Override public Optional<dev.mainstay.store.Erasure> erasure(String id) { throw unused(); }
        @Override public List<dev.mainstay.store.Erasure> erasures() { throw unused(); }
        @Override public void addRefusals(List<dev.mainstay.limits.RefusalCount> counts) { throw unused(); }
        @Override public List<dev.mainstay.limits.RefusalCount> refusals(String accountId, java.time.LocalDate from, java.time.LocalDate to) { throw unused(); }
        @Override public List<JobRef> unfinishedJobs(dev.mainstay.store.ErasureScope scope, int max) { throw unused(); }
        @Override public Erased eraseJobs(dev.mainstay.store.ErasureScope scope, Instant now, int max) { throw unused(); }
        @Override public Erased eraseJobs(String erasureId, dev.mainstay.store.ErasureScope scope, Instant now, int max) { throw unused(); }
        @Override public void countCancelled(String erasureId, long cancelled) { throw unused(); }
        @Override public dev.mainstay.store.Erasure finishErasure(String id, Erased erased, long cancelled, Instant now, dev.mainstay.audit.AuditEvent audit) { throw unused(); }
        @Override public Optional<AuditCheckpoint> cutAudit(Instant before, java.util.function.Function<AuditCheckpoint, dev.mainstay.audit.AuditEvent> cut) { throw unused(); }
        @Override public void reclaim(boolean erased) { throw unused(); }
        @Override public void rewrite() { throw unused(); }
        @Override public Optional<CachedOutput> cachedOutput(String key, Instant now) { throw unused(); }
        @Override public void cacheOutput(String key, String workflow, CachedOutput output, Instant now, Instant expiresAt) { throw unused(); }
        @Override public void createEvalRun(dev.mainstay.store.EvalRun run, List<String> caseIds) { throw unused(); }
        @Override public Optional<dev.mainstay.store.EvalRun> evalRun(String id) { throw unused(); }
        @Override public List<dev.mainstay.store.EvalRunCase> evalRunCases(String runId) { throw unused(); }
        @Override public List<dev.mainstay.store.EvalRun> runningEvalRuns() { throw unused(); }
        @Override public List<dev.mainstay.store.EvalRun> finishedEvalRuns(String workflow, int limit) { throw unused(); }
        @Override public void evalCaseSubmitted(String runId, String caseId, String jobId) { throw unused(); }
        @Override public boolean evalCaseScored(String runId, String caseId, JsonNode result) { throw unused(); }
        @Override public boolean finishEvalRun(String runId, JsonNode summary, Instant at) { throw unused(); }
        @Override public java.util.Map<String, WorkflowActivation> workflowActivations() { throw unused(); }
        @Override public WorkflowActivation firstActivation(String w, int v, Instant at, String by, dev.mainstay.audit.AuditEvent a) { throw unused(); }
        @Override public boolean activateWorkflowVersion(String w, int v, Integer e, Instant at, String by, dev.mainstay.audit.AuditEvent a) { throw unused(); }
        @Override public boolean openActivationGate(ActivationGate gate) { throw unused(); }
        @Override public Optional<ActivationGate> activationGate(String w, int v) { throw unused(); }
        @Override public List<ActivationGate> activationGates(String w) { throw unused(); }
        @Override public List<ActivationGate> undecidedActivationGates() { throw unused(); }
        @Override public boolean decideActivationGate(String w, int v, boolean act, JsonNode d, Instant at, dev.mainstay.audit.AuditEvent a) { throw unused(); }
        @Override public List<dev.mainstay.store.ShadowRun> pendingShadowRuns(int limit) { throw unused(); }
        @Override public void shadowSubmitted(String liveJobId, String shadowJobId) { throw unused(); }
        @Override public boolean shadowScored(String liveJobId, JsonNode result, Instant at) { throw unused(); }
        @Override public List<dev.mainstay.store.ShadowRun> shadowRuns(String workflow, Instant since, int limit) { throw unused(); }
        @Override public List<dev.mainstay.store.DriftSample> driftSamples(String workflow, String excludedAccount, Instant from, Instant to, int limit) { throw unused(); }
        @Override public List<EvalRunTally> evalRunTallies() { throw unused(); }
        @Override public boolean addEvalCase(dev.mainstay.store.StoredEvalCase kase) { throw unused(); }
        @Override public List<dev.mainstay.store.StoredEvalCase> evalCases(String suite, String after, int limit) { throw unused(); }
        @Override public Optional<dev.mainstay.store.StoredEvalCase> evalCase(String suite, String name) { throw unused(); }
        @Override public boolean deleteEvalCase(String suite, String id) { throw unused(); }
        @Override public void close() { }
    }
}
