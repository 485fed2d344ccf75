package dev.mainstay.evals;

import dev.mainstay.Json;
import dev.mainstay.contract.JsonSchema;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** Small builders for scorer and run tests. */
final class Fixtures {
    static final JsonSchema INPUT = JsonSchema.compile(Json.parse("""
            {"type": "object", "properties": {"text": {"type": "string"}, "max": {"type": "integer", "default": 3}}}"""));
    static final JsonSchema OUTPUT = JsonSchema.compile(Json.parse("""
            {"type": "object", "required": ["label"], "additionalProperties": false,
             "properties": {"label": {"type": "string"}, "score": {"type": "number"}, "tags": {"type": "array", "items": {"type": "string"}}}}"""));
    static final Subject SUBJECT = new Subject("test/fixture", 1, INPUT, OUTPUT);

    private Fixtures() {
    }

    static JsonNode json(String text) {
        return Json.parse(text);
    }

    static EvalCase kase(String input, String expected) {
        return new EvalCase("c1", "", json(input), expected == null ? null : json(expected), List.of(), List.of(), "suite.yaml:1");
    }

    static Observation completed(String output) {
        return Observation.completed("job_1", json(output), Duration.ofMillis(120), new Usage(10, 5, 42));
    }

    static Observation ended(JobStatus status, ResultType type, String errorCode, String output) {
        return new Observation("job_1", status.wire(), type, errorCode, output == null ? null : json(output), Duration.ofMillis(80), Usage.ZERO, Map.of());
    }

    static Score score(Scorer scorer, EvalCase kase, Observation observed) {
        return scorer.score(new Evidence(kase, observed, SUBJECT, scorer.defaultName()));
    }

    static Score score(Scorer scorer, String output) {
        return score(scorer, kase("{}", null), completed(output));
    }

    static Score score(Scorer scorer, String expected, String output) {
        return score(scorer, kase("{}", expected), completed(output));
    }

    static double value(Score s) {
        if (s instanceof Score.Scored scored) {
            return scored.value();
        }
        throw new AssertionError("expected a score, got " + s);
    }

    static OutputPointer at(String pointer) {
        return new OutputPointer(pointer);
    }
}
