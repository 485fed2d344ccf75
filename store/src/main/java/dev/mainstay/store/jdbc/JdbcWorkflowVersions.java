package dev.mainstay.store.jdbc;

import dev.mainstay.store.WorkflowVersionStore;
import java.time.Instant;
import java.util.Optional;

/** Workflow versions, on any dialect: the first content hash of a (name, version) stays on record. */
final class JdbcWorkflowVersions implements WorkflowVersionStore {
    private final Sql sql;

    JdbcWorkflowVersions(Sql sql) {
        this.sql = sql;
    }

    @Override
    public String registerWorkflowVersion(String name, int version, String contentHash, String definition, Instant at) {
        return sql.write(c -> {
            sql.update(c, "INSERT INTO workflow_versions (name, version, content_hash, definition, created_at) VALUES (?, ?, ?, ?, ?) "
                    + "ON CONFLICT (name, version) DO NOTHING", name, version, contentHash, definition, at);
            return sql.first(c, "SELECT content_hash FROM workflow_versions WHERE name = ? AND version = ?", Sql::text, name, version).orElseThrow();
        });
    }

    @Override
    public Optional<String> workflowDefinition(String name, int version) {
        return sql.read(c -> sql.first(c, "SELECT definition FROM workflow_versions WHERE name = ? AND version = ?", Sql::text, name, version));
    }
}
