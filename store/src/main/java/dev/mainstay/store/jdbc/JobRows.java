package dev.mainstay.store.jdbc;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobError;
import dev.mainstay.job.JobStatus;
import dev.mainstay.job.Provenance;
import dev.mainstay.job.ResultType;
import dev.mainstay.job.Usage;
import dev.mainstay.tracing.TraceContext;
import java.sql.ResultSet;
import java.sql.SQLException;
import tools.jackson.databind.JsonNode;

/** How a job reads back: the row of {@code jobs} joined with its input from {@code payloads}. */
public final class JobRows {
    /**
     * A query of jobs with their input, to be followed by a condition on {@code j}. The join is
     * outer because retention removes a job's input while its row stays; an expired job reads no
     * input even while a kept job shares it.
     */
    public static final String SELECT = "SELECT j.*, p.body AS input_body FROM jobs j LEFT JOIN payloads p ON p.hash = j.input_hash "
            + "AND j.payloads_expired_at IS NULL WHERE ";

    private JobRows() {
    }

    /** The job in the current row, which has the columns of {@code jobs} and {@code input_body}. */
    public static Job job(Sql sql, ResultSet rs) throws SQLException {
        JsonNode provenance = Sql.json(rs, "provenance");
        String resultType = rs.getString("result_type");
        String inputBody = rs.getString("input_body");
        return new Job(
                rs.getString("id"),
                rs.getString("account_id"),
                rs.getString("workflow"),
                rs.getInt("workflow_version"),
                JobStatus.fromWire(rs.getString("status")),
                resultType == null ? null : ResultType.fromWire(resultType),
                inputBody == null ? null : Json.parse(inputBody),
                rs.getString("input_hash"),
                Sql.json(rs, "result"),
                error(rs),
                sql.instant(rs, "retry_at"),
                provenance == null ? null : Provenance.fromJson(provenance),
                usage(rs),
                rs.getInt("current_stage"),
                rs.getInt("stage_attempts"),
                rs.getBoolean("dead_letter"),
                rs.getString("idempotency_key"),
                sql.instant(rs, "created_at"),
                sql.instant(rs, "updated_at"),
                sql.instant(rs, "started_at"),
                sql.instant(rs, "completed_at"),
                sql.instant(rs, "deadline_at"),
                sql.instant(rs, "payloads_expired_at"),
                trace(rs));
    }

    /** The stored trace context ({@code trace_parent}, {@code trace_state}); none for a job submitted untraced. */
    static TraceContext trace(ResultSet rs) throws SQLException {
        String parent = rs.getString("trace_parent");
        return parent == null ? TraceContext.NONE : new TraceContext(parent, rs.getString("trace_state"));
    }

    /** The error columns of a job or stage row ({@code error_code}, {@code error_message}, {@code error_retryable}). */
    static JobError error(ResultSet rs) throws SQLException {
        String code = rs.getString("error_code");
        return code == null ? null
                : new JobError(ErrorCode.fromCode(code).orElse(ErrorCode.INTERNAL), rs.getString("error_message"), rs.getBoolean("error_retryable"));
    }

    /** The usage columns of a job or stage row. */
    static Usage usage(ResultSet rs) throws SQLException {
        return new Usage(rs.getLong("input_tokens"), rs.getLong("output_tokens"), rs.getLong("cost_micros"));
    }
}
