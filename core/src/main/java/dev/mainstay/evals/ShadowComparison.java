package dev.mainstay.evals;

import dev.mainstay.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A live job's result against its shadow's: agreement on the fields the workflow names
 * ({@code shadow: {agree_on: [...]}}), and the reference-free scorers of the shadow version's
 * suites applied to both (live traffic has no expected answer, so scorers that compare with one
 * cannot judge it; nor does a judge model run here, as in eval runs).
 */
public final class ShadowComparison {
    private ShadowComparison() {
    }

    /** Whether {@code s} can judge traffic without a reference answer. */
    public static boolean referenceFree(WeightedScorer s) {
        return !s.scorer().needsExpected() && !(s.scorer() instanceof ModelGraded);
    }

    /**
     * The comparison as stored: {@code agreement} maps each field to {@code true}/{@code false},
     * or leaves it out when the live job has no value there (nothing to agree with); {@code scores}
     * maps {@code suite/scorer} to both runs' scores.
     */
    public static ObjectNode compare(List<EvalSuite> suites, List<String> agreeOn, JsonNode input, Observation live, Subject liveSubject, Observation shadow,
                                     Subject shadowSubject) {
        ObjectNode out = Json.object();
        out.put("live_job", live.jobId());
        out.put("shadow_job", shadow.jobId());
        out.put("live_status", live.status());
        out.put("shadow_status", shadow.status());
        out.put("shadow_error", shadow.errorCode());
        out.put("shadow_latency_ms", shadow.latency().toMillis());
        out.put("shadow_cost_micros", shadow.usage().costMicros());
        ObjectNode agreement = out.putObject("agreement");
        for (String pointer : agreeOn) {
            JsonNode a = live.output().at(pointer);
            if (a.isMissingNode() || a.isNull()) {
                continue;
            }
            agreement.put(pointer, JsonValues.equal(a, shadow.output().at(pointer), false));
        }
        ObjectNode scores = out.putObject("scores");
        EvalCase kase = new EvalCase("live-" + live.jobId(), "", input, MissingNode.getInstance(), List.of(), List.of(), "live job " + live.jobId());
        for (EvalSuite suite : suites) {
            for (WeightedScorer s : suite.scorers()) {
                if (!referenceFree(s)) {
                    continue;
                }
                Score l = s.scorer().score(new Evidence(kase, live, liveSubject, s.name()));
                Score sh = s.scorer().score(new Evidence(kase, shadow, shadowSubject, s.name()));
                if (l instanceof Score.Scored ls && sh instanceof Score.Scored ss) {
                    scores.putObject(suite.name() + "/" + s.name()).put("live", ls.value()).put("shadow", ss.value()).put("reason", ss.reason());
                }
            }
        }
        return out;
    }

    /** What the shadow report says of a workflow's scored shadow runs. */
    public record Summary(int scored, Map<String, Agreement> agreement, Map<String, Scores> scores) {
    }

    /** A field's agreement: of the runs whose live job had a value there, how many shadows matched it. */
    public record Agreement(int compared, int agreed) {
        public double rate() {
            return compared == 0 ? 0 : (double) agreed / compared;
        }
    }

    /** A reference-free scorer's mean score on the live jobs and on their shadows. */
    public record Scores(int runs, double liveMean, double shadowMean) {
    }

    /** Sums up stored comparisons ({@link #compare}'s output). */
    public static Summary summarize(List<JsonNode> comparisons) {
        Map<String, int[]> agree = new LinkedHashMap<>();
        Map<String, double[]> scores = new LinkedHashMap<>();
        for (JsonNode c : comparisons) {
            for (Map.Entry<String, JsonNode> e : c.path("agreement").properties()) {
                int[] n = agree.computeIfAbsent(e.getKey(), k -> new int[2]);
                n[0]++;
                if (e.getValue().asBoolean(false)) {
                    n[1]++;
                }
            }
            for (Map.Entry<String, JsonNode> e : c.path("scores").properties()) {
                double[] s = scores.computeIfAbsent(e.getKey(), k -> new double[3]);
                s[0]++;
                s[1] += e.getValue().path("live").asDouble();
                s[2] += e.getValue().path("shadow").asDouble();
            }
        }
        Map<String, Agreement> a = new LinkedHashMap<>();
        agree.forEach((k, n) -> a.put(k, new Agreement(n[0], n[1])));
        Map<String, Scores> s = new LinkedHashMap<>();
        scores.forEach((k, v) -> s.put(k, new Scores((int) v[0], v[1] / v[0], v[2] / v[0])));
        return new Summary(comparisons.size(), a, s);
    }
}
