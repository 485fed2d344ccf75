package dev.mainstay.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.limits.RefusalCount;
import dev.mainstay.store.Store;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every dialect guarantees of admission refusal counts: counts added for one account, day and
 * kind add up, however many writers add them at once, and are read back per account over a span
 * of days.
 */
public abstract class RefusalStoreContract {
    protected static final LocalDate D1 = LocalDate.parse("2026-12-01");
    protected static final LocalDate D2 = LocalDate.parse("2026-12-02");

    protected Store store;

    protected abstract Store openStore();

    @BeforeEach
    void open() {
        store = openStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void countsOfOneAccountDayAndKindAddUp() {
        store.addRefusals(List.of(new RefusalCount("acme", D1, "requests_per_minute", 7), new RefusalCount("acme", D1, "backlog", 1),
                new RefusalCount("globex", D1, "requests_per_minute", 2)));
        store.addRefusals(List.of(new RefusalCount("acme", D1, "requests_per_minute", 5), new RefusalCount("acme", D2, "cost_per_month_usd", 3)));
        store.addRefusals(List.of());

        assertThat(store.refusals("acme", D1, D2)).containsExactly(new RefusalCount("acme", D1, "backlog", 1),
                new RefusalCount("acme", D1, "requests_per_minute", 12), new RefusalCount("acme", D2, "cost_per_month_usd", 3));
        assertThat(store.refusals("acme", D2, D2)).containsExactly(new RefusalCount("acme", D2, "cost_per_month_usd", 3));
        assertThat(store.refusals("globex", D2, D2)).isEmpty();
        assertThat(store.refusals("initech", D1, D2)).isEmpty();
        assertThat(store.refusals(null, D1, D1)).containsExactly(new RefusalCount("acme", D1, "backlog", 1),
                new RefusalCount("acme", D1, "requests_per_minute", 12), new RefusalCount("globex", D1, "requests_per_minute", 2));
    }

    @Test
    void concurrentWritersLoseNoCount() throws Exception {
        int writers = 8;
        int rounds = 25;
        try (var pool = Executors.newFixedThreadPool(writers)) {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                done.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        store.addRefusals(List.of(new RefusalCount("acme", D1, "requests_per_minute", 3), new RefusalCount("acme", D1, "backlog", 1)));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertThat(store.refusals("acme", D1, D1)).containsExactly(new RefusalCount("acme", D1, "backlog", (long) writers * rounds),
                new RefusalCount("acme", D1, "requests_per_minute", 3L * writers * rounds));
    }
}
