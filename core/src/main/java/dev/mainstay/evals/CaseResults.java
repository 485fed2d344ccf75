package dev.mainstay.evals;

import dev.mainstay.stats.Percentiles;
import dev.mainstay.Json;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The stored and wire form of a {@link CaseResult}, and back: a run keeps each case as this JSON,
 * and two runs are compared from what was stored.
 */
public final class CaseResults {
    private CaseResults() {
    }

    public static ObjectNode toJson(CaseResult r) {
        Observation o = r.observed();
        ObjectNode out = Json.object();
        out.put("case", r.caseId());
        out.put("job", o.jobId());
        out.put("status", o.status());
        out.put("result_type", o.resultType() == null ? null : o.resultType().wire());
        out.put("error_code", o.errorCode());
        out.set("output", o.output());
        out.put("latency_ms", o.latency().toMillis());
        ObjectNode usage = out.putObject("usage");
        usage.put("input_tokens", o.usage().inputTokens());
        usage.put("output_tokens", o.usage().outputTokens());
        usage.put("cost_micros", o.usage().costMicros());
        if (r.score().isPresent()) {
            out.put("score", r.score().getAsDouble());
        } else {
            out.putNull("score");
        }
        out.put("passed", r.passed());
        var scores = out.putArray("scores");
        for (ScorerResult s : r.scores()) {
            ObjectNode one = scores.addObject();
            one.put("name", s.name());
            one.put("kind", s.kind());
            one.put("weight", s.weight());
            one.put("pass", s.pass());
            switch (s.score()) {
                case Score.Scored v -> one.put("score", v.value());
                case Score.Skipped k -> one.putNull("score");
            }
            one.put("passed", s.passed());
            one.put("reason", s.score().reason());
        }
        return out;
    }

    public static CaseResult fromJson(JsonNode j) {
        JsonNode u = j.path("usage");
        Observation o = new Observation(j.path("job").isString() ? j.path("job").asString() : null, j.path("status").asString(),
                j.path("result_type").isString() ? ResultType.fromWire(j.path("result_type").asString()) : null,
                j.path("error_code").isString() ? j.path("error_code").asString() : null, j.path("output"), Duration.ofMillis(j.path("latency_ms").asLong()),
                new Usage(u.path("input_tokens").asLong(), u.path("output_tokens").asLong(), u.path("cost_micros").asLong()), Map.of());
        List<ScorerResult> scores = new ArrayList<>();
        for (JsonNode s : j.path("scores")) {
            Score score = s.path("score").isNumber() ? new Score.Scored(s.path("score").asDouble(), s.path("reason").asString())
                    : new Score.Skipped(s.path("reason").asString());
            scores.add(new ScorerResult(s.path("name").asString(), s.path("kind").asString(), s.path("weight").asDouble(), s.path("pass").asDouble(), score));
        }
        return new CaseResult(j.path("case").asString(), o, scores);
    }

    /** A run's summary as stored and sent. */
    public static ObjectNode summary(RunSummary s) {
        ObjectNode out = Json.object();
        out.put("cases", s.cases());
        out.put("scored", s.scored());
        out.put("passed", s.passed());
        out.put("quality", s.quality());
        out.put("pass_rate", s.passRate());
        out.put("threshold", s.threshold());
        out.put("meets_threshold", s.meetsThreshold());
        ObjectNode usage = out.putObject("usage");
        usage.put("input_tokens", s.usage().inputTokens());
        usage.put("output_tokens", s.usage().outputTokens());
        usage.put("cost_micros", s.usage().costMicros());
        out.set("latency_ms", Json.MAPPER.valueToTree(percentiles(s.latency())));
        return out;
    }

    private static Map<String, Long> percentiles(Percentiles<Duration> p) {
        return Map.of("p50", p.p50().toMillis(), "p95", p.p95().toMillis(), "max", p.max().toMillis());
    }
}
