package dev.mainstay.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JobIdsTest {
    private static final int THREADS = 8;
    private static final int PER_THREAD = 2_000;

    /** A clock the test sets; reads are what the generator sees. */
    private static final class SteppedClock extends Clock {
        final AtomicLong millis;

        SteppedClock(long start) {
            this.millis = new AtomicLong(start);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }

    @Test
    void idsAreUniqueAndIncreasingPerThreadUnderConcurrentGenerationInOneMillisecond() throws Exception {
        assertUniqueAndIncreasing(new JobIds(Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC)));
    }

    @Test
    void idsAreUniqueAndIncreasingPerThreadWithTheSystemClock() throws Exception {
        assertUniqueAndIncreasing(new JobIds(Clock.systemUTC()));
    }

    private static void assertUniqueAndIncreasing(JobIds ids) throws InterruptedException {
        List<List<String>> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < THREADS; t++) {
            List<String> mine = new ArrayList<>(PER_THREAD);
            perThread.add(mine);
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < PER_THREAD; i++) {
                    mine.add(ids.next("job"));
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        Set<String> all = new HashSet<>();
        for (List<String> mine : perThread) {
            assertThat(mine).hasSize(PER_THREAD);
            for (int i = 1; i < mine.size(); i++) {
                assertThat(mine.get(i)).isGreaterThan(mine.get(i - 1));
            }
            all.addAll(mine);
        }
        assertThat(all).hasSize(THREADS * PER_THREAD);
    }

    @Test
    void idsKeepIncreasingWhenTheClockStepsBack() {
        SteppedClock clock = new SteppedClock(1_800_000_000_000L);
        JobIds ids = new JobIds(clock);
        String first = ids.next("job");
        clock.millis.addAndGet(-5_000);
        String second = ids.next("job");
        clock.millis.addAndGet(10_000);
        String third = ids.next("job");
        assertThat(second).isGreaterThan(first);
        assertThat(third).isGreaterThan(second);
    }

    @Test
    void laterMillisecondsSortAfterEarlierOnesAcrossGenerators() {
        SteppedClock early = new SteppedClock(1_800_000_000_000L);
        SteppedClock late = new SteppedClock(1_800_000_000_001L);
        for (int i = 0; i < 100; i++) {
            assertThat(new JobIds(late).next("job")).isGreaterThan(new JobIds(early).next("job"));
        }
    }

    @Test
    void idIsPrefixUnderscoreAnd26CrockfordDigits() {
        String id = new JobIds(Clock.systemUTC()).next("job");
        assertThat(id).matches("job_[0-9a-hjkmnp-tv-z]{26}");
    }
}
