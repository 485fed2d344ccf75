package dev.mainstay.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class StageTimelineTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private final List<JobEvent> events = new ArrayList<>();

    private void event(long ms, String type, String... data) {
        ObjectNode d = data.length == 0 ? null : Json.object();
        for (int i = 0; i < data.length; i += 2) {
            d.put(data[i], data[i + 1]);
        }
        events.add(new JobEvent(events.size() + 1, "job_1", type, d, T0.plusMillis(ms)));
    }

    private static StageRun run(int index, String id, String validation) {
        Provenance p = new Provenance("openai", "gpt-4o-mini", null, null, null, List.of(), validation);
        return new StageRun("job_1", index, id, StageRun.COMPLETED, null, 1, p, Usage.ZERO, null, T0, T0);
    }

    @Test
    void waitsRunsAndAttemptsOfEachStage() {
        event(0, "submitted");
        event(40, "processing", "node", "n1");
        event(160, "retry_scheduled", "stage", "triage", "code", "provider_unavailable", "attempt", "1");
        event(1160, "processing", "node", "n2");
        event(1460, "stage_completed", "stage", "triage", "index", "0");
        event(1960, "target_switched", "stage", "draft", "code", "provider_timeout");
        event(2560, "completed", "stage", "draft", "index", "1");

        List<StageTimeline> t = StageTimeline.of(events, List.of(run(0, "triage", "passed"), run(1, "draft", "repaired")));

        assertThat(t).hasSize(2);
        StageTimeline triage = t.get(0);
        assertThat(triage.stageId()).isEqualTo("triage");
        assertThat(triage.waited()).isEqualTo(Duration.ofMillis(40 + 1000));
        assertThat(triage.ran()).isEqualTo(Duration.ofMillis(120 + 300));
        assertThat(triage.attempts()).extracting(StageTimeline.Attempt::outcome).containsExactly("server_error", "ok");
        assertThat(triage.attempts().getFirst().code()).isEqualTo("provider_unavailable");
        assertThat(triage.firstPass()).contains(true);
        StageTimeline draft = t.get(1);
        assertThat(draft.stageId()).isEqualTo("draft");
        assertThat(draft.waited()).isZero();
        assertThat(draft.ran()).isEqualTo(Duration.ofMillis(1100));
        assertThat(draft.attempts()).extracting(StageTimeline.Attempt::outcome).containsExactly("timeout", "ok");
        assertThat(draft.firstPass()).contains(false);
    }

    @Test
    void aReviewWaitIsWaitedAndAFailureIsItsCode() {
        event(0, "submitted");
        event(10, "processing");
        event(510, "review_requested", "stage", "extract", "code", "invalid_model_output");
        event(60_510, "review_decided", "stage", "extract");
        event(60_600, "failed", "code", "review_rejected");

        List<StageTimeline> t = StageTimeline.of(events, List.of());

        assertThat(t).hasSize(1);
        assertThat(t.getFirst().waited()).isEqualTo(Duration.ofMillis(10 + 60_090));
        assertThat(t.getFirst().ran()).isEqualTo(Duration.ofMillis(500));
        assertThat(t.getFirst().attempts()).extracting(StageTimeline.Attempt::outcome).containsExactly("invalid_output", "review_rejected");
        assertThat(t.getFirst().firstPass()).isEqualTo(Optional.empty());
    }

    @Test
    void aJobNeverClaimedHasNoTimeline() {
        event(0, "submitted");
        assertThat(StageTimeline.of(events, List.of())).isEmpty();
    }
}
