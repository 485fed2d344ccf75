package dev.mainstay.store.jdbc;

import dev.mainstay.job.JobStatus;
import dev.mainstay.store.JobTransition;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The callbacks registered through {@link dev.mainstay.store.Store#onWork(Runnable)}, and which
 * writes call them. Shared by the dialects of the store module; not an API.
 */
public final class WorkSignal {
    private static final Logger LOG = LoggerFactory.getLogger(WorkSignal.class);

    private final List<Runnable> wakes = new CopyOnWriteArrayList<>();

    public void add(Runnable wake) {
        wakes.add(wake);
    }

    /** Runs every callback; one that throws does not keep the others from running. */
    public void fire() {
        for (Runnable wake : wakes) {
            try {
                wake.run();
            } catch (RuntimeException e) {
                LOG.warn("a work callback failed", e);
            }
        }
    }

    /** Whether applying {@code t} leaves its job waiting to be claimed, now or at its next run time. */
    public static boolean makesDue(JobTransition t) {
        return t.to() == JobStatus.QUEUED || t.to() == JobStatus.RETRYING;
    }
}
