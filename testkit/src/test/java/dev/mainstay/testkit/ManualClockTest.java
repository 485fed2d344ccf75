package dev.mainstay.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ManualClockTest {
    @Test
    void movesOnlyWhenTold() {
        Instant start = Instant.parse("2026-11-22T10:00:00Z");
        ManualClock clock = new ManualClock(start);
        assertThat(clock.instant()).isEqualTo(start);
        assertThat(clock.instant()).isEqualTo(start);
        clock.advance(Duration.ofSeconds(90));
        assertThat(clock.millis()).isEqualTo(start.plusSeconds(90).toEpochMilli());
        clock.set(start.minusSeconds(5));
        assertThat(clock.instant()).isEqualTo(start.minusSeconds(5));
    }
}
