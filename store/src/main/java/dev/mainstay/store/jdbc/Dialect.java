package dev.mainstay.store.jdbc;

import dev.mainstay.job.Job;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;

/**
 * What differs between the databases the store runs on, and nothing else: every feature's
 * statements, the fairness of claims, the order in which locks are taken, what a transition writes
 * and which limits admit a job are written once in this package, over a dialect.
 *
 * <p>A dialect owns the connections (the reads, and the one {@link GroupCommitter} of the node that
 * writes), binds and reads the values whose SQL types differ, spells what the databases spell
 * differently, takes the locks that a database shared by several writers needs and tells the node
 * (and its peers) when work became due. A database with a single writer needs no locks, so the
 * locking methods do nothing unless a dialect says otherwise.
 */
public abstract class Dialect {
    private final GroupCommitter writer;
    private final WorkSignal work;
    private final WorkSignal events;
    /** One instance, so that a group that wrote many events runs the callbacks once. */
    private final Runnable fireEvents;

    /**
     * @param writer the node's writer; every write of the store goes through it
     * @param work the callbacks the store's {@code onWork} registers, run by {@link #workDue}
     */
    protected Dialect(GroupCommitter writer, WorkSignal work) {
        this(writer, work, new WorkSignal());
    }

    /** @param events the callbacks the store's {@code onEvents} registers, run by {@link #eventsWritten} or by the dialect */
    protected Dialect(GroupCommitter writer, WorkSignal work, WorkSignal events) {
        this.writer = writer;
        this.work = work;
        this.events = events;
        this.fireEvents = events::fire;
    }

    /** A list of values in a statement, e.g. {@code id IN (?, ?)}: its SQL and the parameters it takes. */
    public record In(String sql, List<Object> args) {
    }

    /**
     * A JSON document already written as text, bound as a {@code JsonNode} would be: one
     * transition writes the same output and provenance into two rows, serialised once.
     */
    public record JsonText(String json) {
    }

    final <T> T write(GroupCommitter.Work<T> unit) {
        return writer.execute(unit);
    }

    final void reportTo(dev.mainstay.metrics.StoreMetrics metrics) {
        writer.reportTo(metrics);
    }

    final long commits() {
        return writer.commits();
    }

    final void onWork(Runnable wake) {
        work.add(wake);
    }

    final void onEvents(Runnable wake) {
        events.add(wake);
    }

    /** Stops taking writes and waits for those taken; part of {@link #close()}, before the writer's connections close. */
    protected final void closeWriter() {
        writer.close();
    }

    // ---- connections -------------------------------------------------------------------------

    /** Runs {@code work} on a connection that sees every committed write, then gives the connection back. */
    protected abstract <T> T read(GroupCommitter.Work<T> work);

    /** Closes the writer ({@link #closeWriter}) and everything else the dialect opened. */
    protected abstract void close();

    /** See {@link dev.mainstay.store.ErasureStore#reclaim(boolean)}; nothing by default. */
    protected void reclaim(Sql sql, boolean erased) {
    }

    /** See {@link dev.mainstay.store.ErasureStore#rewrite()}; {@link #reclaim reclaim(sql, true)} by default. */
    protected void rewrite(Sql sql) {
        reclaim(sql, true);
    }

    // ---- statements and values ---------------------------------------------------------------

    /** The statement for {@code sql} on {@code c}, its parameters cleared. */
    protected abstract PreparedStatement prepare(Connection c, String sql) throws SQLException;

    /** Called when a statement from {@link #prepare} has served; closes it unless the dialect keeps it. */
    protected abstract void done(PreparedStatement ps) throws SQLException;

    /** Binds a value whose SQL type the databases spell differently: an {@code Instant}, a {@code Boolean}, a JSON document. */
    protected abstract void bind(PreparedStatement ps, int index, Object value) throws SQLException;

    /** A time column's value, or {@code null}. */
    protected abstract Instant instant(ResultSet rs, String column) throws SQLException;

    /** {@code column} is one of {@code values}. */
    protected abstract In in(String column, Collection<String> values);

    /** The UTC day ({@code 2026-11-22}) of a time column. */
    protected abstract String utcDay(String column);

    /** A text expression that compares byte by byte, whatever the database's locale, so ids sort as in Java. */
    protected String bytewise(String expression) {
        return expression;
    }

    // ---- claims ------------------------------------------------------------------------------

    /** A query of the accounts that have due jobs at its one parameter, the current time. */
    protected abstract String dueAccounts();

    /**
     * Leases the jobs {@code ids} (each chosen, and where the database has row locks locked, by this
     * transaction) to {@code owner}: {@code processing}, lease until {@code leaseUntil}, a
     * {@code processing} event each; returns them with their input, in any order.
     */
    protected abstract List<Job> lease(Sql sql, Connection c, List<String> ids, String owner, Instant now, Instant leaseUntil) throws SQLException;

    /** Extends {@code owner}'s leases on {@code ids} to {@code leaseUntil}; returns how many it still holds. */
    protected abstract int extendLeases(Sql sql, Connection c, String owner, List<String> ids, Instant leaseUntil) throws SQLException;

    /**
     * What an earlier run of a node left when it stopped without handing its work back: the lease
     * owners whose unfinished jobs go back to the queue, and reservations to settle besides those of
     * these jobs. See {@link dev.mainstay.store.ClaimStore#recoverLeases}.
     */
    public record Orphans(Collection<String> leaseOwners, Collection<String> reservations) {
    }

    /**
     * What {@code node} takes back when it starts. On a database several nodes share, only its own
     * leases, held under its name: another node's lease is that node's until it expires.
     */
    protected Orphans orphans(String node) {
        return new Orphans(List.of(node), List.of());
    }

    /** Called once what {@link #orphans} named is taken back and committed. */
    protected void orphansRecovered() {
    }

    // ---- transitions -------------------------------------------------------------------------

    /**
     * One statement that runs {@code close} (an {@code UPDATE … RETURNING holds} of a reservation),
     * {@code ledgerInsert} and, when not null, {@code update} (an {@code UPDATE … RETURNING
     * account_id}), taking their parameters in that order, and answers one row: the account (null
     * when the job did not move or there is no {@code update}), how many ledger rows were inserted,
     * and the holds closed (null when none was). Or {@code null} where data cannot be modified
     * inside a {@code WITH}, and they go one by one.
     */
    protected String withLedgerRow(String close, String ledgerInsert, String update) {
        return null;
    }

    // ---- locks and signals -------------------------------------------------------------------

    /** Appended to a {@code SELECT}: lock the rows it reads until the transaction ends. */
    protected String forUpdate() {
        return "";
    }

    /** Appended to a {@code SELECT}: lock the rows it reads, passing over rows another transaction has locked. */
    protected String skipLocked() {
        return "";
    }

    /** Creates the missing rows {@code keys} of {@code table} (other columns at their defaults), so there is a row to lock. */
    protected void lockable(Sql sql, Connection c, String table, String column, SortedSet<String> keys) throws SQLException {
    }

    /**
     * Holds the turn of claims under a default {@code max_concurrent_jobs} until the transaction
     * ends: the accounts it bounds may have no limits row to lock, so claimers on other writers
     * would otherwise count their running jobs at once. Taken before any limits row.
     */
    protected void lockDefaultConcurrency(Connection c) throws SQLException {
    }

    /** Holds the audit chain's head until the transaction ends, so no other writer appends meanwhile. */
    protected void lockAuditChain(Connection c) throws SQLException {
    }

    /**
     * The current write made work due: once its transaction commits, this node's {@code onWork}
     * callbacks run, and every other node's where the database is shared.
     */
    protected abstract void workDue(Connection c) throws SQLException;

    /**
     * The current write wrote job events: once its transaction commits, this node's
     * {@code onEvents} callbacks run. A database shared by several nodes tells them all instead
     * (PostgreSQL: V11's trigger notifies at commit, and every node's listener runs them).
     */
    protected void eventsWritten(Connection c) throws SQLException {
        Deferred.afterCommit(fireEvents);
    }

    /**
     * Where the event feed stops reading, as a SQL expression of transaction ids: events of
     * transactions at or past it may yet be joined by events of an older transaction still running.
     * Empty for a database with one writer, whose sequence numbers are in commit order.
     */
    protected Optional<String> eventHorizon() {
        return Optional.empty();
    }
}
