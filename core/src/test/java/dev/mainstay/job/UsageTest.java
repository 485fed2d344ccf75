package dev.mainstay.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UsageTest {
    @Test
    void costIsPrintedAsExactDollars() {
        assertThat(new Usage(0, 0, 420).costUsd()).isEqualTo("0.000420");
        assertThat(new Usage(0, 0, 12_345_678).costUsd()).isEqualTo("12.345678");
        assertThat(Usage.ZERO.costUsd()).isEqualTo("0.000000");
    }

    @Test
    void plusAddsEveryPart() {
        assertThat(new Usage(1, 2, 3).plus(new Usage(10, 20, 30))).isEqualTo(new Usage(11, 22, 33));
    }

    @Test
    void negativeUsageIsRefused() {
        assertThatThrownBy(() -> new Usage(-1, 0, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> new Usage(0, 0, -5)).isInstanceOf(IllegalArgumentException.class);
    }
}
