package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** How many more of an account's jobs a claim may start. */
class ConcurrencyTest {
    @Test
    void roomIsTheLimitLessTheRunningJobsNeverBelowZero() {
        assertThat(Concurrency.room(Map.of("a", 3, "b", 2, "c", 1), Map.of("a", 1, "b", 5)))
                .isEqualTo(Map.of("a", 2, "b", 0, "c", 1));
    }

    @Test
    void accountsWithoutALimitAreNotBounded() {
        assertThat(Concurrency.room(Map.of(), Map.of("a", 10))).isEmpty();
    }
}
