package dev.mainstay.job;


import dev.mainstay.SteppedClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

class JobIdsTest {
    private static final int THREADS = 8;
    private static final int PER_THREAD = 2_000;


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
        SteppedClock clock = new SteppedClock(Instant.ofEpochMilli(1_800_000_000_000L));
        JobIds ids = new JobIds(clock);
        String first = ids.next("job");
        clock.advance(Duration.ofMillis(-5_000));
        String second = ids.next("job");
        clock.advance(Duration.ofMillis(10_000));
        String third = ids.next("job");
        assertThat(second).isGreaterThan(first);
        assertThat(third).isGreaterThan(second);
    }

    @Test
    void laterMillisecondsSortAfterEarlierOnesAcrossGenerators() {
        SteppedClock early = new SteppedClock(Instant.ofEpochMilli(1_800_000_000_000L));
        SteppedClock late = new SteppedClock(Instant.ofEpochMilli(1_800_000_000_001L));
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
