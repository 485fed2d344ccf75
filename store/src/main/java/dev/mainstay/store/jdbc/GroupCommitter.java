package dev.mainstay.store.jdbc;

import dev.mainstay.store.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer of a JDBC store. Callers hand it units of work; it runs every unit that is waiting in
 * one transaction and commits once. Units run back to back, their {@link Deferred} writes sent as
 * one batch per statement before the commit; when one unit fails, the transaction is rolled back
 * and the units run again each inside its own savepoint, so one failing unit does not undo the
 * others. Under load many workers' state changes share one commit; when idle a lone change
 * commits at once, so batching adds no latency. What the units asked to follow the commit
 * ({@link Deferred#afterCommit}) runs on this thread once it has succeeded.
 *
 * <p>Two kinds of failure are retried because they are known to have changed nothing: a unit that
 * lost a deadlock or a serialization conflict (SQLState class 40) runs again in the next
 * transaction, after this one has released its locks; and a batch whose connection died before its
 * commit runs once more on a fresh connection. A connection lost <em>during</em> the commit is not
 * retried: the writes may or may not have landed, and the callers are told exactly that.
 *
 * <p>Shared by the dialects of the store module; not an API.
 */
public final class GroupCommitter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);
    /** Most units in one transaction unless the dialect asks for fewer. */
    public static final int DEFAULT_MAX_BATCH = 512;
    /** How often a unit may lose a deadlock or serialization conflict before its caller is told. */
    static final int MAX_ATTEMPTS = 3;

    /** One unit of work on the writer connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Where the writer gets the connection for each batch, and where it puts it back. */
    public interface Connections {
        /** A connection with auto-commit off for the next batch. */
        Connection borrow() throws SQLException;

        /** Takes back the connection of a batch; {@code broken} when it proved unusable. */
        void giveBack(Connection connection, boolean broken);

        /** Called once when the committer closes. */
        default void close() {
        }

        /** One connection for the committer's whole life: the single writer of a SQLite file. */
        static Connections dedicated(Connection connection) throws SQLException {
            connection.setAutoCommit(false);
            return new Connections() {
                @Override
                public Connection borrow() {
                    return connection;
                }

                @Override
                public void giveBack(Connection c, boolean broken) {
                    // kept for the next batch
                }

                @Override
                public void close() {
                    try {
                        connection.close();
                    } catch (SQLException e) {
                        LOG.warn("closing the writer connection failed", e);
                    }
                }
            };
        }
    }

    private record Pending<T>(Work<T> work, CompletableFuture<T> result, int attempts) {
        void finish(Object value) {
            @SuppressWarnings("unchecked")
            T t = (T) value;
            result.complete(t);
        }

        Pending<T> again() {
            return new Pending<>(work, result, attempts + 1);
        }
    }

    /** How one transaction over a batch ended. */
    private record Attempt(boolean lostBeforeCommit, boolean broken, List<Pending<?>> deferred, SQLException lost) {
    }

    private final String name;
    private final Connections connections;
    private final int maxBatch;
    private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final AtomicLong commits = new AtomicLong();
    /** The writes the units of the running transaction deferred; only the writer thread touches it. */
    private final Deferred deferred = new Deferred();
    private volatile boolean closed;

    /**
     * Starts the writer thread.
     *
     * @param name what the store is, for the thread name and messages ({@code sqlite}, {@code postgres})
     * @param maxBatch most units in one transaction
     */
    public GroupCommitter(String name, Connections connections, int maxBatch) {
        this(name, connections, maxBatch, JDBC_SAVEPOINTS);
    }

    /** How each unit of a batch is set apart, so that one failing unit does not undo the others. */
    public interface Savepoints {
        Object mark(Connection c) throws SQLException;

        void release(Connection c, Object mark) throws SQLException;

        void rollback(Connection c, Object mark) throws SQLException;
    }

    /** The driver's own savepoints. */
    public static final Savepoints JDBC_SAVEPOINTS = new Savepoints() {
        @Override
        public Object mark(Connection c) throws SQLException {
            return c.setSavepoint();
        }

        @Override
        public void release(Connection c, Object mark) throws SQLException {
            c.releaseSavepoint((Savepoint) mark);
        }

        @Override
        public void rollback(Connection c, Object mark) throws SQLException {
            c.rollback((Savepoint) mark);
        }
    };

    private final Savepoints savepoints;

    /** @param savepoints how units are set apart within a batch */
    public GroupCommitter(String name, Connections connections, int maxBatch, Savepoints savepoints) {
        this.savepoints = savepoints;
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        this.name = name;
        this.connections = connections;
        this.maxBatch = maxBatch;
        this.writer = Thread.ofPlatform().name("mainstay-" + name + "-writer").daemon(true).start(this::loop);
    }

    /**
     * Runs {@code work} in the next group transaction and returns once that transaction is
     * committed. Waits through interrupts (the write is already queued and its outcome must be
     * known), then restores the interrupt flag.
     */
    public <T> T execute(Work<T> work) {
        if (closed) {
            throw new StoreException("the " + name + " store is closed");
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        queue.add(new Pending<>(work, result, 1));
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

    /** Transactions committed since start. */
    public long commits() {
        return commits.get();
    }

    private void loop() {
        List<Pending<?>> batch = new ArrayList<>(maxBatch);
        while (true) {
            try {
                Pending<?> first = queue.take();
                if (first.work() == null) {
                    return; // poison pill from close()
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                boolean stop = batch.removeIf(p -> p.work() == null);
                List<Pending<?>> todo = batch;
                while (!todo.isEmpty()) {
                    todo = runBatch(todo);
                }
                if (stop) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // Indicates a bug here. Nobody may be left waiting (completing a completed unit
                // changes nothing), and the writer must keep writing.
                LOG.error("{} writer: unexpected failure. Indicates a bug.", name, e);
                failAll(batch, new StoreException("the " + name + " writer failed unexpectedly: " + e.getMessage(), e));
            } finally {
                batch.clear();
            }
        }
    }

    /** Runs one batch to its end; returns the units to run again in a new transaction. */
    private List<Pending<?>> runBatch(List<Pending<?>> batch) {
        Object[] results = new Object[batch.size()];
        Throwable[] failures = new Throwable[batch.size()];
        for (int round = 1; ; round++) {
            Connection connection;
            try {
                connection = connections.borrow();
            } catch (SQLException | RuntimeException e) {
                failAll(batch, new StoreException("no " + name + " connection for " + batch.size() + " writes: " + e.getMessage(), e));
                return List.of();
            }
            Attempt attempt;
            try {
                attempt = attempt(connection, batch, results, failures);
            } catch (Error e) {
                // A unit broke the JVM's rules (out of memory, stack overflow): the transaction's
                // state is unknown, so it is abandoned with its connection and nobody is left waiting.
                try {
                    connection.rollback();
                } catch (SQLException | RuntimeException rollback) {
                    e.addSuppressed(rollback);
                }
                connections.giveBack(connection, true);
                failAll(batch, new StoreException("the " + name + " writer failed; none of " + batch.size() + " writes was applied: " + e, e));
                return List.of();
            }
            connections.giveBack(connection, attempt.broken());
            if (attempt.lostBeforeCommit()) {
                if (round == 1) {
                    // Nothing was committed: the server rolled the transaction back with the connection.
                    LOG.warn("{} writer: the connection failed before the commit of {} writes ({}); running them again on a fresh connection",
                            name, batch.size(), attempt.lost().getMessage());
                    Arrays.fill(results, null);
                    Arrays.fill(failures, null);
                    continue;
                }
                failAll(batch, new StoreException("the " + name + " connection failed twice before " + batch.size()
                        + " writes could commit; none was applied: " + attempt.lost().getMessage(), attempt.lost()));
                return List.of();
            }
            return attempt.deferred();
        }
    }

    private Attempt attempt(Connection connection, List<Pending<?>> batch, Object[] results, Throwable[] failures) {
        if (batch.size() > 1) {
            Attempt together = together(connection, batch, results);
            if (together != null) {
                return together;
            }
            // A unit failed, which undid the whole transaction: run the units again apart, so that
            // only the failing one fails.
            Arrays.fill(results, null);
        }
        return apart(connection, batch, results, failures);
    }

    /**
     * Runs the units one after another in one transaction, with no savepoints between them, and
     * their deferred writes as one batch per statement at the end; the common case, when no unit
     * fails. Returns null when a unit (or the deferred writes) failed: the transaction is rolled
     * back and nothing of it remains.
     */
    private Attempt together(Connection connection, List<Pending<?>> batch, Object[] results) {
        List<Runnable> after;
        deferred.install();
        try {
            for (int i = 0; i < batch.size(); i++) {
                results[i] = batch.get(i).work().run(connection);
            }
            after = deferred.takeAfterCommit();
            deferred.send(connection);
        } catch (SQLException | RuntimeException e) {
            return rollBackAll(connection, e); // null: the connection is fine, run the units apart
        } finally {
            deferred.discard();
            deferred.uninstall();
        }
        return commit(connection, batch, results, new Throwable[batch.size()], new boolean[batch.size()], after);
    }

    /**
     * Runs each unit inside its own savepoint (when there are several), its deferred rows with it;
     * the writes kept for the end of the group go out after the last unit.
     */
    private Attempt apart(Connection connection, List<Pending<?>> batch, Object[] results, Throwable[] failures) {
        boolean marked = batch.size() > 1;
        boolean[] retry = new boolean[batch.size()];
        List<Runnable> after;
        deferred.install();
        try {
            for (int i = 0; i < batch.size(); i++) {
                Pending<?> p = batch.get(i);
                Object sp = null;
                Deferred.Mark mark = deferred.mark();
                try {
                    sp = marked ? savepoints.mark(connection) : null;
                    results[i] = p.work().run(connection);
                    deferred.sendRows(connection);
                    if (sp != null) {
                        savepoints.release(connection, sp);
                    }
                } catch (SQLException | RuntimeException e) {
                    deferred.rollbackTo(mark);
                    try {
                        if (sp != null) {
                            savepoints.rollback(connection, sp);
                        } else {
                            connection.rollback();
                        }
                    } catch (SQLException rollback) {
                        e.addSuppressed(rollback);
                    }
                    if (!usable(connection)) {
                        return lost(e);
                    }
                    if (conflict(e) && p.attempts() < MAX_ATTEMPTS) {
                        retry[i] = true;
                    } else {
                        failures[i] = e;
                    }
                }
            }
            after = deferred.takeAfterCommit();
            try {
                deferred.sendLast(connection);
            } catch (SQLException | RuntimeException e) {
                return lastWritesFailed(connection, batch, failures, retry, e);
            }
        } finally {
            deferred.discard();
            deferred.uninstall();
        }
        return commit(connection, batch, results, failures, retry, after);
    }

    /**
     * Counters, the audit chain or the notification could not be written after the units ran
     * apart: nothing of the transaction may commit. A conflict runs the units again; anything else
     * fails them.
     */
    private Attempt lastWritesFailed(Connection connection, List<Pending<?>> batch, Throwable[] failures, boolean[] retry, Exception e) {
        Attempt lost = rollBackAll(connection, e);
        if (lost != null) {
            return lost;
        }
        List<Pending<?>> again = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Pending<?> p = batch.get(i);
            if (failures[i] != null) {
                fail(p, failures[i]);
            } else if (retry[i] || conflict(e) && p.attempts() < MAX_ATTEMPTS) {
                again.add(p.again());
            } else {
                p.result().completeExceptionally(new StoreException("the " + name + " writes of " + batch.size()
                        + " units could not be completed; none was applied: " + e.getMessage(), e));
            }
        }
        return new Attempt(false, false, again, null);
    }

    /** Tells a unit's caller why its unit failed. */
    private void fail(Pending<?> p, Throwable f) {
        p.result().completeExceptionally(f instanceof RuntimeException ? f : new StoreException(name + " write failed: " + f.getMessage(), f));
    }

    /** Commits what the units did, tells each caller its outcome, then runs what was to follow the commit. */
    private Attempt commit(Connection connection, List<Pending<?>> batch, Object[] results, Throwable[] failures, boolean[] retry, List<Runnable> after) {
        List<Pending<?>> deferredUnits = new ArrayList<>();
        try {
            connection.commit();
            commits.incrementAndGet();
        } catch (SQLException e) {
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            boolean lost = !usable(connection);
            LOG.error("{} writer: the commit of {} writes failed", name, batch.size(), e);
            StoreException failure = lost
                    ? new StoreException("the " + name + " connection failed while committing " + batch.size()
                            + " writes: they may or may not have been applied: " + e.getMessage(), e)
                    : new StoreException("the " + name + " commit of " + batch.size() + " writes failed; none was applied: " + e.getMessage(), e);
            for (int i = 0; i < batch.size(); i++) {
                if (retry[i] && !lost) {
                    deferredUnits.add(batch.get(i).again()); // rolled back to its savepoint: not part of the failed commit
                } else {
                    batch.get(i).result().completeExceptionally(failure);
                }
            }
            return new Attempt(false, lost, deferredUnits, null);
        }
        for (int i = 0; i < batch.size(); i++) {
            Pending<?> p = batch.get(i);
            if (retry[i]) {
                deferredUnits.add(p.again());
            } else if (failures[i] != null) {
                fail(p, failures[i]);
            } else {
                p.finish(results[i]);
            }
        }
        for (Runnable action : after) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.warn("{} writer: an action after the commit of {} writes failed", name, batch.size(), e);
            }
        }
        return new Attempt(false, false, deferredUnits, null);
    }

    /** Rolls the whole transaction back; returns the attempt to report when the connection is gone, null when it is usable. */
    private static Attempt rollBackAll(Connection connection, Exception e) {
        try {
            connection.rollback();
        } catch (SQLException rollback) {
            e.addSuppressed(rollback);
        }
        return usable(connection) ? null : lost(e);
    }

    /** The connection died before the commit: nothing was applied, and the batch may run again on a fresh one. */
    private static Attempt lost(Exception e) {
        return new Attempt(true, true, List.of(), e instanceof SQLException s ? s : new SQLException(e.getMessage(), "08006", e));
    }

    private static boolean usable(Connection connection) {
        try {
            return connection.isValid(5);
        } catch (SQLException e) {
            return false;
        }
    }

    /** A deadlock or serialization failure: the unit's statement was undone and may simply run again. */
    private static boolean conflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("40")) {
                return true;
            }
        }
        return false;
    }

    private static void failAll(List<Pending<?>> batch, StoreException failure) {
        for (Pending<?> p : batch) {
            p.result().completeExceptionally(failure);
        }
    }

    @Override
    public void close() {
        closed = true;
        queue.add(new Pending<>(null, new CompletableFuture<>(), 0));
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // A write that slipped in between the closed check and the poison pill would wait forever.
        for (Pending<?> p; (p = queue.poll()) != null; ) {
            if (p.work() != null) {
                p.result().completeExceptionally(new StoreException("the " + name + " store closed before this write ran"));
            }
        }
        connections.close();
    }
}
