package dev.mainstay.store.sqlite;

import dev.mainstay.store.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of a SQLite database. Callers hand it units of work; it runs every unit that
 * is waiting in one transaction (each inside its own savepoint, so one failing unit does not undo
 * the others) and commits once. Under load many workers' state changes share one fsync; when idle
 * a lone change commits at once, so batching adds no latency.
 */
final class GroupCommitter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);
    static final int MAX_BATCH = 512;

    /** One unit of work on the writer connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private record Pending<T>(Work<T> work, CompletableFuture<T> result) {
        void finish(Object value) {
            @SuppressWarnings("unchecked")
            T t = (T) value;
            result.complete(t);
        }
    }

    private final Connection connection;
    private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final AtomicLong commits = new AtomicLong();
    private volatile boolean closed;

    GroupCommitter(Connection connection) throws SQLException {
        this.connection = connection;
        connection.setAutoCommit(false);
        this.writer = Thread.ofPlatform().name("mainstay-sqlite-writer").daemon(true).start(this::loop);
    }

    /**
     * Runs {@code work} in the next group transaction and returns once that transaction is
     * committed. Waits through interrupts (the write is already queued and its outcome must be
     * known), then restores the interrupt flag.
     */
    <T> T execute(Work<T> work) {
        if (closed) {
            throw new StoreException("the store is closed");
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        queue.add(new Pending<>(work, result));
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new StoreException("write failed: " + cause.getMessage(), cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    long commits() {
        return commits.get();
    }

    private void loop() {
        List<Pending<?>> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            try {
                Pending<?> first = queue.take();
                if (first.work() == null) {
                    return; // poison pill from close()
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                runBatch(batch);
            } catch (InterruptedException e) {
                return;
            } finally {
                batch.clear();
            }
        }
    }

    private void runBatch(List<Pending<?>> batch) {
        Object[] results = new Object[batch.size()];
        Throwable[] failures = new Throwable[batch.size()];
        boolean stop = false;
        for (int i = 0; i < batch.size(); i++) {
            Pending<?> p = batch.get(i);
            if (p.work() == null) {
                stop = true;
                continue;
            }
            Savepoint sp = null;
            try {
                sp = batch.size() > 1 ? connection.setSavepoint() : null;
                results[i] = p.work().run(connection);
                if (sp != null) {
                    connection.releaseSavepoint(sp);
                }
            } catch (SQLException | RuntimeException e) {
                failures[i] = e;
                try {
                    if (sp != null) {
                        connection.rollback(sp);
                    } else {
                        connection.rollback();
                    }
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
            }
        }
        try {
            connection.commit();
            commits.incrementAndGet();
        } catch (SQLException e) {
            LOG.error("group commit of {} writes failed", batch.size(), e);
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            for (Pending<?> p : batch) {
                if (p.work() != null) {
                    p.result().completeExceptionally(new StoreException("commit failed: " + e.getMessage(), e));
                }
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Pending<?> p = batch.get(i);
            if (p.work() == null) {
                continue;
            }
            if (failures[i] != null) {
                Throwable f = failures[i];
                p.result().completeExceptionally(f instanceof RuntimeException ? f : new StoreException(f.getMessage(), f));
            } else {
                p.finish(results[i]);
            }
        }
        if (stop) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        queue.add(new Pending<>(null, new CompletableFuture<>()));
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // A write that slipped in between the closed check and the poison pill would wait forever.
        for (Pending<?> p; (p = queue.poll()) != null; ) {
            if (p.work() != null) {
                p.result().completeExceptionally(new StoreException("the store closed before this write ran"));
            }
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("closing the writer connection failed", e);
        }
    }
}
