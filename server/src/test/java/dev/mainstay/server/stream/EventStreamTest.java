package dev.mainstay.server.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mainstay.job.EventCursor;
import dev.mainstay.job.JobStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A stream's hand-over from the store to the hub, its ending, and what it does with a client that does not keep up. */
class EventStreamTest {
    private final MemoryFeed feed = new MemoryFeed();
    private EventHub hub;

    /** What a client received. */
    static final class Received implements Emitter {
        final List<String> ids = new ArrayList<>();
        final List<String> types = new ArrayList<>();
        final AtomicInteger comments = new AtomicInteger();
        final List<String> commentTexts = new ArrayList<>();
        volatile CountDownLatch gate;

        @Override
        public synchronized void event(String id, String type, String data) {
            ids.add(id);
            types.add(type);
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public synchronized void comment(String text) {
            comments.incrementAndGet();
            commentTexts.add(text);
        }

        synchronized List<String> ids() {
            return List.copyOf(ids);
        }
    }

    @AfterEach
    void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    private EventHub hub(StreamConfig config) {
        hub = new EventHub(feed, config);
        hub.start();
        return hub;
    }

    @Test
    void jobStreamSendsEveryEventOnceInOrderWhileEventsAreWrittenAndEndsAfterTheTerminalOne() throws Exception {
        // A buffer that holds every event: this is about order and completeness, not about dropping a slow reader (tested below).
        StreamConfig config = StreamConfig.DEFAULTS.withHeartbeat(Duration.ofMillis(50)).withBuffer(2_048);
        hub(config);
        for (int i = 0; i < 300; i++) {
            feed.write("acct_a", "w", "job_1", "stage_completed", JobStatus.PROCESSING);
        }
        Received got = new Received();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<EventStream.Ending> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return EventStream.job(feed, hub, config, "job_1", 0, false).run(got);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            for (int i = 0; i < 700; i++) {
                feed.write("acct_a", "w", "job_1", "stage_completed", JobStatus.PROCESSING);
                feed.write("acct_a", "w", "job_2", "stage_completed", JobStatus.PROCESSING);
            }
            feed.write("acct_a", "w", "job_1", "completed", JobStatus.COMPLETED);
            assertThat(run.get()).isEqualTo(EventStream.Ending.FINISHED);
        }
        List<Long> seqs = got.ids().stream().map(Long::parseLong).toList();
        assertThat(seqs).hasSize(1001).isSorted().doesNotHaveDuplicates();
        assertThat(feed.jobFeed("job_1", 0, 5000).stream().map(e -> e.event().seq()).toList()).isEqualTo(seqs);
        assertThat(got.types.getLast()).isEqualTo("completed");
    }

    @Test
    void resumingAfterTheTerminalEventOfAFinishedJobEndsAtOnce() throws Exception {
        StreamConfig config = StreamConfig.DEFAULTS;
        hub(config);
        feed.write("acct_a", "w", "job_1", "submitted", JobStatus.QUEUED);
        long last = feed.write("acct_a", "w", "job_1", "completed", JobStatus.COMPLETED).event().seq();
        Received got = new Received();
        assertThat(EventStream.job(feed, hub, config, "job_1", last, true).run(got)).isEqualTo(EventStream.Ending.FINISHED);
        assertThat(got.ids()).isEmpty();
        Received from1 = new Received();
        assertThat(EventStream.job(feed, hub, config, "job_1", 1, true).run(from1)).isEqualTo(EventStream.Ending.FINISHED);
        assertThat(from1.ids()).containsExactly(Long.toString(last));
    }

    @Test
    void aQuietStreamSendsHeartbeatComments() throws Exception {
        StreamConfig config = StreamConfig.DEFAULTS.withHeartbeat(Duration.ofMillis(30));
        hub(config);
        Received got = new Received();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<EventStream.Ending> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return EventStream.job(feed, hub, config, "job_9", 0, false).run(got);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            await().atMost(Duration.ofSeconds(10)).until(() -> got.comments.get() >= 3);
            feed.write("acct_a", "w", "job_9", "failed", JobStatus.FAILED);
            assertThat(run.get()).isEqualTo(EventStream.Ending.FINISHED);
        }
        assertThat(got.commentTexts).allMatch(t -> t.equals("heartbeat"));
    }

    @Test
    void accountStreamFiltersByWorkflowAndStatusAndResumesFromItsCursorWithoutGapOrRepeat() throws Exception {
        StreamConfig config = StreamConfig.DEFAULTS.withHeartbeat(Duration.ofMillis(50));
        hub(config);
        feed.write("acct_a", "w", "job_1", "failed", JobStatus.FAILED);
        feed.write("acct_b", "w", "job_2", "failed", JobStatus.FAILED);
        feed.write("acct_a", "other", "job_3", "failed", JobStatus.FAILED);
        feed.write("acct_a", "w", "job_4", "processing", JobStatus.PROCESSING);
        Received first = new Received();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                EventStream.account(feed, hub, config, "acct_a", EventCursor.START, "w", Set.of(JobStatus.FAILED), w -> true).run(first);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        feed.write("acct_a", "w", "job_5", "failed", JobStatus.FAILED);
        await().atMost(Duration.ofSeconds(10)).until(() -> first.ids().size() == 2);
        t.interrupt();
        t.join();
        assertThat(first.ids()).containsExactly("0-1", "0-5");

        feed.write("acct_a", "w", "job_6", "failed", JobStatus.FAILED);
        Received second = new Received();
        Thread t2 = Thread.ofVirtual().start(() -> {
            try {
                EventStream.account(feed, hub, config, "acct_a", EventCursor.parse(first.ids().getLast()).orElseThrow(), "w", Set.of(JobStatus.FAILED), w -> true)
                        .run(second);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> second.ids().size() == 1);
        t2.interrupt();
        t2.join();
        assertThat(second.ids()).containsExactly("0-6");
    }

    @Test
    void aClientThatFallsBehindIsDroppedAndItsBufferNeverGrowsPastTheLimit() throws Exception {
        StreamConfig config = StreamConfig.DEFAULTS.withHeartbeat(Duration.ofMillis(50)).withBuffer(8);
        hub(config);
        Received slow = new Received();
        slow.gate = new CountDownLatch(1);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<EventStream.Ending> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return EventStream.job(feed, hub, config, "job_1", 0, false).run(slow);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            await().atMost(Duration.ofSeconds(10)).until(() -> hub.subscribers() == 1);
            for (int i = 0; i < 50; i++) {
                feed.write("acct_a", "w", "job_1", "stage_completed", JobStatus.PROCESSING);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> hub.subscribers() == 0);
            slow.gate.countDown();
            assertThat(run.get()).isEqualTo(EventStream.Ending.DROPPED);
        }
        List<Long> seqs = slow.ids().stream().map(Long::parseLong).toList();
        // The first event was being written when the rest came; the buffer held 8 more, then the hub let go.
        assertThat(seqs).hasSizeLessThanOrEqualTo(1 + 8).isSorted().doesNotHaveDuplicates();
        assertThat(seqs.getFirst()).isEqualTo(1);
        assertThat(slow.commentTexts.getLast()).startsWith("dropped");

        // Resuming from the last id it got sends the rest, in order, once.
        Received resumed = new Received();
        feed.write("acct_a", "w", "job_1", "completed", JobStatus.COMPLETED);
        assertThat(EventStream.job(feed, hub, config, "job_1", seqs.getLast(), false).run(resumed)).isEqualTo(EventStream.Ending.FINISHED);
        List<Long> all = new ArrayList<>(seqs);
        resumed.ids().stream().map(Long::parseLong).forEach(all::add);
        assertThat(all).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 51).boxed().toList());
    }

    @Test
    void slotsCapStreamsPerAccountAndGiveThemBack() {
        StreamSlots slots = new StreamSlots(2, 3);
        var a1 = slots.acquire("acct_a");
        var a2 = slots.acquire("acct_a");
        var a3 = slots.acquire("acct_a");
        assertThat(a1.slot()).isPresent();
        assertThat(a2.slot()).isPresent();
        assertThat(a3.refusal()).containsInstanceOf(StreamSlots.Refusal.AccountFull.class);
        var b1 = slots.acquire("acct_b");
        var b2 = slots.acquire("acct_b");
        assertThat(b1.slot()).isPresent();
        assertThat(b2.refusal()).containsInstanceOf(StreamSlots.Refusal.NodeFull.class);
        a1.slot().get().close();
        a1.slot().get().close();
        assertThat(slots.open("acct_a")).isEqualTo(1);
        assertThat(slots.total()).isEqualTo(2);
        assertThat(slots.acquire("acct_a").slot()).isPresent();
    }
}
