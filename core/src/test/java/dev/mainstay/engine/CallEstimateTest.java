package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.SteppedClock;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Usage;
import dev.mainstay.provider.Routes;
import dev.mainstay.provider.Target;
import dev.mainstay.routing.TargetHealth;
import dev.mainstay.routing.TargetLimits;
import dev.mainstay.usage.PriceTable;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.YamlDocument;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The smallest call of a stage: what every real call reserves at the least, and the per-job budget warnings built on it. */
class CallEstimateTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final Target MINI = new Target("openai", "gpt-4o-mini");
    private static final Target LOCAL = new Target("local", "llama3.1");
    private static final Target BIG = new Target("openai", "gpt-4o");
    private static final Routes ROUTES = new Routes(Map.of("primary", List.of(MINI, BIG), "small", List.of(LOCAL)));
    private static final PriceTable PRICES = new PriceTable(Map.of("local/llama3.1", PriceTable.Price.usd("0", "0")));

    private static WorkflowDefinition workflow(String limits) {
        return WorkflowDefinition.parse(YamlDocument.parse("""
                workflow: meetings/action-items
                version: 1
                %s
                input:
                  type: object
                  required: [transcript, attendees]
                  properties:
                    transcript: { type: string }
                    attendees: { type: array, items: { type: string } }
                stages:
                  - id: extract
                    model: { prompt: extract.mustache, route: [primary], max_output_tokens: 800 }
                    output:
                      schema: { type: object, required: [items], properties: { items: { type: array, items: { type: string } } } }
                      rules: ["size(output.items) <= 20"]
                  - id: polish
                    model: { prompt: extract.mustache, route: [small, primary], max_output_tokens: 400 }
                    output:
                      schema: { type: object, required: [items], properties: { items: { type: array, items: { type: string } } } }
                """.formatted(limits), "action-items.yaml"),
                (pointer, name) -> "Attendees: {{#input.attendees}}{{.}}, {{/input.attendees}}\n<transcript>\n{{input.transcript}}\n</transcript>\n", Set.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Ada: ship it.", "Ada and Grace agreed that Grace sends the deck on Friday and Ada books the room for the review."})
    void everyRealCallReservesAtLeastTheSmallestCall(String transcript) {
        WorkflowDefinition wf = workflow("");
        ModelStage stage = (ModelStage) wf.stages().getFirst();
        SteppedClock clock = new SteppedClock(NOW);
        EngineConfig config = EngineConfig.defaults("node-1", "mainstay/test");
        ModelStageExecutor executor = new ModelStageExecutor(Map.of(), ROUTES, new Quotas(null, PRICES, ROUTES, clock, config, new JobIds(clock)), clock, config,
                new TargetHealth(clock, 5, config.breakerCooldown()), new TargetLimits(clock, Map.of()), (job, s, request, n) -> "{}");
        JsonNode input = transcript.isEmpty() ? Json.object()
                : Json.object().put("transcript", transcript).set("attendees", Json.array().add("Ada").add("Grace"));
        Job job = new Job("job_1", "acct_1", wf.name(), 1, JobStatus.PROCESSING, null, input, "hash", null, null, null, null, Usage.ZERO, 0, 0, false,
                null, NOW, NOW, NOW, null, NOW.plusSeconds(60));

        for (CallEstimate smallest : CallEstimate.first(wf, ROUTES, PRICES)) {
            long real = executor.estimateTokens(job, wf, stage, Map.of(), smallest.target());
            if (transcript.isEmpty()) {
                assertThat(real).as("no input values: the smallest call itself").isEqualTo(smallest.tokens());
            } else {
                assertThat(real).isGreaterThan(smallest.tokens());
            }
            assertThat(smallest.costMicros()).isEqualTo(PRICES.costMicros(smallest.target().provider(), smallest.target().model(), smallest.promptTokens(), 0, 800));
        }
    }

    @Test
    void theFirstModelStagesCheapestTargetIsWhatAdmissionNeeds() {
        List<CallEstimate> first = CallEstimate.first(workflow(""), ROUTES, PRICES);
        assertThat(first).extracting(CallEstimate::target).containsExactly(MINI, BIG);
        CallEstimate cheapest = CallEstimate.cheapest(first).orElseThrow();
        assertThat(cheapest.target()).isEqualTo(MINI);
        assertThat(cheapest.stage()).isEqualTo("extract");
        assertThat(cheapest.maxOutputTokens()).isEqualTo(800);
        // 800 output tokens at $0.60 per million alone are $0.000480.
        assertThat(cheapest.costMicros()).isGreaterThan(480);
        assertThat(CallEstimate.all(workflow(""), ROUTES, PRICES)).extracting(c -> c.stage() + " " + c.target())
                .containsExactly("extract openai/gpt-4o-mini", "extract openai/gpt-4o", "polish local/llama3.1", "polish openai/gpt-4o-mini", "polish openai/gpt-4o");
    }

    @Test
    void aPerJobBudgetBelowOneCallIsNamedPerStageAndTarget() {
        assertThat(CallEstimate.perJobBudgetWarnings(workflow(""), ROUTES, PRICES)).isEmpty();
        assertThat(CallEstimate.perJobBudgetWarnings(workflow("limits: { cost_per_job_usd: \"1.00\" }"), ROUTES, PRICES)).isEmpty();

        // Enough for gpt-4o-mini's smallest call, not for gpt-4o's.
        List<String> some = CallEstimate.perJobBudgetWarnings(workflow("limits: { cost_per_job_usd: \"0.002\" }"), ROUTES, PRICES);
        assertThat(some).hasSize(2).allSatisfy(w -> assertThat(w).startsWith("limits.cost_per_job_usd $0.002000 is below $")
                .contains("on openai/gpt-4o (").endsWith("that target can never be called"));
        assertThat(some.getFirst()).contains("stage 'extract'");
        assertThat(some.getLast()).contains("stage 'polish'");

        List<String> none = CallEstimate.perJobBudgetWarnings(workflow("limits: { cost_per_job_usd: \"0.0001\" }"), ROUTES, PRICES);
        assertThat(none.getFirst()).startsWith("limits.cost_per_job_usd $0.000100 is below $0.000").contains("the least one call of stage 'extract' reserves (openai/gpt-4o-mini: smallest prompt ")
                .contains("max_output_tokens 800 at current prices").endsWith("no job of this version can call a model; every job ends through its fallback ladder, or fails with budget_exceeded");
        // The free local model of the second stage fits any budget; its priced fallbacks do not.
        assertThat(none).hasSize(3);
        assertThat(none.subList(1, 3)).allSatisfy(w -> assertThat(w).contains("stage 'polish'").endsWith("that target can never be called"));
    }
}
