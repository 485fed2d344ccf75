package dev.mainstay.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.store.JobTransition;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The transition table, checked over every status and every ordered pair of statuses. */
class JobStatusTest {
    private static final Instant AT = Instant.parse("2026-11-22T10:00:00Z");

    static Stream<Arguments> everyPair() {
        return Stream.of(JobStatus.values()).flatMap(from -> Stream.of(JobStatus.values()).map(to -> Arguments.of(from, to)));
    }

    @ParameterizedTest
    @MethodSource("everyPair")
    void terminalStatesHaveNoSuccessorsExceptReplayOfFailed(JobStatus from, JobStatus to) {
        if (from.isTerminal() && from.canTransitionTo(to)) {
            assertThat(from).isEqualTo(JobStatus.FAILED);
            assertThat(to).isEqualTo(JobStatus.QUEUED);
        }
    }

    @Test
    void failedJobCanBeReplayedIntoTheQueue() {
        assertThat(JobStatus.FAILED.canTransitionTo(JobStatus.QUEUED)).isTrue();
    }

    @ParameterizedTest
    @MethodSource("everyPair")
    void legalTransitionsBuildAndIllegalOnesThrow(JobStatus from, JobStatus to) {
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

    @ParameterizedTest
    @MethodSource("everyPair")
    void checkTransitionAgreesWithCanTransitionTo(JobStatus from, JobStatus to) {
        if (from.canTransitionTo(to)) {
            from.checkTransition(to, "job_y");
        } else {
            assertThatThrownBy(() -> from.checkTransition(to, "job_y")).isInstanceOf(IllegalStateException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(JobStatus.class)
    void transitionWithoutFromDefaultsToEveryPredecessor(JobStatus to) {
        JobTransition t = JobTransition.to("job_z", to, AT).build();
        Set<JobStatus> expected = EnumSet.noneOf(JobStatus.class);
        for (JobStatus s : JobStatus.values()) {
            if (s.canTransitionTo(to)) {
                expected.add(s);
            }
        }
        assertThat(t.from()).isEqualTo(expected).isEqualTo(to.predecessors());
    }

    @ParameterizedTest
    @EnumSource(JobStatus.class)
    void transitionToTerminalReleasesTheLeaseAndStampsCompletion(JobStatus to) {
        JobTransition t = JobTransition.to("job_t", to, AT).build();
        if (to.isTerminal()) {
            assertThat(t.releaseLease()).isTrue();
            assertThat(t.completedAt()).isEqualTo(AT);
        } else {
            assertThat(t.releaseLease()).isFalse();
            assertThat(t.completedAt()).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(JobStatus.class)
    void everyStatusCanStillReachAnEnd(JobStatus start) {
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

    @ParameterizedTest
    @EnumSource(JobStatus.class)
    void wireFormRoundTrips(JobStatus status) {
        assertThat(status.wire()).matches("[a-z_]+");
        assertThat(JobStatus.fromWire(status.wire())).isEqualTo(status);
    }

    @Test
    void terminalSetIsTheFiveEndings() {
        assertThat(JobStatus.terminal()).containsExactlyInAnyOrder(
                JobStatus.COMPLETED, JobStatus.PARTIALLY_COMPLETED, JobStatus.DEGRADED, JobStatus.FAILED, JobStatus.CANCELLED);
    }
}
