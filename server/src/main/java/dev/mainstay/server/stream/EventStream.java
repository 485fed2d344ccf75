package dev.mainstay.server.stream;

import dev.mainstay.Json;
import dev.mainstay.job.EventCursor;
import dev.mainstay.job.FeedEvent;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.EventFeedStore;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import tools.jackson.databind.node.ObjectNode;

/**
 * One open stream: first the events after the client's resume point, read from the store, then
 * the new ones the {@link EventHub} hands it, with no gap and no repeat between the two (it
 * subscribes before it reads, and skips what it already sent). A job's stream ends after the
 * event that finished the job; every stream ends when its client falls too far behind or the node
 * stops, and the client resumes from the last id it got.
 */
abstract sealed class EventStream {
    /** How a stream ended. */
    enum Ending {
        /** The job finished and its last event was sent. */
        FINISHED,
        /** The client fell too far behind; it resumes from its last event id. */
        DROPPED,
        /** The node is stopping. */
        STOPPING,
        /** The client went away. */
        GONE
    }

    private static final Duration TICK = Duration.ofMillis(500);

    final EventFeedStore store;
    final EventHub hub;
    final StreamConfig config;

    private EventStream(EventFeedStore store, EventHub hub, StreamConfig config) {
        this.store = store;
        this.hub = hub;
        this.config = config;
    }

    /** The stream of one job, after its event {@code afterSeq}; {@code finished} says whether the job had finished when asked. */
    static EventStream job(EventFeedStore store, EventHub hub, StreamConfig config, String jobId, long afterSeq, boolean finished) {
        return new Job(store, hub, config, jobId, afterSeq, finished);
    }

    /** The stream of one account's jobs, after {@code after}, of {@code workflow} (or any) and in one of {@code statuses} (or any). */
    static EventStream account(EventFeedStore store, EventHub hub, StreamConfig config, String accountId, EventCursor after, String workflow,
            Set<JobStatus> statuses, Predicate<String> mayRead) {
        return new Account(store, hub, config, accountId, after, workflow, statuses, mayRead);
    }

    /** Streams until the stream ends; says how. */
    final Ending run(Emitter out) throws InterruptedException {
        try {
            while (true) {
                try (EventHub.Subscriber live = subscribe()) {
                    if (catchUp(out)) {
                        return Ending.FINISHED;
                    }
                    if (live.dropped() && !live.stopping()) {
                        continue; // the backlog outgrew the buffer while it was read: read on from the store
                    }
                    Ending end = follow(live, out);
                    if (end != null) {
                        return end;
                    }
                }
            }
        } catch (java.io.UncheckedIOException e) {
            return Ending.GONE;
        }
    }

    /** Sends the hub's events until the stream ends; {@code null} if its buffer overflowed before anything reached the client. */
    private Ending follow(EventHub.Subscriber live, Emitter out) throws InterruptedException {
        long quietSince = System.nanoTime();
        while (true) {
            FeedEvent e = live.poll(TICK.compareTo(config.heartbeat()) < 0 ? TICK : config.heartbeat());
            if (e != null) {
                if (isNew(e)) {
                    send(out, e);
                    quietSince = System.nanoTime();
                    if (ends(e)) {
                        return Ending.FINISHED;
                    }
                }
                continue;
            }
            if (live.stopping()) {
                return Ending.STOPPING;
            }
            if (live.dropped()) {
                // Everything it held was sent, in order; what came after is in the store. The
                // client reconnects with its Last-Event-ID, and reads on from there.
                out.comment("dropped: this client fell " + config.buffer() + " events behind; reconnect to resume");
                return Ending.DROPPED;
            }
            if (System.nanoTime() - quietSince >= config.heartbeat().toNanos()) {
                out.comment("heartbeat");
                quietSince = System.nanoTime();
            }
        }
    }

    abstract EventHub.Subscriber subscribe();

    /** Sends what the store holds after the resume point; true when the stream is over. */
    abstract boolean catchUp(Emitter out);

    abstract boolean isNew(FeedEvent e);

    abstract void send(Emitter out, FeedEvent e);

    boolean ends(FeedEvent e) {
        return false;
    }

    static String data(FeedEvent e) {
        JobEvent ev = e.event();
        ObjectNode o = Json.object();
        o.put("seq", ev.seq());
        o.put("job_id", ev.jobId());
        o.put("workflow", e.workflow());
        o.put("type", ev.type());
        o.put("status", e.status() == null ? null : e.status().wire());
        o.set("data", ev.data() == null ? Json.MAPPER.nullNode() : ev.data());
        o.put("at", ev.at().toString());
        return Json.write(o);
    }

    private static final class Job extends EventStream {
        private final String jobId;
        private final boolean finishedWhenAsked;
        private long last;

        Job(EventFeedStore store, EventHub hub, StreamConfig config, String jobId, long afterSeq, boolean finished) {
            super(store, hub, config);
            this.jobId = jobId;
            this.last = afterSeq;
            this.finishedWhenAsked = finished;
        }

        @Override
        EventHub.Subscriber subscribe() {
            return hub.job(jobId);
        }

        @Override
        boolean catchUp(Emitter out) {
            while (true) {
                List<FeedEvent> page = store.jobFeed(jobId, last, StreamConfig.PAGE);
                for (FeedEvent e : page) {
                    send(out, e);
                    if (ends(e)) {
                        return true;
                    }
                }
                if (page.size() < StreamConfig.PAGE) {
                    // A job that had finished before the stream opened has nothing more to say,
                    // even when the client resumed after its last event.
                    return finishedWhenAsked;
                }
            }
        }

        @Override
        boolean isNew(FeedEvent e) {
            return e.event().seq() > last;
        }

        @Override
        void send(Emitter out, FeedEvent e) {
            out.event(Long.toString(e.event().seq()), e.event().type(), data(e));
            last = e.event().seq();
        }

        @Override
        boolean ends(FeedEvent e) {
            return e.terminal();
        }
    }

    private static final class Account extends EventStream {
        private final String accountId;
        private final Predicate<FeedEvent> wants;
        private EventCursor last;

        Account(EventFeedStore store, EventHub hub, StreamConfig config, String accountId, EventCursor after, String workflow, Set<JobStatus> statuses,
                Predicate<String> mayRead) {
            super(store, hub, config);
            this.accountId = accountId;
            this.last = after;
            this.wants = e -> (workflow == null || workflow.equals(e.workflow())) && (statuses.isEmpty() || statuses.contains(e.status()))
                    && mayRead.test(e.workflow());
        }

        @Override
        EventHub.Subscriber subscribe() {
            return hub.account(accountId, wants);
        }

        @Override
        boolean catchUp(Emitter out) {
            while (true) {
                EventFeedStore.FeedPage page = store.feed(last, accountId, StreamConfig.PAGE);
                for (FeedEvent e : page.events()) {
                    if (wants.test(e)) {
                        send(out, e);
                    }
                    last = e.cursor();
                }
                if (page.events().size() < StreamConfig.PAGE) {
                    return false;
                }
            }
        }

        @Override
        boolean isNew(FeedEvent e) {
            return e.cursor().isAfter(last);
        }

        @Override
        void send(Emitter out, FeedEvent e) {
            out.event(e.cursor().wire(), e.event().type(), data(e));
            last = e.cursor();
        }
    }
}
