package dev.mainstay.store.jdbc;

import dev.mainstay.Json;
import dev.mainstay.store.EvalCaseStore;
import dev.mainstay.store.StoredEvalCase;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** Stored eval cases on any dialect: a row per case, unique by suite and name. */
final class JdbcEvalCases implements EvalCaseStore {
    private final Sql sql;

    JdbcEvalCases(Sql sql) {
        this.sql = sql;
    }

    @Override
    public boolean addEvalCase(StoredEvalCase k) {
        JsonNode tags = Json.MAPPER.valueToTree(k.tags());
        return sql.write(c -> sql.update(c, "INSERT INTO eval_cases (id, suite, name, workflow, workflow_version, job_id, review_id, expect, input, expected, tags, "
                        + "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (suite, name) DO NOTHING",
                k.id(), k.suite(), k.name(), k.workflow(), k.workflowVersion(), k.jobId(), k.reviewId(), k.expect(), k.input(), k.expected(), tags,
                k.createdBy(), k.createdAt())) == 1;
    }

    @Override
    public List<StoredEvalCase> evalCases(String suite, String after, int limit) {
        if (after == null) {
            return sql.read(c -> sql.list(c, "SELECT * FROM eval_cases WHERE suite = ? ORDER BY id LIMIT ?", this::row, suite, limit));
        }
        return sql.read(c -> sql.list(c, "SELECT * FROM eval_cases WHERE suite = ? AND id > ? ORDER BY id LIMIT ?", this::row, suite, after, limit));
    }

    @Override
    public Optional<StoredEvalCase> evalCase(String suite, String name) {
        return sql.read(c -> sql.first(c, "SELECT * FROM eval_cases WHERE suite = ? AND name = ?", this::row, suite, name));
    }

    @Override
    public boolean deleteEvalCase(String suite, String id) {
        return sql.write(c -> sql.update(c, "DELETE FROM eval_cases WHERE suite = ? AND id = ?", suite, id)) == 1;
    }

    private StoredEvalCase row(ResultSet rs) throws SQLException {
        List<String> tags = new ArrayList<>();
        JsonNode t = Sql.json(rs, "tags");
        if (t != null) {
            t.forEach(n -> tags.add(n.asString()));
        }
        return new StoredEvalCase(rs.getString("id"), rs.getString("suite"), rs.getString("name"), rs.getString("workflow"), rs.getInt("workflow_version"),
                rs.getString("job_id"), rs.getString("review_id"), rs.getString("expect"), Sql.json(rs, "input"), Sql.json(rs, "expected"), tags,
                rs.getString("created_by"), sql.instant(rs, "created_at"));
    }
}
