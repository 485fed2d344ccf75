package dev.mainstay.evals;

import static dev.mainstay.evals.Fixtures.completed;
import static dev.mainstay.evals.Fixtures.ended;
import static dev.mainstay.evals.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.job.JobStatus;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ShadowComparisonTest {
    private static final WeightedScorer SCHEMA = new WeightedScorer("schema_valid", new SchemaValid(), 1, 1);
    private static final WeightedScorer LABEL = new WeightedScorer("equals /label", new Equals(Fixtures.at("/label"), null, false), 1, 1);
    private static final WeightedScorer NO_FILLER = new WeightedScorer("no-filler", new Contains(Fixtures.at(""), List.of("nothing"), true, false, true), 1, 1);
    private static final EvalSuite SUITE = new EvalSuite("s", "", "s.yaml", java.nio.file.Path.of("s.yaml"), "h", 0.9, false, List.of(SCHEMA, LABEL, NO_FILLER),
            List.of(Fixtures.kase("{}", "{\"label\": \"a\"}")));

    private static JsonNode compare(List<String> agreeOn, Observation live, Observation shadow) {
        return ShadowComparison.compare(List.of(SUITE), agreeOn, json("{\"text\": \"x\"}"), live, Fixtures.SUBJECT, shadow, Fixtures.SUBJECT);
    }

    @Test
    void agreementComparesAsEqualsDoesAndSkipsFieldsTheLiveResultLacks() {
        JsonNode c = compare(List.of("/label", "/score", "/tags", "/missing"),
                completed("{\"label\": \"Cafe\\u0301\", \"score\": 3, \"tags\": [\"a\"]}"),
                completed("{\"label\": \"Café\", \"score\": 3.0}"));
        assertThat(c.path("agreement").path("/label").asBoolean()).as("NFC").isTrue();
        assertThat(c.path("agreement").path("/score").asBoolean()).as("numbers by value").isTrue();
        assertThat(c.path("agreement").path("/tags").asBoolean()).as("the shadow lacks it").isFalse();
        assertThat(c.path("agreement").has("/missing")).as("nothing to agree with").isFalse();
    }

    @Test
    void onlyReferenceFreeScorersJudgeBothRuns() {
        JsonNode c = compare(List.of(), completed("{\"label\": \"a\"}"), completed("{\"label\": \"nothing to say\", \"extra\": 1}"));
        assertThat(c.path("scores").has("s/equals /label")).isFalse();
        assertThat(c.path("scores").path("s/schema_valid").path("live").asDouble()).isEqualTo(1.0);
        assertThat(c.path("scores").path("s/schema_valid").path("shadow").asDouble()).isEqualTo(0.0);
        assertThat(c.path("scores").path("s/no-filler").path("shadow").asDouble()).isEqualTo(0.0);
        assertThat(c.path("scores").path("s/no-filler").path("reason").asString()).isNotBlank();
    }

    @Test
    void aShadowWithoutResultDisagreesAndTheSummaryCountsPerField() {
        JsonNode failed = compare(List.of("/label"), completed("{\"label\": \"a\"}"), ended(JobStatus.FAILED, null, "provider_unavailable", null));
        JsonNode agreed = compare(List.of("/label"), completed("{\"label\": \"a\"}"), completed("{\"label\": \"a\"}"));
        assertThat(failed.path("agreement").path("/label").asBoolean()).isFalse();
        assertThat(failed.path("shadow_error").asString()).isEqualTo("provider_unavailable");
        ShadowComparison.Summary s = ShadowComparison.summarize(List.of(failed, agreed, agreed));
        assertThat(s.scored()).isEqualTo(3);
        assertThat(s.agreement().get("/label")).isEqualTo(new ShadowComparison.Agreement(3, 2));
        assertThat(s.agreement().get("/label").rate()).isEqualTo(2.0 / 3);
        assertThat(ShadowComparison.summarize(List.of()).agreement()).isEmpty();
        assertThat(new ShadowComparison.Agreement(0, 0).rate()).isZero();
    }
}
