package dev.mainstay.store.jdbc;

import dev.mainstay.store.EvalRun;
import dev.mainstay.store.EvalRunCase;
import dev.mainstay.store.EvalRunStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** Eval runs and their cases, on any dialect: a row per run, a row per case filled in as it is submitted and scored. */
final class JdbcEvalRuns implements EvalRunStore {
    private final Sql sql;

    JdbcEvalRuns(Sql sql) {
        this.sql = sql;
    }

    @Override
    public void createEvalRun(EvalRun run, List<String> caseIds) {
        sql.write(c -> {
            sql.update(c, "INSERT INTO eval_runs (id, workflow, version, suite, suite_hash, requested_by, concurrency, status, created_at, finished_at, summary, model_grading) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    run.id(), run.workflow(), run.version(), run.suite(), run.suiteHash(), run.requestedBy(), run.concurrency(), run.status().wire(),
                    run.createdAt(), run.finishedAt(), run.summary(), run.modelGrading() ? 1 : 0);
            List<Object[]> rows = new ArrayList<>();
            for (int i = 0; i < caseIds.size(); i++) {
                rows.add(new Object[] {run.id(), caseIds.get(i), i});
            }
            if (!rows.isEmpty()) {
                sql.batch(c, "INSERT INTO eval_run_cases (run_id, case_id, ordinal) VALUES (?, ?, ?)", rows);
            }
            return null;
        });
    }

    @Override
    public Optional<EvalRun> evalRun(String id) {
        return sql.read(c -> sql.first(c, "SELECT * FROM eval_runs WHERE id = ?", this::run, id));
    }

    @Override
    public List<EvalRunCase> evalRunCases(String runId) {
        return sql.read(c -> sql.list(c, "SELECT * FROM eval_run_cases WHERE run_id = ? ORDER BY ordinal",
                rs -> new EvalRunCase(rs.getString("run_id"), rs.getString("case_id"), rs.getInt("ordinal"), rs.getString("job_id"), Sql.json(rs, "result")),
                runId));
    }

    @Override
    public List<EvalRun> runningEvalRuns() {
        return sql.read(c -> sql.list(c, "SELECT * FROM eval_runs WHERE status = ? ORDER BY created_at, id", this::run, EvalRun.Status.RUNNING.wire()));
    }

    @Override
    public List<EvalRun> finishedEvalRuns(String workflow, int limit) {
        if (workflow == null) {
            return sql.read(c -> sql.list(c, "SELECT * FROM eval_runs WHERE status = ? ORDER BY finished_at, id LIMIT ?", this::run,
                    EvalRun.Status.COMPLETED.wire(), limit));
        }
        return sql.read(c -> sql.list(c, "SELECT * FROM eval_runs WHERE status = ? AND workflow = ? ORDER BY finished_at, id LIMIT ?", this::run,
                EvalRun.Status.COMPLETED.wire(), workflow, limit));
    }

    @Override
    public void evalCaseSubmitted(String runId, String caseId, String jobId) {
        sql.write(c -> sql.update(c, "UPDATE eval_run_cases SET job_id = ? WHERE run_id = ? AND case_id = ? AND job_id IS NULL", jobId, runId, caseId));
    }

    @Override
    public boolean evalCaseScored(String runId, String caseId, JsonNode result) {
        return sql.write(c -> sql.update(c, "UPDATE eval_run_cases SET result = ? WHERE run_id = ? AND case_id = ? AND result IS NULL", result, runId, caseId)) == 1;
    }

    @Override
    public boolean finishEvalRun(String runId, JsonNode summary, Instant at) {
        return sql.write(c -> sql.update(c, "UPDATE eval_runs SET status = ?, summary = ?, finished_at = ? WHERE id = ? AND status = ?",
                EvalRun.Status.COMPLETED.wire(), summary, at, runId, EvalRun.Status.RUNNING.wire())) == 1;
    }

    @Override
    public List<EvalRunTally> evalRunTallies() {
        // Two runs of one group may finish at the same instant: the later id (ids sort by creation) is the latest.
        List<EvalRunTally> rows = sql.read(c -> sql.list(c, "SELECT r.*, t.n FROM eval_runs r JOIN (SELECT workflow, version, suite, COUNT(*) AS n, "
                        + "MAX(finished_at) AS last FROM eval_runs WHERE status = ? GROUP BY workflow, version, suite) t "
                        + "ON r.workflow = t.workflow AND r.version = t.version AND r.suite = t.suite AND r.finished_at = t.last "
                        + "WHERE r.status = ? ORDER BY r.workflow, r.version, r.suite, r.id",
                rs -> new EvalRunTally(rs.getString("workflow"), rs.getInt("version"), rs.getString("suite"), rs.getLong("n"), run(rs)),
                EvalRun.Status.COMPLETED.wire(), EvalRun.Status.COMPLETED.wire()));
        List<EvalRunTally> out = new ArrayList<>();
        for (EvalRunTally t : rows) {
            if (!out.isEmpty() && out.getLast().workflow().equals(t.workflow()) && out.getLast().version() == t.version() && out.getLast().suite().equals(t.suite())) {
                out.set(out.size() - 1, t);
            } else {
                out.add(t);
            }
        }
        return out;
    }

    private EvalRun run(ResultSet rs) throws SQLException {
        return new EvalRun(rs.getString("id"), rs.getString("workflow"), rs.getInt("version"), rs.getString("suite"), rs.getString("suite_hash"),
                rs.getString("requested_by"), rs.getInt("concurrency"), EvalRun.Status.fromWire(rs.getString("status")), sql.instant(rs, "created_at"),
                rs.getObject("finished_at") == null ? null : sql.instant(rs, "finished_at"), Sql.json(rs, "summary"),
                rs.getInt("model_grading") == 1);
    }
}
