package dev.mainstay.store.jdbc;

import dev.mainstay.audit.AuditEvent;
import dev.mainstay.store.WorkflowActivationStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * The active version of each workflow and the gates of candidate versions, on any dialect. Every
 * change of the active version appends its audit event in the same transaction, so the log never
 * misses an activation nor records one that did not happen.
 */
final class JdbcWorkflowActivations implements WorkflowActivationStore {
    private final Sql sql;

    JdbcWorkflowActivations(Sql sql) {
        this.sql = sql;
    }

    @Override
    public Map<String, WorkflowActivation> workflowActivations() {
        return sql.read(c -> {
            Map<String, WorkflowActivation> out = new LinkedHashMap<>();
            for (WorkflowActivation a : sql.list(c, "SELECT * FROM workflow_activations ORDER BY workflow", this::activation)) {
                out.put(a.workflow(), a);
            }
            return out;
        });
    }

    @Override
    public WorkflowActivation firstActivation(String workflow, int version, Instant at, String by, AuditEvent audit) {
        return sql.write(c -> {
            int inserted = sql.update(c, "INSERT INTO workflow_activations (workflow, version, highest_version, changed_at, changed_by) VALUES (?, ?, ?, ?, ?) "
                    + "ON CONFLICT (workflow) DO NOTHING", workflow, version, version, at, by);
            if (inserted == 1) {
                AuditLog.append(c, sql, null, List.of(audit));
            }
            return current(c, workflow).orElseThrow();
        });
    }

    @Override
    public boolean activateWorkflowVersion(String workflow, int version, Integer expectedActive, Instant at, String by, AuditEvent audit) {
        return sql.write(c -> activate(c, workflow, version, expectedActive, at, by, audit));
    }

    private boolean activate(Connection c, String workflow, int version, Integer expectedActive, Instant at, String by, AuditEvent audit) throws SQLException {
        Optional<WorkflowActivation> now = current(c, workflow);
        if (expectedActive != null && (now.isEmpty() || now.get().version() != expectedActive)) {
            return false;
        }
        if (now.isEmpty()) {
            sql.update(c, "INSERT INTO workflow_activations (workflow, version, highest_version, changed_at, changed_by) VALUES (?, ?, ?, ?, ?)",
                    workflow, version, version, at, by);
        } else {
            sql.update(c, "UPDATE workflow_activations SET version = ?, highest_version = ?, changed_at = ?, changed_by = ? WHERE workflow = ?",
                    version, Math.max(version, now.get().highestVersion()), at, by, workflow);
        }
        AuditLog.append(c, sql, null, List.of(audit));
        return true;
    }

    @Override
    public boolean openActivationGate(ActivationGate g) {
        return sql.write(c -> sql.update(c, "INSERT INTO activation_gates (workflow, version, suite, run_id, baseline_version, baseline_run_id, created_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workflow, version) DO NOTHING",
                g.workflow(), g.version(), g.suite(), g.runId(), g.baselineVersion(), g.baselineRunId(), g.createdAt()) == 1);
    }

    @Override
    public Optional<ActivationGate> activationGate(String workflow, int version) {
        return sql.read(c -> sql.first(c, "SELECT * FROM activation_gates WHERE workflow = ? AND version = ?", this::gate, workflow, version));
    }

    @Override
    public List<ActivationGate> activationGates(String workflow) {
        return sql.read(c -> sql.list(c, "SELECT * FROM activation_gates WHERE workflow = ? ORDER BY version", this::gate, workflow));
    }

    @Override
    public List<ActivationGate> undecidedActivationGates() {
        return sql.read(c -> sql.list(c, "SELECT * FROM activation_gates WHERE decision IS NULL ORDER BY created_at, workflow, version", this::gate));
    }

    @Override
    public boolean decideActivationGate(String workflow, int version, boolean activate, JsonNode detail, Instant at, AuditEvent audit) {
        return sql.write(c -> {
            int decided = sql.update(c, "UPDATE activation_gates SET decision = ?, detail = ?, decided_at = ? WHERE workflow = ? AND version = ? AND decision IS NULL",
                    activate ? "activated" : "refused", detail, at, workflow, version);
            if (decided != 1) {
                return false;
            }
            if (activate) {
                activate(c, workflow, version, null, at, audit.actor(), audit);
            } else {
                AuditLog.append(c, sql, null, List.of(audit));
            }
            return true;
        });
    }

    private Optional<WorkflowActivation> current(Connection c, String workflow) throws SQLException {
        return sql.first(c, "SELECT * FROM workflow_activations WHERE workflow = ?", this::activation, workflow);
    }

    private WorkflowActivation activation(ResultSet rs) throws SQLException {
        return new WorkflowActivation(rs.getString("workflow"), rs.getInt("version"), rs.getInt("highest_version"), sql.instant(rs, "changed_at"),
                rs.getString("changed_by"));
    }

    private ActivationGate gate(ResultSet rs) throws SQLException {
        return new ActivationGate(rs.getString("workflow"), rs.getInt("version"), rs.getString("suite"), rs.getString("run_id"), rs.getInt("baseline_version"),
                rs.getString("baseline_run_id"), sql.instant(rs, "created_at"), rs.getString("decision"), Sql.json(rs, "detail"),
                rs.getObject("decided_at") == null ? null : sql.instant(rs, "decided_at"));
    }
}
