package dev.mainstay.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
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

    @Test
    void anAccountsOwnLimitWinsOverTheDefaultWhichBoundsTheRest() {
        assertThat(Concurrency.limits(List.of("a", "b", "c"), Map.of("a", 5), 2)).isEqualTo(Map.of("a", 5, "b", 2, "c", 2));
    }

    @Test
    void withoutADefaultOnlyTheAccountsOwnLimitsBound() {
        assertThat(Concurrency.limits(List.of("a", "b"), Map.of("a", 5, "z", 1), null)).isEqualTo(Map.of("a", 5));
    }
}
