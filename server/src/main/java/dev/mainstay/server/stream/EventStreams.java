package dev.mainstay.server.stream;

import dev.mainstay.job.EventCursor;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.EventFeedStore;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live event streams of a node as Server-Sent Events: {@code GET /v1/jobs/{id}/events} and
 * {@code GET /v1/events} with {@code Accept: text/event-stream}. Each event goes out as
 * {@code id:} (the job event's sequence number, or the account stream's cursor), {@code event:}
 * (its type) and {@code data:} (the event as JSON). The HTTP resources check the key and the
 * resume point, ask {@link #admit} for a slot and then hand the response here.
 */
public final class EventStreams implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventStreams.class);
    private static final io.helidon.http.HeaderName LAST_EVENT_ID = HeaderNames.create("Last-Event-ID");

    private final EventFeedStore store;
    private final StreamConfig config;
    private final EventHub hub;
    private final StreamSlots slots;

    public EventStreams(EventFeedStore store, StreamConfig config) {
        this.store = store;
        this.config = config;
        this.hub = new EventHub(store, config);
        this.slots = new StreamSlots(config.perAccount(), config.perNode());
    }

    /** Starts following new events; streams opened before would only read the store. */
    public void start() {
        hub.start();
    }

    public StreamConfig config() {
        return config;
    }

    /** Whether a request asks for an event stream rather than a JSON document. */
    public static boolean wantsStream(ServerRequest req) {
        for (String accept : req.headers().all(HeaderNames.ACCEPT, List::of)) {
            if (accept.toLowerCase(Locale.ROOT).contains("text/event-stream")) {
                return true;
            }
        }
        return false;
    }

    /** The client's resume point: {@code Last-Event-ID} (what a browser sends on reconnect) wins over {@code ?after=}. */
    public static Optional<String> resumePoint(ServerRequest req) {
        Optional<String> header = req.headers().first(LAST_EVENT_ID).map(String::strip).filter(s -> !s.isEmpty());
        return header.isPresent() ? header : req.query().first("after").asOptional();
    }

    /** A job event's sequence number as a resume point of a job stream, if {@code text} is one. */
    public static Optional<Long> sequence(String text) {
        try {
            long seq = Long.parseLong(text.strip());
            return seq >= 0 ? Optional.of(seq) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** An account stream's cursor as a resume point, if {@code text} is one. */
    public static Optional<EventCursor> cursor(String text) {
        return EventCursor.parse(text);
    }

    /** Whether one more stream of {@code accountId} may open. */
    public sealed interface Admission {
    }

    /** It may: the slot is held until the stream served with it ends. */
    public static final class Admitted implements Admission {
        private final StreamSlots.Slot slot;

        private Admitted(StreamSlots.Slot slot) {
            this.slot = slot;
        }
    }

    /**
     * It may not.
     *
     * @param accountFull true when the account holds its cap of open streams ({@code 429}); false
     *     when the node holds its own ({@code 503})
     * @param open how many streams the account (or the node) holds open
     * @param cap the cap
     */
    public record Refused(boolean accountFull, int open, int cap, Duration retryAfter) implements Admission {
    }

    public Admission admit(String accountId) {
        StreamSlots.Result r = slots.acquire(accountId);
        if (r.slot().isPresent()) {
            return new Admitted(r.slot().get());
        }
        return switch (r.refusal().orElseThrow()) {
            case StreamSlots.Refusal.AccountFull full -> new Refused(true, full.open(), config.perAccount(), Duration.ofSeconds(5));
            case StreamSlots.Refusal.NodeFull full -> new Refused(false, full.open(), config.perNode(), Duration.ofSeconds(5));
        };
    }

    /** Streams one job's events after {@code afterSeq}; returns when the stream ends. */
    public void serveJob(Admitted admitted, ServerResponse res, String jobId, long afterSeq, boolean finished) {
        serve(admitted, res, EventStream.job(store, hub, config, jobId, afterSeq, finished), "job " + jobId);
    }

    /**
     * Streams one account's events after {@code after} (from the newest on when {@code null}),
     * filtered to {@code workflow} and {@code statuses} when given, and to the workflows
     * {@code mayRead} accepts.
     */
    public void serveAccount(Admitted admitted, ServerResponse res, String accountId, EventCursor after, String workflow, Set<JobStatus> statuses,
            Predicate<String> mayRead) {
        EventCursor from = after == null ? store.feedHead() : after;
        serve(admitted, res, EventStream.account(store, hub, config, accountId, from, workflow, statuses, mayRead), "account " + accountId);
    }

    /**
     * Watches job {@code jobId} for new events on the node's one reader of the event feed (woken on
     * this node at once, on another through the store's wake-ups, else by the hub's own slow poll),
     * holding {@code admitted}'s slot until closed. For a page that shows the job as it stands
     * rather than its events: it reads the job again when the watch says something happened.
     */
    public JobWatch watch(Admitted admitted, String jobId) {
        return new JobWatch(admitted.slot, jobId);
    }

    /** A watch of one job's new events; see {@link #watch}. */
    public final class JobWatch implements AutoCloseable {
        private final StreamSlots.Slot slot;
        private final String jobId;
        private EventHub.Subscriber live;

        private JobWatch(StreamSlots.Slot slot, String jobId) {
            this.slot = slot;
            this.jobId = jobId;
            this.live = hub.job(jobId);
        }

        /**
         * Waits up to {@code wait} for the job's next events and takes every one that came; true
         * when there were some, or when the watch fell behind and may have missed some (then it
         * follows anew), so the caller reads the job again.
         */
        public boolean changed(Duration wait) throws InterruptedException {
            if (live.poll(wait) == null) {
                if (!live.dropped() || live.stopping()) {
                    return false;
                }
            }
            while (live.poll(Duration.ZERO) != null) {
                // Taken: the caller reads the job once for all of them.
            }
            if (live.dropped() && !live.stopping()) {
                live.close();
                live = hub.job(jobId);
            }
            return true;
        }

        /** Whether the node is stopping: the watch sees nothing more, and its client should reconnect. */
        public boolean stopping() {
            return live.stopping();
        }

        @Override
        public void close() {
            try {
                live.close();
            } finally {
                slot.close();
            }
        }
    }

    /** Whether job {@code jobId} has no event after {@code afterSeq}. */
    public boolean nothingAfter(String jobId, long afterSeq) {
        return store.jobFeed(jobId, afterSeq, 1).isEmpty();
    }

    private void serve(Admitted admitted, ServerResponse res, EventStream stream, String what) {
        try (StreamSlots.Slot slot = admitted.slot) {
            res.header(HeaderNames.CACHE_CONTROL, "no-store");
            res.header("X-Content-Type-Options", "nosniff");
            // Proxies such as nginx would otherwise hold events back in their buffers.
            res.header("X-Accel-Buffering", "no");
            res.header(HeaderValues.CONTENT_TYPE_EVENT_STREAM);
            try (SseSink sink = res.sink(SseSink.TYPE)) {
                Emitter out = new SinkEmitter(sink);
                sink.emit(SseEvent.builder().comment("mainstay events of " + what).build());
                EventStream.Ending end = stream.run(out);
                LOG.debug("stream of {} ended: {}", what, end);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (UncheckedIOException | io.helidon.webserver.ServerConnectionException e) {
                LOG.debug("stream of {} ended: the client went away", what);
            }
        }
    }

    /** How many streams the node holds open now. */
    public int open() {
        return slots.total();
    }

    @Override
    public void close() {
        hub.close();
    }

    private record SinkEmitter(SseSink sink) implements Emitter {
        @Override
        public void event(String id, String type, String data) {
            emit(SseEvent.builder().id(id).name(type).data(data).build());
        }

        @Override
        public void comment(String text) {
            emit(SseEvent.builder().comment(text).build());
        }

        private void emit(SseEvent e) {
            try {
                sink.emit(e);
            } catch (io.helidon.webserver.ServerConnectionException ex) {
                throw new UncheckedIOException(new IOException("the client went away", ex));
            }
        }
    }
}
