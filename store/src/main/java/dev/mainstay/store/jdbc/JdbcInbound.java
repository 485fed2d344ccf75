package dev.mainstay.store.jdbc;

import dev.mainstay.store.InboundStore;
import dev.mainstay.store.JobTransition;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** Inbound events taken and callback tokens, on any dialect. */
final class JdbcInbound implements InboundStore {
    private final Sql sql;
    private final Transitions transitions;

    JdbcInbound(Sql sql, Transitions transitions) {
        this.sql = sql;
        this.transitions = transitions;
    }

    @Override
    public Optional<String> inboundJob(String source, String webhookId) {
        return sql.read(c -> sql.first(c, "SELECT job_id FROM inbound_events WHERE source = ? AND webhook_id = ?", Sql::text, source, webhookId));
    }

    @Override
    public void recordInbound(String source, String webhookId, String eventType, String jobId, Instant at) {
        sql.write(c -> sql.update(c, "INSERT INTO inbound_events (source, webhook_id, event_type, job_id, received_at) VALUES (?, ?, ?, ?, ?) "
                + "ON CONFLICT (source, webhook_id) DO NOTHING", source, webhookId, eventType, jobId, at));
    }

    @Override
    public void saveCallbackToken(CallbackToken t) {
        sql.write(c -> {
            sql.update(c, "DELETE FROM callback_tokens WHERE job_id = ? AND stage_index = ?", t.jobId(), t.stageIndex());
            return sql.update(c, "INSERT INTO callback_tokens (token_hash, job_id, stage_index, stage_id, expires_at, used_at) VALUES (?, ?, ?, ?, ?, NULL)",
                    t.tokenHash(), t.jobId(), t.stageIndex(), t.stageId(), t.expiresAt());
        });
    }

    @Override
    public Optional<CallbackToken> callbackToken(String tokenHash) {
        return sql.read(c -> sql.first(c, "SELECT * FROM callback_tokens WHERE token_hash = ?", this::token, tokenHash));
    }

    @Override
    public List<CallbackToken> expiredCallbacks(Instant now, int max) {
        return sql.read(c -> sql.list(c, "SELECT t.* FROM callback_tokens t JOIN jobs j ON j.id = t.job_id WHERE t.used_at IS NULL AND t.expires_at <= ? "
                + "AND j.status = 'waiting_for_tool' AND j.lease_owner IS NULL ORDER BY t.expires_at LIMIT ?", this::token, now, max));
    }

    private CallbackToken token(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new CallbackToken(rs.getString("token_hash"), rs.getString("job_id"), rs.getInt("stage_index"), rs.getString("stage_id"),
                sql.instant(rs, "expires_at"), sql.instant(rs, "used_at"));
    }

    @Override
    public boolean useCallbackToken(String tokenHash, Instant at, JsonNode result, JobTransition job) {
        return sql.write(c -> {
            Optional<String> stage = sql.first(c, "UPDATE callback_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? "
                    + "RETURNING stage_id", Sql::text, at, tokenHash, at);
            if (stage.isEmpty()) {
                return false;
            }
            sql.update(c, "UPDATE tool_calls SET status = 'done', response = ?, http_status = NULL, error = NULL, updated_at = ? WHERE job_id = ? AND stage_id = ?",
                    result, at, job.jobId(), stage.get());
            if (!transitions.applyIn(c, job)) {
                // Throwing rolls the token's use back with it: the job was not waiting for this callback.
                throw new dev.mainstay.store.StoreException("job " + job.jobId() + " is not waiting for the callback of stage " + job.currentStage());
            }
            return true;
        });
    }
}
