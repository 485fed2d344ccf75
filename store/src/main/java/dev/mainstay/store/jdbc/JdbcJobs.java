package dev.mainstay.store.jdbc;

import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.StageRun;
import dev.mainstay.limits.Admission;
import dev.mainstay.limits.LimitHit;
import dev.mainstay.store.JobStore;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.NewJob;
import dev.mainstay.store.StoreException;
import dev.mainstay.store.SubmitOutcome;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** Submits, transitions and reads of jobs, on any dialect. */
final class JdbcJobs implements JobStore {
    /**
     * The terminal statuses, spelled exactly as the partial index {@code jobs_unfinished} (V1) spells
     * them: SQLite uses a partial index only for a term identical to the index's, and without it
     * every admission check counts the whole jobs table.
     */
    static final String TERMINAL = "'completed', 'partially_completed', 'degraded', 'failed', 'cancelled'";

    private final Sql sql;
    private final Dialect dialect;
    private final JdbcLedger ledger;
    private final Transitions transitions;

    JdbcJobs(Sql sql, Dialect dialect, JdbcLedger ledger, Transitions transitions) {
        this.sql = sql;
        this.dialect = dialect;
        this.ledger = ledger;
        this.transitions = transitions;
    }

    /** A refused submit leaves no key behind (its retry is a new request), and nothing else. */
    @Override
    public SubmitOutcome submit(NewJob job, Admission limits) {
        return sql.write(c -> {
            boolean keyInserted = false;
            if (job.idempotencyKey() != null) {
                // Where several writers race, an insert of the same key on another connection makes
                // this one wait until that transaction ends; then either the key is ours or the
                // winner's row is visible.
                // A key past its window is taken over by this job, as if it had never been sent.
                keyInserted = job.keysFreeBefore() == null
                        ? sql.update(c, "INSERT INTO idempotency_keys (account_id, key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?) "
                                + "ON CONFLICT (account_id, key) DO NOTHING", job.accountId(), job.idempotencyKey(), job.requestHash(), job.id(), job.createdAt()) == 1
                        : sql.update(c, "INSERT INTO idempotency_keys (account_id, key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?) "
                                + "ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash, job_id = excluded.job_id, "
                                + "created_at = excluded.created_at WHERE idempotency_keys.created_at < ?",
                        job.accountId(), job.idempotencyKey(), job.requestHash(), job.id(), job.createdAt(), job.keysFreeBefore()) == 1;
                if (!keyInserted) {
                    return earlier(c, job);
                }
            }
            Optional<LimitHit> refused = ledger.admit(c, limits, job.createdAt());
            if (refused.isPresent()) {
                if (keyInserted) {
                    // A submit of the same key waiting on this row inserts its own once this commits.
                    sql.update(c, "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ?", job.accountId(), job.idempotencyKey());
                }
                return new SubmitOutcome.Refused(refused.get());
            }
            sql.later(c, "INSERT INTO payloads (hash, body) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING", job.inputHash(),
                    job.canonicalInput() != null ? job.canonicalInput() : Json.canonical(job.input()));
            sql.later(c, "INSERT INTO jobs (id, account_id, workflow, workflow_version, status, input_hash, priority, next_run_at, idempotency_key, created_at, "
                            + "updated_at, deadline_at, trace_parent, trace_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    job.id(), job.accountId(), job.workflow(), job.workflowVersion(), JobStatus.QUEUED.wire(), job.inputHash(), job.priority(),
                    job.createdAt(), job.idempotencyKey(), job.createdAt(), job.createdAt(), job.deadlineAt(), job.trace().traceparent(), job.trace().tracestate());
            if (job.subjectDigest() != null) {
                sql.later(c, "INSERT INTO job_subjects (digest, job_id) VALUES (?, ?)", job.subjectDigest(), job.id());
            }
            Transitions.event(sql, dialect, c, job.id(), "submitted", JobStatus.QUEUED, null, job.createdAt());
            AuditLog.append(c, sql, job.id(), job.audit());
            dialect.workDue(c);
            return new SubmitOutcome.Created(job.queued());
        });
    }

    /** What an idempotency key already on record answers: the job it created, or a conflict. */
    private SubmitOutcome earlier(Connection c, NewJob job) throws SQLException {
        Map.Entry<String, String> earlier = sql.first(c, "SELECT request_hash, job_id FROM idempotency_keys WHERE account_id = ? AND key = ?",
                rs -> Map.entry(rs.getString(1), rs.getString(2)), job.accountId(), job.idempotencyKey()).orElseThrow(() ->
                new StoreException("idempotency key " + job.idempotencyKey() + " of account " + job.accountId() + " conflicted but is not there. Indicates a bug."));
        String existing = earlier.getValue();
        if (!earlier.getKey().equals(job.requestHash())) {
            return new SubmitOutcome.Conflict(existing);
        }
        Deferred.flush(c); // the job may have been submitted earlier in this group
        return new SubmitOutcome.Existing(load(c, existing).orElseThrow(() ->
                new StoreException("idempotency key " + job.idempotencyKey() + " points at missing job " + existing + ". Indicates a bug.")));
    }

    @Override
    public boolean apply(JobTransition t) {
        return sql.write(c -> transitions.applyIn(c, t));
    }

    @Override
    public Optional<Job> job(String id) {
        return sql.read(c -> load(c, id));
    }

    private Optional<Job> load(Connection c, String id) throws SQLException {
        return sql.first(c, JobRows.SELECT + "j.id = ?", rs -> JobRows.job(sql, rs), id);
    }

    @Override
    public JobPage jobs(JobQuery q) {
        StringBuilder where = new StringBuilder("1 = 1");
        List<Object> args = new ArrayList<>();
        Sql.and(where, args, "j.account_id = ?", q.accountId());
        Sql.and(where, args, "j.workflow = ?", q.workflow());
        Sql.and(where, args, "j.status = ?", q.status() == null ? null : q.status().wire());
        Sql.and(where, args, "j.dead_letter = ?", q.deadLetter());
        Sql.and(where, args, "j.result_type = ?", q.resultType());
        Sql.and(where, args, "j.error_code = ?", q.errorCode());
        Sql.and(where, args, "j.idempotency_key = ?", q.idempotencyKey());
        Sql.and(where, args, "j.id < ?", q.cursor());
        where.append(" ORDER BY j.id DESC LIMIT ?");
        args.add(q.limit() + 1);
        List<Job> jobs = sql.read(c -> sql.list(c, JobRows.SELECT + where, rs -> JobRows.job(sql, rs), args.toArray()));
        if (jobs.size() > q.limit()) {
            List<Job> page = jobs.subList(0, q.limit());
            return new JobPage(page, Optional.of(page.getLast().id()));
        }
        return new JobPage(jobs, Optional.empty());
    }

    @Override
    public Optional<Job> lastGoodJob(String workflow, int version, String inputHash) {
        return sql.read(c -> sql.first(c, JobRows.SELECT + "j.workflow = ? AND j.workflow_version = ? AND j.input_hash = ? AND j.status = 'completed' "
                + "AND j.result_type = 'full' AND j.payloads_expired_at IS NULL ORDER BY j.completed_at DESC LIMIT 1", rs -> JobRows.job(sql, rs), workflow, version, inputHash));
    }

    @Override
    public List<StageRun> stages(String jobId) {
        return sql.read(c -> sql.list(c, "SELECT * FROM job_stages WHERE job_id = ? ORDER BY stage_index", rs -> {
            JsonNode provenance = Sql.json(rs, "provenance");
            return new StageRun(rs.getString("job_id"), rs.getInt("stage_index"), rs.getString("stage_id"), rs.getString("status"),
                    Sql.json(rs, "output"), rs.getInt("attempts"), provenance == null ? null : Provenance.fromJson(provenance), JobRows.usage(rs),
                    JobRows.error(rs), sql.instant(rs, "started_at"), sql.instant(rs, "completed_at"));
        }, jobId));
    }

    @Override
    public List<JobEvent> events(String jobId, long afterSeq, int limit) {
        return sql.read(c -> sql.list(c, "SELECT * FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                rs -> new JobEvent(rs.getLong("seq"), rs.getString("job_id"), rs.getString("type"), Sql.json(rs, "data"), sql.instant(rs, "at")),
                jobId, afterSeq, limit));
    }

    static String countUnfinishedSql(boolean perAccount) {
        return "SELECT COUNT(*) FROM jobs WHERE status NOT IN (" + TERMINAL + ")" + (perAccount ? " AND account_id = ?" : "");
    }

    @Override
    public long countUnfinished(String accountId) {
        return sql.read(c -> accountId == null
                ? sql.first(c, countUnfinishedSql(false), rs -> rs.getLong(1)).orElseThrow()
                : sql.first(c, countUnfinishedSql(true), rs -> rs.getLong(1), accountId).orElseThrow());
    }
}
