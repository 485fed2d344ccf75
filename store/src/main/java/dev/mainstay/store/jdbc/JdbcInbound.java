package dev.mainstay.store.jdbc;

import dev.mainstay.store.InboundStore;
import dev.mainstay.store.JobTransition;
import java.time.Instant;
import java.util.Optional;

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
        return sql.read(c -> sql.first(c, "SELECT * FROM callback_tokens WHERE token_hash = ?", rs -> new CallbackToken(rs.getString("token_hash"),
                rs.getString("job_id"), rs.getInt("stage_index"), rs.getString("stage_id"), sql.instant(rs, "expires_at"), sql.instant(rs, "used_at")), tokenHash));
    }

    @Override
    public boolean useCallbackToken(String tokenHash, Instant at, JobTransition job) {
        return sql.write(c -> {
            if (sql.update(c, "UPDATE callback_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?", at, tokenHash, at) == 0) {
                return false;
            }
            if (!transitions.applyIn(c, job)) {
                // Throwing rolls the token's use back with it: the job was not waiting for this callback.
                throw new dev.mainstay.store.StoreException("job " + job.jobId() + " is not waiting for the callback of stage " + job.currentStage());
            }
            return true;
        });
    }
}
