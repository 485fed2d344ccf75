package dev.mainstay.evals;

import dev.mainstay.Json;
import dev.mainstay.stats.Percentiles;
import dev.mainstay.store.DriftSample;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reference-free quality of live traffic, per version, for one window and the window before it:
 * how often the output contract held at the first answer, how often the rules and confidence gate
 * let it through, how often the job ended on a fallback or went to a person, and how the declared
 * numeric fields ({@code drift: {fields: [...]}}) are distributed. A change between the two windows
 * with the version unchanged is drift: a provider that silently changed its model shows here.
 */
public final class DriftReport {
    private DriftReport() {
    }

    /** Figures of one version over one window. */
    public record Window(int jobs, int judged, double schemaFirstPassRate, double gatePassRate, double fallbackRate, double reviewRate,
                         Map<String, Distribution> fields) {
    }

    /**
     * A numeric field's distribution; percentiles by the nearest-rank method.
     *
     * @param missing jobs whose result has no number there
     */
    public record Distribution(int n, int missing, double mean, double p50, double p95, double min, double max) {
    }

    /** Each version seen in either window, with both windows' figures and the change from the previous to the current one. */
    public static ObjectNode of(List<DriftSample> current, List<DriftSample> previous, List<String> fields) {
        ObjectNode out = Json.object();
        TreeSet<Integer> versions = new TreeSet<>();
        current.forEach(s -> versions.add(s.version()));
        previous.forEach(s -> versions.add(s.version()));
        var list = out.putArray("versions");
        for (int v : versions) {
            Window now = window(current.stream().filter(s -> s.version() == v).toList(), fields);
            Window before = window(previous.stream().filter(s -> s.version() == v).toList(), fields);
            ObjectNode o = list.addObject();
            o.put("version", v);
            o.set("current", json(now));
            o.set("previous", json(before));
            ObjectNode change = o.putObject("change");
            if (now.jobs() > 0 && before.jobs() > 0) {
                change.put("schema_first_pass_rate", round(now.schemaFirstPassRate() - before.schemaFirstPassRate()));
                change.put("gate_pass_rate", round(now.gatePassRate() - before.gatePassRate()));
                change.put("fallback_rate", round(now.fallbackRate() - before.fallbackRate()));
                change.put("review_rate", round(now.reviewRate() - before.reviewRate()));
                ObjectNode f = change.putObject("fields");
                for (String field : fields) {
                    Distribution a = now.fields().get(field);
                    Distribution b = before.fields().get(field);
                    if (a.n() > 0 && b.n() > 0) {
                        f.putObject(field).put("mean", round(a.mean() - b.mean())).put("p50", round(a.p50() - b.p50())).put("p95", round(a.p95() - b.p95()));
                    }
                }
            }
        }
        return out;
    }

    /** The figures of one version's jobs in one window. */
    public static Window window(List<DriftSample> jobs, List<String> fields) {
        int judged = 0;
        int firstPass = 0;
        int gatePass = 0;
        int fallback = 0;
        int reviewed = 0;
        for (DriftSample s : jobs) {
            if (s.modelStages() > 0) {
                judged++;
                firstPass += s.firstPass() ? 1 : 0;
                gatePass += s.gateFailure() ? 0 : 1;
            }
            boolean rescued = !s.fallbackPath().isEmpty() || "fallback".equals(s.resultType()) || "draft".equals(s.resultType());
            fallback += rescued ? 1 : 0;
            reviewed += s.reviewed() ? 1 : 0;
        }
        Map<String, Distribution> dist = new TreeMap<>();
        for (String field : fields) {
            List<Double> values = new ArrayList<>();
            int missing = 0;
            for (DriftSample s : jobs) {
                JsonNode v = s.result() == null ? null : s.result().at(field);
                var number = v == null ? java.util.Optional.<BigDecimal>empty() : JsonValues.number(v);
                if (number.isPresent()) {
                    values.add(number.get().doubleValue());
                } else {
                    missing++;
                }
            }
            if (values.isEmpty()) {
                dist.put(field, new Distribution(0, missing, 0, 0, 0, 0, 0));
            } else {
                Percentiles<Double> p = Percentiles.of(values, 0.0);
                double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
                double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
                dist.put(field, new Distribution(values.size(), missing, mean, p.p50(), p.p95(), min, p.max()));
            }
        }
        return new Window(jobs.size(), judged, rate(firstPass, judged), rate(gatePass, judged), rate(fallback, jobs.size()), rate(reviewed, jobs.size()), dist);
    }

    private static double rate(int n, int of) {
        return of == 0 ? 0 : (double) n / of;
    }

    private static double round(double d) {
        return Math.round(d * 10_000) / 10_000.0;
    }

    private static ObjectNode json(Window w) {
        ObjectNode o = Json.object();
        o.put("jobs", w.jobs());
        o.put("judged", w.judged());
        o.put("schema_first_pass_rate", round(w.schemaFirstPassRate()));
        o.put("gate_pass_rate", round(w.gatePassRate()));
        o.put("fallback_rate", round(w.fallbackRate()));
        o.put("review_rate", round(w.reviewRate()));
        ObjectNode f = o.putObject("fields");
        w.fields().forEach((name, d) -> f.putObject(name).put("n", d.n()).put("missing", d.missing()).put("mean", round(d.mean())).put("p50", round(d.p50()))
                .put("p95", round(d.p95())).put("min", round(d.min())).put("max", round(d.max())));
        return o;
    }
}
