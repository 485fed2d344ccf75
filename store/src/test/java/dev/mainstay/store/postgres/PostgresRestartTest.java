package dev.mainstay.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mainstay.ContentHash;
import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobIds;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.NewJob;
import dev.mainstay.store.SubmitOutcome;
import dev.mainstay.store.StoreException;
import dev.mainstay.testkit.PostgresCluster;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * The store across a database restart and an outage, on a cluster of its own (restarting the
 * shared one would pull the rug from under other tests).
 */
class PostgresRestartTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static PostgresCluster cluster;

    private final JobIds ids = new JobIds(Clock.fixed(T0, ZoneOffset.UTC));
    private PostgresStore.Config config;
    private PostgresStore store;
    private PostgresStore other;

    @BeforeAll
    static void startPostgres() {
        cluster = PostgresCluster.create();
    }

    @AfterAll
    static void stopPostgres() {
        cluster.close();
    }

    @BeforeEach
    void open() {
        config = PostgresStore.Config.of(cluster.jdbcUrl(cluster.createDatabase("restart")), cluster.user(), null)
                .withConnectTimeout(Duration.ofSeconds(1));
        store = PostgresStore.open(config);
        other = PostgresStore.open(config);
    }

    @AfterEach
    void close() {
        other.close();
        store.close();
    }

    private Job submit(PostgresStore on, String text) {
        ObjectNode input = Json.object().put("text", text);
        NewJob nj = new NewJob(ids.next("job"), "acct_a", "support/draft-response", 1, input, ContentHash.sha256(Json.canonical(input)), null,
                ContentHash.sha256(text), 0, T0, T0.plusSeconds(120));
        return ((SubmitOutcome.Created) on.submit(nj)).job();
    }

    /**
     * A pool whose attempts to connect failed while the database was down waits between attempts
     * (up to a few seconds) before it tries again: until then its operations still fail.
     */
    private static void awaitBack(PostgresStore node) {
        await().atMost(WAIT).ignoreExceptionsInstanceOf(StoreException.class).until(() -> node.countUnfinished(null) >= 0);
    }

    @Test
    void everythingWorksAgainAfterTheDatabaseRestarts() {
        AtomicInteger wakes = new AtomicInteger();
        store.onWork(wakes::incrementAndGet);
        Job before = submit(store, "before");
        await().atMost(WAIT).until(() -> wakes.get() >= 1);
        int beforeRestart = wakes.get();

        cluster.restart();

        // Every pooled connection and the listener's died with the server; the next operations must
        // not notice beyond a reconnect.
        assertThat(store.job(before.id())).contains(before);
        Job after = submit(store, "after");
        assertThat(store.claim("node-1", 10, T0, T0.plusSeconds(30))).extracting(Job::id).containsExactlyInAnyOrder(before.id(), after.id());
        assertThat(store.job(after.id()).orElseThrow().status()).isEqualTo(JobStatus.PROCESSING);

        // The listener says it is back by waking once (news may have been missed) ...
        await().atMost(WAIT).until(() -> wakes.get() > beforeRestart);
        int listening = wakes.get();
        // ... and then hears another node's writes again.
        awaitBack(other);
        submit(other, "from the other node");
        await().atMost(WAIT).until(() -> wakes.get() > listening);
    }

    @Test
    void writesRacingARestartEitherLandOrFailWithAStoreException() throws Exception {
        List<String> acknowledged = new CopyOnWriteArrayList<>();
        AtomicInteger refused = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                writers.add(pool.submit(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            acknowledged.add(submit(store, "during " + i).id());
                        } catch (StoreException e) {
                            refused.incrementAndGet(); // not acknowledged, so not promised
                        }
                    }
                }));
            }
            await().atMost(WAIT).until(() -> acknowledged.size() >= 50);
            cluster.restart();
            int atRestart = acknowledged.size();
            await().atMost(WAIT).until(() -> acknowledged.size() >= atRestart + 50);
            stop.set(true);
            for (Future<?> w : writers) {
                w.get(); // anything but a StoreException would surface here
            }
        }
        // Every write the store acknowledged is there, once. (A write whose connection died during
        // its commit was refused yet may have landed, so there may be more jobs than that.)
        awaitBack(store);
        assertThat(acknowledged).doesNotHaveDuplicates();
        assertThat(store.countUnfinished(null)).isGreaterThanOrEqualTo(acknowledged.size());
        for (String id : acknowledged) {
            assertThat(store.job(id)).isPresent();
        }
    }

    @Test
    void operationsFailWithStoreExceptionWhileTheDatabaseIsDownAndRecoverAfter() {
        AtomicInteger wakes = new AtomicInteger();
        store.onWork(wakes::incrementAndGet);
        Job job = submit(store, "kept");

        cluster.stop();
        try {
            assertThatThrownBy(() -> store.job(job.id())).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> submit(store, "lost")).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.claim("node-1", 1, T0, T0.plusSeconds(30))).isInstanceOf(StoreException.class);
        } finally {
            cluster.start();
        }
        int down = wakes.get();

        awaitBack(store);
        assertThat(store.job(job.id())).contains(job);
        Job next = submit(store, "next");
        assertThat(store.claim("node-1", 10, T0, T0.plusSeconds(30))).extracting(Job::id).containsExactlyInAnyOrder(job.id(), next.id());
        await().atMost(WAIT).until(() -> wakes.get() > down);
        int listening = wakes.get();
        awaitBack(other);
        submit(other, "heard");
        await().atMost(WAIT).until(() -> wakes.get() > listening);
    }
}
