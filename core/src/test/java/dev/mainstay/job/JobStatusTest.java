package dev.mainstay.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.store.JobTransition;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class JobStatusTest {
    private static final Instant AT = Instant.parse("2026-11-22T10:00:00Z");

    @Property
    void terminalStatesHaveNoSuccessorsExceptReplayOfFailed(@ForAll JobStatus from, @ForAll JobStatus to) {
        if (from.isTerminal() && from.canTransitionTo(to)) {
            assertThat(from).isEqualTo(JobStatus.FAILED);
            assertThat(to).isEqualTo(JobStatus.QUEUED);
        }
    }

    @Test
    void failedJobCanBeReplayedIntoTheQueue() {
        assertThat(JobStatus.FAILED.canTransitionTo(JobStatus.QUEUED)).isTrue();
    }

    @Property
    void legalTransitionsBuildAndIllegalOnesThrow(@ForAll JobStatus from, @ForAll JobStatus to) {
        JobTransition.Builder builder = JobTransition.to("job_x", to, AT).from(from);
        if (from.canTransitionTo(to)) {
            JobTransition t = builder.build();
            assertThat(t.from()).containsExactly(from);
            assertThat(t.to()).isEqualTo(to);
        } else {
            assertThatThrownBy(builder::build)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("job_x")
                    .hasMessageContaining(from.wire())
                    .hasMessageContaining(to.wire())
                    .hasMessageContaining("Indicates a bug");
        }
    }

    @Property
    void checkTransitionAgreesWithCanTransitionTo(@ForAll JobStatus from, @ForAll JobStatus to) {
        if (from.canTransitionTo(to)) {
            from.checkTransition(to, "job_y");
        } else {
            assertThatThrownBy(() -> from.checkTransition(to, "job_y")).isInstanceOf(IllegalStateException.class);
        }
    }

    @Property
    void transitionWithoutFromDefaultsToEveryPredecessor(@ForAll JobStatus to) {
        JobTransition t = JobTransition.to("job_z", to, AT).build();
        Set<JobStatus> expected = EnumSet.noneOf(JobStatus.class);
        for (JobStatus s : JobStatus.values()) {
            if (s.canTransitionTo(to)) {
                expected.add(s);
            }
        }
        assertThat(t.from()).isEqualTo(expected).isEqualTo(to.predecessors());
    }

    @Property
    void transitionToTerminalReleasesTheLeaseAndStampsCompletion(@ForAll JobStatus to) {
        JobTransition t = JobTransition.to("job_t", to, AT).build();
        if (to.isTerminal()) {
            assertThat(t.releaseLease()).isTrue();
            assertThat(t.completedAt()).isEqualTo(AT);
        } else {
            assertThat(t.releaseLease()).isFalse();
            assertThat(t.completedAt()).isNull();
        }
    }

    @Property
    void everyStatusCanStillReachAnEnd(@ForAll JobStatus start) {
        Deque<JobStatus> todo = new ArrayDeque<>(Set.of(start));
        Set<JobStatus> seen = EnumSet.of(start);
        while (!todo.isEmpty()) {
            JobStatus s = todo.pop();
            for (JobStatus n : JobStatus.values()) {
                if (s.canTransitionTo(n) && seen.add(n)) {
                    todo.push(n);
                }
            }
        }
        assertThat(seen).anyMatch(JobStatus::isTerminal);
    }

    @Property
    void wireFormRoundTrips(@ForAll JobStatus status) {
        assertThat(status.wire()).matches("[a-z_]+");
        assertThat(JobStatus.fromWire(status.wire())).isEqualTo(status);
    }

    @Test
    void terminalSetIsTheFiveEndings() {
        assertThat(JobStatus.terminal()).containsExactlyInAnyOrder(
                JobStatus.COMPLETED, JobStatus.PARTIALLY_COMPLETED, JobStatus.DEGRADED, JobStatus.FAILED, JobStatus.CANCELLED);
    }
}
