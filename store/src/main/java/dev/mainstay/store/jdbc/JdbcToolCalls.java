package dev.mainstay.store.jdbc;

import dev.mainstay.store.ToolCallStore;
import dev.mainstay.tool.ToolCall;
import dev.mainstay.tool.ToolScope;
import java.util.Optional;

/** Tool stage effects, on any dialect: one row per (job, stage), replaced as the call moves on. */
final class JdbcToolCalls implements ToolCallStore {
    private final Sql sql;

    JdbcToolCalls(Sql sql) {
        this.sql = sql;
    }

    @Override
    public Optional<ToolCall> toolCall(String jobId, String stageId) {
        return sql.read(c -> sql.first(c, "SELECT * FROM tool_calls WHERE job_id = ? AND stage_id = ?", rs -> {
            int status = rs.getInt("http_status");
            Integer httpStatus = rs.wasNull() ? null : status;
            return new ToolCall(rs.getString("job_id"), rs.getString("stage_id"), rs.getString("tool"), ToolScope.fromWire(rs.getString("scope")).orElseThrow(),
                    rs.getString("idempotency_key"), ToolCall.Status.fromWire(rs.getString("status")), Sql.json(rs, "request"), Sql.json(rs, "response"),
                    httpStatus, rs.getString("approved_by"), rs.getString("error"), sql.instant(rs, "updated_at"));
        }, jobId, stageId));
    }

    @Override
    public void recordToolCall(ToolCall call) {
        sql.write(c -> sql.update(c, "INSERT INTO tool_calls (job_id, stage_id, tool, scope, idempotency_key, status, request, response, http_status, approved_by, "
                        + "error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, stage_id) DO UPDATE SET status = excluded.status, "
                        + "request = excluded.request, response = excluded.response, http_status = excluded.http_status, approved_by = excluded.approved_by, "
                        + "error = excluded.error, updated_at = excluded.updated_at",
                call.jobId(), call.stageId(), call.tool(), call.scope().wire(), call.idempotencyKey(), call.status().wire(), call.request(), call.response(),
                call.httpStatus(), call.approvedBy(), call.error(), call.updatedAt()));
    }
}
