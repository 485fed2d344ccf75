package dev.mainstay.store.jdbc;

import dev.mainstay.store.DriftSample;
import dev.mainstay.store.LiveEvalStore;
import dev.mainstay.store.ShadowRun;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Shadow runs and drift samples, on any dialect. A shadow row is inserted by the live job's
 * finishing transition ({@link #sampled}, in that transaction), then filled in by the sweep.
 */
final class JdbcLiveEvals implements LiveEvalStore {
    /** Error codes of a stage that ended on its output rules or confidence gate. */
    private static final Set<String> GATE_CODES = Set.of("low_confidence", "invalid_model_output", "validation_failed");

    private final Sql sql;

    JdbcLiveEvals(Sql sql) {
        this.sql = sql;
    }

    /** Writes the sample a finishing transition carries; a job already sampled keeps its row. */
    void sampled(Connection c, ShadowRun run) throws SQLException {
        sql.later(c, "INSERT INTO shadow_runs (live_job_id, workflow, live_version, shadow_version, sampled_at) VALUES (?, ?, ?, ?, ?) "
                + "ON CONFLICT (live_job_id) DO NOTHING", run.liveJobId(), run.workflow(), run.liveVersion(), run.shadowVersion(), run.sampledAt());
    }

    @Override
    public List<ShadowRun> pendingShadowRuns(int limit) {
        return sql.read(c -> sql.list(c, "SELECT * FROM shadow_runs WHERE result IS NULL ORDER BY sampled_at, live_job_id LIMIT ?", this::run, limit));
    }

    @Override
    public void shadowSubmitted(String liveJobId, String shadowJobId) {
        sql.write(c -> sql.update(c, "UPDATE shadow_runs SET shadow_job_id = ? WHERE live_job_id = ? AND shadow_job_id IS NULL", shadowJobId, liveJobId));
    }

    @Override
    public boolean shadowScored(String liveJobId, JsonNode result, Instant at) {
        return sql.write(c -> sql.update(c, "UPDATE shadow_runs SET result = ?, scored_at = ? WHERE live_job_id = ? AND result IS NULL", result, at, liveJobId)) == 1;
    }

    @Override
    public List<ShadowRun> shadowRuns(String workflow, Instant since, int limit) {
        return sql.read(c -> sql.list(c, "SELECT * FROM shadow_runs WHERE workflow = ? AND sampled_at >= ? ORDER BY sampled_at DESC, live_job_id DESC LIMIT ?",
                this::run, workflow, since, limit));
    }

    @Override
    public List<DriftSample> driftSamples(String workflow, String excludedAccount, Instant from, Instant to, int limit) {
        String where = "j.workflow = ? AND j.account_id <> ? AND j.created_at >= ? AND j.created_at < ? "
                + "AND j.status IN ('completed', 'partially_completed', 'degraded', 'failed', 'cancelled', 'waiting_for_review')";
        return sql.read(c -> {
            record Row(String id, int version, String status, String resultType, JsonNode result, JsonNode provenance, boolean reviewed, Instant createdAt) {
            }
            List<Row> jobs = sql.list(c, "SELECT j.id, j.workflow_version, j.status, j.result_type, j.result, j.provenance, j.created_at, "
                            + "EXISTS (SELECT 1 FROM reviews r WHERE r.job_id = j.id) AS reviewed FROM jobs j WHERE " + where
                            + " ORDER BY j.created_at DESC, j.id DESC LIMIT ?",
                    rs -> new Row(rs.getString("id"), rs.getInt("workflow_version"), rs.getString("status"), rs.getString("result_type"), Sql.json(rs, "result"),
                            Sql.json(rs, "provenance"), rs.getBoolean("reviewed"), sql.instant(rs, "created_at")),
                    workflow, excludedAccount, from, to, limit);
            // Each job's stage records: how its output contract fared, stage by stage.
            Map<String, int[]> stages = new HashMap<>(); // job id -> {model stages, first-pass stages, gate failures}
            for (Object[] s : sql.list(c, "SELECT s.job_id, s.provenance, s.error_code FROM job_stages s JOIN jobs j ON j.id = s.job_id WHERE " + where,
                    rs -> new Object[] {rs.getString("job_id"), Sql.json(rs, "provenance"), rs.getString("error_code")}, workflow, excludedAccount, from, to)) {
                int[] n = stages.computeIfAbsent((String) s[0], k -> new int[3]);
                JsonNode provenance = (JsonNode) s[1];
                String validation = provenance == null ? null : provenance.path("validation").asString(null);
                if (validation != null) {
                    n[0]++;
                    if (validation.equals("passed")) {
                        n[1]++;
                    }
                }
                if (s[2] != null && GATE_CODES.contains((String) s[2])) {
                    n[2]++;
                }
            }
            List<DriftSample> out = new ArrayList<>(jobs.size());
            for (Row j : jobs) {
                int[] n = stages.getOrDefault(j.id(), new int[3]);
                List<String> path = new ArrayList<>();
                if (j.provenance() != null) {
                    j.provenance().path("fallback_path").forEach(e -> path.add(e.asString()));
                }
                out.add(new DriftSample(j.id(), j.version(), j.status(), j.resultType(), j.result(), path, n[0] > 0 && n[1] == n[0], n[2] > 0, n[0],
                        j.reviewed(), j.createdAt()));
            }
            return out;
        });
    }

    private ShadowRun run(ResultSet rs) throws SQLException {
        return new ShadowRun(rs.getString("live_job_id"), rs.getString("workflow"), rs.getInt("live_version"), rs.getInt("shadow_version"),
                sql.instant(rs, "sampled_at"), rs.getString("shadow_job_id"), Sql.json(rs, "result"),
                rs.getObject("scored_at") == null ? null : sql.instant(rs, "scored_at"));
    }
}
