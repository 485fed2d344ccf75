package dev.mainstay.server.stream;

import dev.mainstay.job.EventCursor;
import dev.mainstay.job.FeedEvent;
import dev.mainstay.store.EventFeedStore;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one reader of new job events on a node, which hands each to the streams that want it. It
 * reads when the store says events may have been written (on this node, or on another through
 * PostgreSQL's {@code LISTEN/NOTIFY}), and now and then without a wake-up in case one was lost; one
 * read serves every stream of the node, however many there are.
 *
 * <p>Each stream has a bounded buffer. A stream whose client does not keep up fills it and is
 * dropped: the hub stops handing it events and the stream ends after what it holds, and its client
 * resumes from the last event id it got, reading the rest from the store. Nothing grows without bound.
 */
public final class EventHub implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventHub.class);
    /** How soon to look again when events exist that an open transaction still holds back. */
    private static final Duration HELD_BACK_RETRY = Duration.ofMillis(20);

    private final EventFeedStore store;
    private final StreamConfig config;
    private final ConcurrentHashMap<String, Set<Subscriber>> byJob = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<Subscriber>> byAccount = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();
    private boolean signalled;
    private volatile boolean closed;
    private volatile EventCursor cursor;
    private Thread reader;

    public EventHub(EventFeedStore store, StreamConfig config) {
        this.store = store;
        this.config = config;
    }

    /** Starts reading from the newest event on; earlier ones each stream reads from the store itself. */
    public synchronized void start() {
        if (reader != null) {
            return;
        }
        cursor = store.feedHead();
        store.onEvents(this::wake);
        reader = Thread.ofPlatform().name("mainstay-event-hub").daemon(true).start(this::loop);
    }

    /** One stream's buffer of events from the hub. */
    final class Subscriber implements AutoCloseable {
        private final String key;
        private final boolean job;
        private final Predicate<FeedEvent> wants;
        private final BlockingQueue<FeedEvent> queue;
        private volatile boolean dropped;

        private Subscriber(String key, boolean job, Predicate<FeedEvent> wants) {
            this.key = key;
            this.job = job;
            this.wants = wants;
            this.queue = new ArrayBlockingQueue<>(config.buffer());
        }

        /** The next event within {@code wait}, or {@code null}. */
        FeedEvent poll(Duration wait) throws InterruptedException {
            return queue.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
        }

        /** Whether the hub stopped handing this stream events: its buffer was full, or the node is stopping. */
        boolean dropped() {
            return dropped;
        }

        boolean stopping() {
            return closed;
        }

        private void offer(FeedEvent e) {
            if (dropped || !wants.test(e)) {
                return;
            }
            if (!queue.offer(e)) {
                dropped = true;
                remove(this);
                LOG.debug("dropped a stream of {} {}: its client left {} events unread", job ? "job" : "account", key, queue.size());
            }
        }

        @Override
        public void close() {
            remove(this);
        }
    }

    /** Subscribes to the events of one job. */
    Subscriber job(String jobId) {
        return add(byJob, new Subscriber(jobId, true, e -> true));
    }

    /** Subscribes to the events of one account that {@code wants} accepts. */
    Subscriber account(String accountId, Predicate<FeedEvent> wants) {
        return add(byAccount, new Subscriber(accountId, false, wants));
    }

    private Subscriber add(ConcurrentHashMap<String, Set<Subscriber>> map, Subscriber s) {
        map.compute(s.key, (k, v) -> {
            Set<Subscriber> set = v == null ? ConcurrentHashMap.newKeySet() : v;
            set.add(s);
            return set;
        });
        return s;
    }

    private void remove(Subscriber s) {
        (s.job ? byJob : byAccount).computeIfPresent(s.key, (k, v) -> {
            v.remove(s);
            return v.isEmpty() ? null : v;
        });
    }

    /** How many streams the hub feeds now. */
    int subscribers() {
        return byJob.values().stream().mapToInt(Set::size).sum() + byAccount.values().stream().mapToInt(Set::size).sum();
    }

    private void wake() {
        lock.lock();
        try {
            signalled = true;
            woken.signal();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        Duration wait = config.poll();
        while (!closed) {
            lock.lock();
            try {
                if (!signalled) {
                    woken.await(wait.toNanos(), TimeUnit.NANOSECONDS);
                }
                signalled = false;
            } catch (InterruptedException e) {
                if (closed) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            try {
                wait = readAll() ? HELD_BACK_RETRY : config.poll();
            } catch (RuntimeException e) {
                // The store is away (a restart, a failover): streams keep what they have and the
                // next wake-up or poll reads on from the same cursor.
                LOG.warn("could not read new job events after {}: {}", cursor, e.getMessage());
                wait = config.poll();
            }
        }
    }

    /** Reads and hands out every readable event after the cursor; true when some are still held back. */
    private boolean readAll() {
        while (true) {
            EventFeedStore.FeedPage page = store.feed(cursor, null, StreamConfig.PAGE);
            for (FeedEvent e : page.events()) {
                dispatch(e);
                cursor = e.cursor();
            }
            if (page.events().size() < StreamConfig.PAGE) {
                return page.heldBack();
            }
        }
    }

    private void dispatch(FeedEvent e) {
        Set<Subscriber> job = byJob.get(e.event().jobId());
        if (job != null) {
            job.forEach(s -> s.offer(e));
        }
        Set<Subscriber> account = byAccount.get(e.accountId());
        if (account != null) {
            account.forEach(s -> s.offer(e));
        }
    }

    /** Stops reading; every stream ends after what it holds, and its client reconnects (to another node). */
    @Override
    public void close() {
        closed = true;
        Thread t = reader;
        if (t != null) {
            t.interrupt();
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
