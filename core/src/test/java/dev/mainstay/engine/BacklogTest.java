package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class BacklogTest {
    private final Backlog backlog = new Backlog();
    private final AtomicInteger reads = new AtomicInteger();

    private LongSupplier store(long count) {
        return () -> {
            reads.incrementAndGet();
            return count;
        };
    }

    @Test
    void farBelowTheLimitARecentCountIsReusedWithThisNodesSubmitsAdded() {
        assertThat(backlog.count("acct", 100, store(10))).isEqualTo(10);
        backlog.admitted("acct");
        backlog.admitted("acct");
        assertThat(backlog.count("acct", 100, store(99))).as("10 counted, 2 admitted since").isEqualTo(12);
        assertThat(reads).hasValue(1);
    }

    @Test
    void nearTheLimitEverySubmitCountsAfresh() {
        assertThat(backlog.count("acct", 10, store(4))).isEqualTo(4);
        backlog.admitted("acct");
        assertThat(backlog.count("acct", 10, store(5))).as("4 + 1 is half the limit: counted again").isEqualTo(5);
        assertThat(backlog.count("acct", 10, store(9))).isEqualTo(9);
        assertThat(reads).hasValue(3);
    }

    @Test
    void aSubmitCountsForItsAccountAndForAllAccountsButNotForOthers() {
        backlog.count("a", 1000, store(1));
        backlog.count("b", 1000, store(1));
        backlog.count(Backlog.ALL, 1000, store(2));
        backlog.admitted("a");
        assertThat(backlog.count("a", 1000, store(0))).isEqualTo(2);
        assertThat(backlog.count("b", 1000, store(0))).isEqualTo(1);
        assertThat(backlog.count(Backlog.ALL, 1000, store(0))).isEqualTo(3);
        assertThat(reads).hasValue(3);
    }

    @Test
    void aLimitOfOneIsAlwaysCountedExactly() {
        assertThat(backlog.count("acct", 1, store(0))).isZero();
        assertThat(backlog.count("acct", 1, store(1))).isEqualTo(1);
        assertThat(reads).hasValue(2);
    }
}
