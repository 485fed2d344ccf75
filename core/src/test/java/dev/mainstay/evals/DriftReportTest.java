package dev.mainstay.evals;

import static dev.mainstay.evals.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.store.DriftSample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class DriftReportTest {
    private static final Instant T = Instant.parse("2026-11-02T09:00:00Z");

    private static DriftSample job(int version, String status, String resultType, String result, List<String> path, boolean firstPass, boolean gateFailure,
                                   int modelStages, boolean reviewed) {
        return new DriftSample("job_" + Math.random(), version, status, resultType, result == null ? null : json(result), path, firstPass, gateFailure, modelStages,
                reviewed, T);
    }

    private static DriftSample ok(int version, String result) {
        return job(version, "completed", "full", result, List.of(), true, false, 1, false);
    }

    @Test
    void ratesAreSharesOfTheirOwnDenominators() {
        List<DriftSample> jobs = List.of(
                ok(1, "{\"confidence\": 0.9}"),
                job(1, "completed", "full", "{\"confidence\": 0.5}", List.of(), false, false, 1, false),         // repaired
                job(1, "waiting_for_review", null, null, List.of(), true, true, 1, true),                        // below the gate
                job(1, "degraded", "fallback", "{\"confidence\": \"0.7\"}", List.of("rules:x"), false, false, 1, false),
                job(1, "completed", "full", "{\"answer\": \"tool\"}", List.of(), false, false, 0, false));      // no model stage
        DriftReport.Window w = DriftReport.window(jobs, List.of("/confidence"));
        assertThat(w.jobs()).isEqualTo(5);
        assertThat(w.judged()).isEqualTo(4);
        assertThat(w.schemaFirstPassRate()).isEqualTo(2.0 / 4);
        assertThat(w.gatePassRate()).isEqualTo(3.0 / 4);
        assertThat(w.fallbackRate()).isEqualTo(1.0 / 5);
        assertThat(w.reviewRate()).isEqualTo(1.0 / 5);
        DriftReport.Distribution d = w.fields().get("/confidence");
        assertThat(d.n()).as("a number written as a string counts").isEqualTo(3);
        assertThat(d.missing()).isEqualTo(2);
        assertThat(d.mean()).isCloseTo(0.7, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(d.p50()).isEqualTo(0.7);
        assertThat(d.p95()).isEqualTo(0.9);
        assertThat(d.min()).isEqualTo(0.5);
        assertThat(d.max()).isEqualTo(0.9);
    }

    @Test
    void anEmptyWindowHasNoRatesToCompare() {
        DriftReport.Window w = DriftReport.window(List.of(), List.of("/confidence"));
        assertThat(w.jobs()).isZero();
        assertThat(w.fields().get("/confidence").n()).isZero();
        JsonNode report = DriftReport.of(List.of(ok(2, "{\"confidence\": 0.8}")), List.of(), List.of("/confidence"));
        assertThat(report.path("versions")).hasSize(1);
        assertThat(report.path("versions").get(0).path("change").isEmpty()).as("no previous jobs, no change").isTrue();
    }

    @Test
    void eachVersionIsComparedWithItselfInTheWindowBefore() {
        List<DriftSample> before = new ArrayList<>();
        List<DriftSample> now = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            before.add(ok(1, "{\"confidence\": 0.86}"));
            now.add(ok(1, "{\"confidence\": 0.62}"));
            before.add(ok(2, "{\"confidence\": 0.9}"));
        }
        JsonNode report = DriftReport.of(now, before, List.of("/confidence"));
        assertThat(report.path("versions")).hasSize(2);
        JsonNode v1 = report.path("versions").get(0);
        assertThat(v1.path("version").asInt()).isEqualTo(1);
        assertThat(v1.path("change").path("fields").path("/confidence").path("mean").asDouble()).isEqualTo(-0.24);
        assertThat(v1.path("change").path("schema_first_pass_rate").asDouble()).isZero();
        JsonNode v2 = report.path("versions").get(1);
        assertThat(v2.path("current").path("jobs").asInt()).isZero();
        assertThat(v2.path("previous").path("jobs").asInt()).isEqualTo(4);
        assertThat(v2.path("change").isEmpty()).isTrue();
    }
}
