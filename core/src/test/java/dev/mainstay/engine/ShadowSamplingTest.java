package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.job.JobIds;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShadowSamplingTest {
    private final JobIds ids = new JobIds(Clock.fixed(Instant.parse("2026-11-02T09:00:00Z"), ZoneOffset.UTC));

    @ParameterizedTest
    @ValueSource(doubles = {0.01, 0.1, 0.25, 0.5, 0.9})
    void aShareOfJobIdsIsSampledAndTheSameIdAlwaysTheSameWay(double share) {
        int n = 20_000;
        int sampled = 0;
        for (int i = 0; i < n; i++) {
            String id = ids.next("job");
            boolean once = ShadowRuns.sampled(id, share);
            assertThat(ShadowRuns.sampled(id, share)).as("decided by the id alone: %s", id).isEqualTo(once);
            sampled += once ? 1 : 0;
        }
        // Five standard deviations of a binomial draw: a hash that sampled unevenly would miss it.
        double sd = Math.sqrt(n * share * (1 - share));
        assertThat((double) sampled).isBetween(n * share - 5 * sd, n * share + 5 * sd);
    }

    @ParameterizedTest
    @ValueSource(strings = {"job_01m8y38mg67d86mvhman27hs40", "job_x", ""})
    void aShareOfOneSamplesEveryJob(String id) {
        assertThat(ShadowRuns.sampled(id, 1.0)).isTrue();
    }
}
