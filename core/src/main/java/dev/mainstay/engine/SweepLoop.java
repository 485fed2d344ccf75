package dev.mainstay.engine;

import java.time.Duration;
import org.slf4j.Logger;

/**
 * A sweep on a virtual thread of its own: a step at once, then one every period, or sooner when
 * woken. A failed step is logged and the next one tries again. Closing lets a step under way
 * finish: interrupting it would abort its database call mid-way.
 */
final class SweepLoop implements AutoCloseable {
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private final String name;
    private final Duration every;
    private final Runnable step;
    private final Logger log;
    private Thread thread;
    private boolean stopping;

    SweepLoop(String name, Duration every, Runnable step, Logger log) {
        this.name = name;
        this.every = every;
        this.step = step;
        this.log = log;
    }

    synchronized void start() {
        if (thread != null) {
            return;
        }
        stopping = false;
        thread = Thread.ofVirtual().name(name).start(this::run);
    }

    private void run() {
        while (!stopped()) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (!stopped()) {
                    log.warn("{}: the sweep failed; will try again in {}", name, every, e);
                }
            }
            synchronized (this) {
                try {
                    if (!stopping) {
                        wait(every.toMillis());
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private synchronized boolean stopped() {
        return stopping;
    }

    /** Runs the next step now rather than at the end of the period. */
    synchronized void wake() {
        notifyAll();
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
            thread = null;
            stopping = true;
            notifyAll();
        }
        if (t != null) {
            try {
                t.join(STOP_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
