package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.config.YamlDocument;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/** The {@code cached} rung names the job it served, and the {@code review} rung takes budget refusals only when asked. */
class LadderRungsTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    @Test
    void theCachedRungNamesTheJobItServedInCachedFrom() {
        JsonNode earlierResult = Json.object().put("summary", "Refunds take five days.");
        Job earlier = job("job_earlier", JobStatus.COMPLETED, earlierResult, new Provenance("fake", "gpt-4o-mini", "p@1", "s1", "mainstay/test", List.of(), "passed"));
        List<String> path = new ArrayList<>(List.of("fake/gpt-4o-mini: provider_unavailable"));

        Optional<FallbackLadder.Outcome> out = new FallbackLadder(store(Optional.of(earlier)), "mainstay/test")
                .climb(job("job_now", JobStatus.PROCESSING, null, null), workflow("[cached]"), 0, failure(ErrorCode.PROVIDER_UNAVAILABLE), path);

        assertThat(out).get().isInstanceOfSatisfying(FallbackLadder.Rescue.class, r -> {
            assertThat(r.result()).isEqualTo(earlierResult);
            assertThat(r.type()).isEqualTo(ResultType.FALLBACK);
            assertThat(r.provenance().cachedFrom()).isEqualTo("job_earlier");
            assertThat(r.provenance().fallbackPath()).last().isEqualTo("cached: served the result of job_earlier");
            assertThat(r.provenance().model()).isEqualTo("gpt-4o-mini");
        });
    }

    @Test
    void aCachedResultWithoutProvenanceStillNamesItsJob() {
        Job earlier = job("job_earlier", JobStatus.COMPLETED, Json.object().put("summary", "Old."), null);
        Optional<FallbackLadder.Outcome> out = new FallbackLadder(store(Optional.of(earlier)), "mainstay/test")
                .climb(job("job_now", JobStatus.PROCESSING, null, null), workflow("[cached]"), 0, failure(ErrorCode.PROVIDER_UNAVAILABLE), new ArrayList<>());
        assertThat(out).get().isInstanceOfSatisfying(FallbackLadder.Rescue.class, r -> assertThat(r.provenance().cachedFrom()).isEqualTo("job_earlier"));
    }

    enum Refusal { BUDGET_EXCEEDED, QUOTA_EXCEEDED }

    @ParameterizedTest
    @EnumSource(Refusal.class)
    void aBudgetRefusalPassesOverReviewUnlessTheRungAsksForIt(Refusal refusal) {
        ErrorCode code = ErrorCode.valueOf(refusal.name());
        List<String> path = new ArrayList<>();
        Optional<FallbackLadder.Outcome> passed = new FallbackLadder(store(Optional.empty()), "mainstay/test")
                .climb(job("job_now", JobStatus.PROCESSING, null, null), workflow("[cached, review]"), 0, failure(code), path);
        assertThat(passed).isEmpty();
        assertThat(path).containsExactly("cached: no earlier full result for this input",
                "review: not sent, " + code.code() + " goes to review only with budget_refusals: true");

        Optional<FallbackLadder.Outcome> asked = new FallbackLadder(store(Optional.empty()), "mainstay/test")
                .climb(job("job_now", JobStatus.PROCESSING, null, null), workflow("[{ review: { expires: 4h, budget_refusals: true } }]"), 0, failure(code),
                        new ArrayList<>());
        assertThat(asked).get().isInstanceOfSatisfying(FallbackLadder.ToReview.class, r -> {
            assertThat(r.rung().budgetRefusals()).isTrue();
            assertThat(r.rung().expires()).isEqualTo(Duration.ofHours(4));
        });
    }

    @Test
    void otherFailuresStillGoToReview() {
        Optional<FallbackLadder.Outcome> out = new FallbackLadder(store(Optional.empty()), "mainstay/test")
                .climb(job("job_now", JobStatus.PROCESSING, null, null), workflow("[review]"), 0, failure(ErrorCode.INVALID_MODEL_OUTPUT), new ArrayList<>());
        assertThat(out).get().isInstanceOf(FallbackLadder.ToReview.class);
    }

    private static StageResult.Failed failure(ErrorCode code) {
        return new StageResult.Failed(JobError.of(code, "stopped"), Optional.empty(), null, List.of());
    }

    private static WorkflowDefinition workflow(String fallback) {
        return WorkflowDefinition.parse(YamlDocument.parse("""
                workflow: test/rungs
                version: 1
                input: { type: object, properties: { text: { type: string } } }
                stages:
                  - id: summarise
                    model: { prompt: p.mustache, route: [primary] }
                    output:
                      schema: { type: object, required: [summary], properties: { summary: { type: string, minLength: 1 } } }
                fallback: %s
                """.formatted(fallback), "rungs.yaml"), (pointer, name) -> "Summarise {{input.text}}", Set.of());
    }

    private static Job job(String id, JobStatus status, JsonNode result, Provenance provenance) {
        return new Job(id, "acct_1", "test/rungs", 1, status, result == null ? null : ResultType.FULL, Json.object().put("text", "Refunds?"), "inputhash",
                result, null, null, provenance, Usage.ZERO, 0, 0, false, null, NOW, NOW, NOW, status.isTerminal() ? NOW : null, NOW.plusSeconds(60));
    }

    /** A store that only answers the ladder's one question: the last good job for this input. */
    private static Store store(Optional<Job> lastGood) {
        return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (proxy, method, args) -> switch (method.getName()) {
            case "lastGoodJob" -> lastGood;
            case "toString" -> "last-good store";
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> throw new UnsupportedOperationException("the fallback ladder does not use Store." + method.getName());
        });
    }
}
