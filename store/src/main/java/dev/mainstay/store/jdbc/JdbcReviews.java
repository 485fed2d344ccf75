package dev.mainstay.store.jdbc;

import dev.mainstay.job.Provenance;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.ReviewStore;
import dev.mainstay.store.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** Reviews, on any dialect. A review is opened by its job's transition ({@link Transitions}). */
final class JdbcReviews implements ReviewStore {
    private final Sql sql;
    private final Transitions transitions;

    JdbcReviews(Sql sql, Transitions transitions) {
        this.sql = sql;
        this.transitions = transitions;
    }

    @Override
    public Optional<Review> review(String id) {
        return sql.read(c -> load(c, "id = ?", id).stream().findFirst());
    }

    @Override
    public List<Review> reviews(ReviewQuery q) {
        StringBuilder where = new StringBuilder("1 = 1");
        List<Object> args = new ArrayList<>();
        Sql.and(where, args, "account_id = ?", q.accountId());
        Sql.and(where, args, "status = ?", q.status() == null ? null : q.status().wire());
        Sql.and(where, args, "workflow = ?", q.workflow());
        Sql.and(where, args, "id < ?", q.cursor());
        where.append(" ORDER BY id DESC LIMIT ?");
        args.add(q.limit());
        return sql.read(c -> load(c, where.toString(), args.toArray()));
    }

    @Override
    public List<Review> expiredReviews(Instant now, int max) {
        return sql.read(c -> load(c, "status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?", now, max));
    }

    @Override
    public boolean decideReview(String reviewId, Review.Status outcome, JsonNode output, String reviewer, String note, Instant at, JobTransition job) {
        return sql.write(c -> {
            if (sql.update(c, "UPDATE reviews SET status = ?, output = ?, reviewer = ?, note = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
                    outcome.wire(), output, reviewer, note, at, reviewId) == 0) {
                return false;
            }
            if (!transitions.applyIn(c, job)) {
                // Throwing rolls this unit back, review decision included.
                throw new StoreException("job " + job.jobId() + " is no longer waiting for review " + reviewId);
            }
            return true;
        });
    }

    @Override
    public int closeReviews(String jobId, String reviewer, Instant at) {
        return sql.write(c -> sql.update(c, "UPDATE reviews SET status = 'rejected', reviewer = ?, note = 'the job was cancelled', decided_at = ? "
                + "WHERE job_id = ? AND status = 'pending'", reviewer, at, jobId));
    }

    private List<Review> load(Connection c, String where, Object... args) throws SQLException {
        return sql.list(c, "SELECT * FROM reviews WHERE " + where, rs -> {
            JsonNode provenance = Sql.json(rs, "provenance");
            return new Review(rs.getString("id"), rs.getString("job_id"), rs.getString("account_id"), rs.getString("workflow"),
                    rs.getInt("stage_index"), rs.getString("stage_id"), rs.getString("reason"), Sql.json(rs, "proposed"),
                    provenance == null ? null : Provenance.fromJson(provenance), Review.Status.fromWire(rs.getString("status")),
                    Review.Decision.fromWire(rs.getString("on_expiry")), Sql.json(rs, "output"), rs.getString("reviewer"), rs.getString("note"),
                    sql.instant(rs, "created_at"), sql.instant(rs, "expires_at"), sql.instant(rs, "decided_at"));
        }, args);
    }
}
