package dev.mainstay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.SteppedClock;
import dev.mainstay.limits.RefusalCount;
import dev.mainstay.store.RefusalStore;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * A node's refusals are counted in memory and written as one batch per flush, whatever their
 * number: a flood of refused requests is not a flood of writes, and nothing is lost between the
 * counting and the writing, nor when a write fails.
 */
class RefusalTallyTest {
    private static final Instant T0 = Instant.parse("2026-11-20T23:59:00Z");

    /** Records every batch it is asked to add; fails the writes it is told to. */
    private static final class Batches implements RefusalStore {
        final List<List<RefusalCount>> writes = new CopyOnWriteArrayList<>();
        volatile boolean failing;

        @Override
        public void addRefusals(List<RefusalCount> counts) {
            if (failing) {
                throw new IllegalStateException("the database is away");
            }
            writes.add(List.copyOf(counts));
        }

        @Override
        public List<RefusalCount> refusals(String accountId, LocalDate from, LocalDate to) {
            throw new UnsupportedOperationException("the tally only writes");
        }

        long total(String account, String kind) {
            return writes.stream().flatMap(List::stream).filter(c -> c.accountId().equals(account) && c.kind().equals(kind)).mapToLong(RefusalCount::count).sum();
        }
    }

    @Test
    void aFloodOfRefusalsIsOneWritePerFlush() throws Exception {
        Batches store = new Batches();
        RefusalTally tally = new RefusalTally(store, new SteppedClock(T0));
        try (var pool = Executors.newFixedThreadPool(8)) {
            for (int t = 0; t < 8; t++) {
                pool.submit(() -> {
                    for (int i = 0; i < 5_000; i++) {
                        tally.refused("acme", "requests_per_minute");
                    }
                });
            }
        }
        tally.refused("globex", "backlog");
        tally.flush();
        assertThat(store.writes).hasSize(1);
        assertThat(store.writes.getFirst()).containsExactlyInAnyOrder(new RefusalCount("acme", LocalDate.parse("2026-11-20"), "requests_per_minute", 40_000),
                new RefusalCount("globex", LocalDate.parse("2026-11-20"), "backlog", 1));
        tally.flush();
        assertThat(store.writes).as("nothing refused since: nothing written").hasSize(1);
    }

    @Test
    void countsAreKeptByUtcDayAndWhileFlushesRunConcurrently() throws Exception {
        Batches store = new Batches();
        SteppedClock clock = new SteppedClock(T0);
        RefusalTally tally = new RefusalTally(store, clock);
        tally.refused("acme", "requests_per_minute");
        clock.advance(Duration.ofMinutes(2));
        tally.refused("acme", "requests_per_minute");
        List<Runnable> work = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            work.add(() -> {
                for (int i = 0; i < 2_500; i++) {
                    tally.refused("acme", "cost_per_month_usd");
                }
            });
        }
        work.add(() -> {
            for (int i = 0; i < 200; i++) {
                tally.flush();
            }
        });
        try (var pool = Executors.newFixedThreadPool(work.size())) {
            work.forEach(pool::submit);
        }
        tally.flush();
        assertThat(store.total("acme", "cost_per_month_usd")).as("every refusal written once, however the flushes fell").isEqualTo(10_000);
        assertThat(store.writes.stream().flatMap(List::stream).filter(c -> c.kind().equals("requests_per_minute")).toList())
                .containsExactlyInAnyOrder(new RefusalCount("acme", LocalDate.parse("2026-11-20"), "requests_per_minute", 1),
                        new RefusalCount("acme", LocalDate.parse("2026-11-21"), "requests_per_minute", 1));
    }

    @Test
    void countsAWriteRefusedAreKeptForTheNextFlush() {
        Batches store = new Batches();
        RefusalTally tally = new RefusalTally(store, new SteppedClock(T0));
        for (int i = 0; i < 3; i++) {
            tally.refused("acme", "tokens_per_day");
        }
        store.failing = true;
        tally.flush();
        tally.refused("acme", "tokens_per_day");
        store.failing = false;
        tally.stop();
        assertThat(store.writes).containsExactly(List.of(new RefusalCount("acme", LocalDate.parse("2026-11-20"), "tokens_per_day", 4)));
    }
}
