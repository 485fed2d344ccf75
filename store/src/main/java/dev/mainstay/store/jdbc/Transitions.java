package dev.mainstay.store.jdbc;

import dev.mainstay.Json;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.StageRun;
import dev.mainstay.job.Usage;
import dev.mainstay.limits.Admission;
import dev.mainstay.review.Review;
import dev.mainstay.store.AuditTrail;
import dev.mainstay.store.JobTransition;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Applies a {@link JobTransition}: one guarded {@code UPDATE} of the job, then what commits with it
 * (the stage record, a review to open, the event, the webhook deliveries it emits, the audit
 * records, the account's failure count),
 * all in the caller's transaction. The model calls it carries are recorded first, whether or not
 * the job still moves: they were made and cost what they cost.
 */
final class Transitions {
    private final Sql sql;
    private final Dialect dialect;
    private final JdbcLedger ledger;
    private final JdbcWebhooks webhooks;
    private final JdbcLiveEvals liveEvals;
    private final JdbcStatsFold statsFold;

    Transitions(Sql sql, Dialect dialect, JdbcLedger ledger, JdbcWebhooks webhooks, JdbcLiveEvals liveEvals) {
        this.liveEvals = liveEvals;
        this.sql = sql;
        this.dialect = dialect;
        this.ledger = ledger;
        this.webhooks = webhooks;
        this.statsFold = new JdbcStatsFold(sql, dialect);
    }

    /** Logs an event of a job that is in {@code status} once it is written (the live streams filter and end on it). */
    static void event(Sql sql, Dialect dialect, Connection c, String jobId, String type, JobStatus status, JsonNode data, Instant at) throws SQLException {
        sql.later(c, "INSERT INTO job_events (job_id, type, data, at, status) VALUES (?, ?, ?, ?, ?)", jobId, type, data, at, status.wire());
        dialect.eventsWritten(c);
    }

    /** Applies {@code t} in {@code c}'s transaction; false (and only its charges recorded) when the job is not in a state it applies to. */
    boolean applyIn(Connection c, JobTransition t) throws SQLException {
        if (t.to() == JobStatus.QUEUED && t.from().contains(JobStatus.FAILED)) {
            // A replay: the failed job's counts leave the stats buckets, to come back with its next end.
            statsFold.unfold(c, t.jobId());
        }
        List<Object> args = new ArrayList<>();
        // The result and the provenance usually go into the stage's row as well: written once.
        Object result = json(t.result());
        Object provenance = t.provenance() == null ? null : new Dialect.JsonText(Json.write(t.provenance().toJson()));
        String update = update(t, result, provenance, args);
        String account;
        if (t.charges().size() == 1) {
            // The usual single charge goes with the job update, in one round trip where the database
            // can; its reservation is closed and its ledger row inserted whether or not the job moves.
            account = ledger.record(c, t.charges().getFirst(), t.charges().getFirst().at(), update, args);
        } else {
            ledger.record(c, t.charges());
            account = sql.first(c, update, Sql::text, args.toArray()).orElse(null);
        }
        if (account == null) {
            return false;
        }
        if (t.stageRun() != null) {
            StageRun r = t.stageRun();
            stage(c, r, r.output() == t.result() ? result : r.output(),
                    r.provenance() == null ? null : r.provenance().equals(t.provenance()) ? provenance : r.provenance().toJson());
        }
        if (t.review() != null) {
            Review r = t.review();
            sql.update(c, "INSERT INTO reviews (id, job_id, account_id, workflow, stage_index, stage_id, reason, proposed, provenance, status, on_expiry, "
                            + "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    r.id(), r.jobId(), r.accountId(), r.workflow(), r.stageIndex(), r.stageId(), r.reason(), r.proposed(),
                    r.provenance() == null ? null : r.provenance().toJson(), Review.Status.PENDING.wire(), r.onExpiry().wire(), r.createdAt(), r.expiresAt());
        }
        event(sql, dialect, c, t.jobId(), t.eventType(), t.to(), t.eventData(), t.at());
        // The webhook outbox commits with the transition that emits it, or not at all.
        webhooks.outbox(c, t, account);
        // So is a shadow sample: a live job is sampled once, with the end that it samples.
        if (t.shadow() != null) {
            liveEvals.sampled(c, t.shadow());
        }
        if (t.stageRun() != null || !t.audit().isEmpty()) {
            AuditLog.append(c, sql, t.jobId(), AuditTrail.ofTransition(t, account));
        }
        health(c, t, account);
        if (WorkSignal.makesDue(t)) {
            dialect.workDue(c);
        }
        return true;
    }

    /**
     * The job's guarded {@code UPDATE … RETURNING account_id}; its parameters go to {@code args}.
     * Built with one builder: it runs for every transition on the writer's thread.
     */
    private static String update(JobTransition t, Object result, Object provenance, List<Object> args) {
        StringBuilder sql = new StringBuilder(256).append("UPDATE jobs SET ");
        int mark = sql.length();
        set(sql, mark, args, "status = ?", t.to().wire());
        set(sql, mark, args, "updated_at = ?", t.at());
        set(sql, mark, args, "current_stage = ?", t.currentStage());
        set(sql, mark, args, "stage_attempts = ?", t.stageAttempts());
        set(sql, mark, args, "result = ?", result);
        set(sql, mark, args, "result_type = ?", t.resultType() == null ? null : t.resultType().wire());
        if (t.error() != null) {
            set(sql, mark, args, "error_code = ?", t.error().code().code());
            set(sql, mark, args, "error_message = ?", t.error().message());
            set(sql, mark, args, "error_retryable = ?", t.error().retryable());
        } else if (t.clearError()) {
            add(sql, mark, "error_code = NULL, error_message = NULL, error_retryable = NULL, retry_at = NULL");
        }
        set(sql, mark, args, "next_run_at = ?", t.nextRunAt());
        set(sql, mark, args, "retry_at = ?", t.retryAt());
        set(sql, mark, args, "provenance = ?", provenance);
        if (t.usageDelta() != null) {
            set(sql, mark, args, "input_tokens = input_tokens + ?", t.usageDelta().inputTokens());
            set(sql, mark, args, "output_tokens = output_tokens + ?", t.usageDelta().outputTokens());
            set(sql, mark, args, "cost_micros = cost_micros + ?", t.usageDelta().costMicros());
        }
        set(sql, mark, args, "dead_letter = ?", t.deadLetter());
        if (t.releaseLease()) {
            add(sql, mark, "lease_owner = NULL, lease_expires_at = NULL");
        }
        if (t.completedAt() != null) {
            set(sql, mark, args, "completed_at = ?", t.completedAt());
        } else if (!t.to().isTerminal()) {
            add(sql, mark, "completed_at = NULL"); // a replayed job is unfinished again
        }
        set(sql, mark, args, "deadline_at = ?", t.deadlineAt());
        sql.append(" WHERE id = ? AND status IN (");
        boolean first = true;
        for (JobStatus from : t.from()) {
            sql.append(first ? "'" : ", '").append(from.wire()).append('\'');
            first = false;
        }
        sql.append(')');
        args.add(t.jobId());
        if (t.leaseOwner() != null) {
            sql.append(" AND lease_owner = ?");
            args.add(t.leaseOwner());
        }
        return sql.append(" RETURNING account_id").toString();
    }

    private static Object json(JsonNode node) {
        return node == null ? null : new Dialect.JsonText(Json.write(node));
    }

    /** Sets a column when the transition changes it ({@code value} not null). */
    private static void set(StringBuilder sql, int mark, List<Object> args, String assignment, Object value) {
        if (value != null) {
            add(sql, mark, assignment);
            args.add(value);
        }
    }

    /** Appends an assignment after those since {@code mark}, comma-separated. */
    private static void add(StringBuilder sql, int mark, String assignment) {
        if (sql.length() > mark) {
            sql.append(", ");
        }
        sql.append(assignment);
    }

    /** The stage's record; a stage run again (a retry) adds its usage to the earlier attempts'. */
    /** @param output and {@code provenance}: the run's, as a {@code JsonNode} or already written ({@link Dialect.JsonText}) */
    private void stage(Connection c, StageRun r, Object output, Object provenance) throws SQLException {
        Usage u = r.usage() == null ? Usage.ZERO : r.usage();
        JobError e = r.error();
        sql.later(c, "INSERT INTO job_stages (job_id, stage_index, stage_id, status, output, attempts, provenance, input_tokens, output_tokens, cost_micros, "
                        + "error_code, error_message, error_retryable, started_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (job_id, stage_index) DO UPDATE SET status = excluded.status, output = excluded.output, attempts = excluded.attempts, "
                        + "provenance = excluded.provenance, input_tokens = job_stages.input_tokens + excluded.input_tokens, "
                        + "output_tokens = job_stages.output_tokens + excluded.output_tokens, cost_micros = job_stages.cost_micros + excluded.cost_micros, "
                        + "error_code = excluded.error_code, error_message = excluded.error_message, error_retryable = excluded.error_retryable, "
                        + "started_at = excluded.started_at, completed_at = excluded.completed_at",
                r.jobId(), r.index(), r.stageId(), r.status(), output, r.attempts(), provenance,
                u.inputTokens(), u.outputTokens(), u.costMicros(), e == null ? null : e.code().code(), e == null ? null : e.message(),
                e == null ? null : e.retryable(), r.startedAt(), r.completedAt());
    }

    /**
     * Counts an account's jobs that failed upstream in a row, for its cooldown; any finished job
     * resets the count. One atomic upsert, so failures on several nodes at once each count.
     */
    private void health(Connection c, JobTransition t, String account) throws SQLException {
        if (t.to() == JobStatus.FAILED && t.error() != null && Admission.Cooldown.upstream(t.error().code())) {
            sql.later(c, "INSERT INTO account_health (account_id, failures, last_failure_at) VALUES (?, 1, ?) "
                    + "ON CONFLICT (account_id) DO UPDATE SET failures = account_health.failures + 1, last_failure_at = excluded.last_failure_at", account, t.at());
        } else if (t.to() == JobStatus.COMPLETED || t.to() == JobStatus.DEGRADED || t.to() == JobStatus.PARTIALLY_COMPLETED) {
            sql.later(c, "UPDATE account_health SET failures = 0 WHERE failures > 0 AND account_id = ?", account);
        }
    }
}
