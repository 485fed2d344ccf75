package dev.mainstay.server.webhooks;

import dev.mainstay.Json;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.InboundStore;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.Store;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the wait of callback stages whose callback did not come in time: each such job goes back to
 * the queue, where its stage finds the token expired and fails as a tool failure (then the stage's
 * optional flag or the job's dead letter decide, as for any tool that did not answer). Any node may
 * sweep; the job's guarded transition lets one of them win.
 */
public final class CallbackTimeouts implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CallbackTimeouts.class);
    static final Duration POLL = Duration.ofSeconds(1);

    private final Store store;
    private final Clock clock;
    private volatile boolean stopping;
    private Thread loop;

    public CallbackTimeouts(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public synchronized void start() {
        loop = Thread.ofPlatform().name("mainstay-callback-timeouts").daemon().start(this::run);
    }

    private void run() {
        while (!stopping) {
            try {
                sweep();
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!stopping) {
                    LOG.warn("callbacks: the sweep of expired callbacks failed; trying again", e);
                }
            }
        }
    }

    /** Sends back to the queue every job whose callback is overdue; returns how many. */
    int sweep() {
        Instant now = clock.instant();
        int moved = 0;
        for (InboundStore.CallbackToken t : store.expiredCallbacks(now, 100)) {
            boolean applied = store.apply(JobTransition.to(t.jobId(), JobStatus.QUEUED, now).from(JobStatus.WAITING_FOR_TOOL).nextRunAt(now).releaseLease()
                    .event("callback_timed_out", Json.object().put("stage", t.stageId()).put("index", t.stageIndex()).put("due", t.expiresAt().toString()))
                    .build());
            if (applied) {
                moved++;
                LOG.info("callbacks: job {} waited past {} for the callback of stage {}; it goes on without it", t.jobId(), t.expiresAt(), t.stageId());
            }
        }
        return moved;
    }

    @Override
    public void close() {
        stopping = true;
        Thread t;
        synchronized (this) {
            t = loop;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
