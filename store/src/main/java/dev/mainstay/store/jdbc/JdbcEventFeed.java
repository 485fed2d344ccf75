package dev.mainstay.store.jdbc;

import dev.mainstay.job.EventCursor;
import dev.mainstay.job.FeedEvent;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.EventFeedStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Every job's events in the order the live streams read them (V11): by the writing transaction,
 * then by sequence number, and only as far as the dialect's horizon, past which a transaction
 * still running could yet add events. SQLite's one writer commits in sequence order, so it has no
 * horizon and its {@code tx} is always 0.
 */
final class JdbcEventFeed implements EventFeedStore {
    private static final String COLUMNS = "SELECT CAST(e.tx AS TEXT) AS tx_text, e.seq, e.job_id, e.type, e.data, e.at, e.status, j.account_id, j.workflow "
            + "FROM job_events e JOIN jobs j ON j.id = e.job_id ";

    private final Sql sql;
    private final Dialect dialect;

    JdbcEventFeed(Sql sql, Dialect dialect) {
        this.sql = sql;
        this.dialect = dialect;
    }

    @Override
    public FeedPage feed(EventCursor after, String accountId, int limit) {
        Optional<String> horizon = dialect.eventHorizon();
        List<Object> args = new java.util.ArrayList<>();
        StringBuilder where = new StringBuilder();
        if (horizon.isPresent()) {
            where.append("WHERE (e.tx, e.seq) > (CAST(? AS xid8), ?) AND e.tx < ").append(horizon.get());
            args.add(Long.toString(after.tx()));
        } else {
            where.append("WHERE e.seq > ?"); // one writer: sequence order is commit order
        }
        args.add(after.seq());
        if (accountId != null) {
            where.append(" AND j.account_id = ?");
            args.add(accountId);
        }
        args.add(limit);
        String query = COLUMNS + where + (horizon.isPresent() ? " ORDER BY e.tx, e.seq LIMIT ?" : " ORDER BY e.seq LIMIT ?");
        return sql.read(c -> {
            List<FeedEvent> events = sql.list(c, query, this::event, args.toArray());
            boolean heldBack = false;
            if (horizon.isPresent() && events.size() < limit) {
                heldBack = sql.first(c, "SELECT 1 FROM job_events WHERE tx >= " + horizon.get() + " LIMIT 1", rs -> true).isPresent();
            }
            return new FeedPage(events, heldBack);
        });
    }

    @Override
    public List<FeedEvent> jobFeed(String jobId, long afterSeq, int limit) {
        return sql.read(c -> sql.list(c, COLUMNS + "WHERE e.job_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?", this::event, jobId, afterSeq, limit));
    }

    @Override
    public EventCursor feedHead() {
        Optional<String> horizon = dialect.eventHorizon();
        return sql.read(c -> sql.first(c, "SELECT CAST(tx AS TEXT) AS tx_text, seq FROM job_events"
                        + horizon.map(h -> " WHERE tx < " + h + " ORDER BY tx DESC, seq DESC").orElse(" ORDER BY seq DESC") + " LIMIT 1",
                rs -> new EventCursor(Long.parseLong(rs.getString("tx_text")), rs.getLong("seq"))).orElse(EventCursor.START));
    }

    @Override
    public void onEvents(Runnable wake) {
        dialect.onEvents(wake);
    }

    private FeedEvent event(ResultSet rs) throws SQLException {
        String status = rs.getString("status");
        JobEvent e = new JobEvent(rs.getLong("seq"), rs.getString("job_id"), rs.getString("type"), Sql.json(rs, "data"), sql.instant(rs, "at"));
        return new FeedEvent(new EventCursor(Long.parseLong(rs.getString("tx_text")), e.seq()), rs.getString("account_id"), rs.getString("workflow"),
                status == null ? null : JobStatus.fromWire(status), e);
    }
}
