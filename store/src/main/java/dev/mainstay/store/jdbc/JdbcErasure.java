package dev.mainstay.store.jdbc;

import dev.mainstay.audit.AuditChain;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.store.Erasure;
import dev.mainstay.store.ErasureScope;
import dev.mainstay.store.ErasureStore;
import dev.mainstay.store.RetentionStore.Removed;
import dev.mainstay.store.StoreException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** Erasure on request and the audit log's cut, on any dialect. */
final class JdbcErasure implements ErasureStore {
    /** What an erased text column holds where the column may not be empty. */
    static final String ERASED = "erased";

    private final Sql sql;
    private final Dialect dialect;
    private volatile byte[] key;

    JdbcErasure(Sql sql, Dialect dialect) {
        this.sql = sql;
        this.dialect = dialect;
    }

    @Override
    public byte[] subjectKey() {
        byte[] k = key;
        if (k == null) {
            String hex = sql.read(c -> sql.first(c, "SELECT key FROM subject_key WHERE id = 1", Sql::text)).orElseThrow(() ->
                    new StoreException("the database has no subject key (table subject_key is empty); its V17 migration made one. Indicates a bug or a hand-edited database."));
            k = HexFormat.of().parseHex(hex);
            key = k;
        }
        return k.clone();
    }

    @Override
    public Erasure startErasure(Erasure e) {
        return sql.write(c -> {
            sql.update(c, "INSERT INTO erasures (id, scope, target, requested_by, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    e.id(), e.scope().kind(), e.scope().target(), e.requestedBy(), e.createdAt());
            Erasure before = load(c, e.id()).orElseThrow();
            // Running again: not complete until this run finishes, so a crash meanwhile leaves it to be resumed.
            sql.update(c, "UPDATE erasures SET completed_at = NULL WHERE id = ? AND completed_at IS NOT NULL", e.id());
            return before;
        });
    }

    @Override
    public Optional<Erasure> erasure(String id) {
        return sql.read(c -> load(c, id));
    }

    @Override
    public List<Erasure> erasures() {
        return sql.read(c -> sql.list(c, "SELECT * FROM erasures ORDER BY created_at, id", this::erasure));
    }

    @Override
    public List<JobRef> unfinishedJobs(ErasureScope scope, int max) {
        return sql.read(c -> sql.list(c, "SELECT id, account_id FROM jobs j WHERE " + scope(scope) + " AND status NOT IN (" + JdbcJobs.TERMINAL + ") LIMIT ?",
                rs -> new JobRef(rs.getString(1), rs.getString(2)), scope.target(), max));
    }

    @Override
    public Erased eraseJobs(ErasureScope scope, Instant now, int max) {
        return sql.write(c -> erase(c, scope, now, max));
    }

    @Override
    public Erased eraseJobs(String erasureId, ErasureScope scope, Instant now, int max) {
        return sql.write(c -> {
            Erased erased = erase(c, scope, now, max);
            if (erased.jobs() > 0) {
                count(c, erasureId, erased, 0);
            }
            return erased;
        });
    }

    @Override
    public void countCancelled(String erasureId, long cancelled) {
        sql.write(c -> {
            count(c, erasureId, Erased.NONE, cancelled);
            return null;
        });
    }

    private void count(Connection c, String id, Erased erased, long cancelled) throws SQLException {
        sql.update(c, "UPDATE erasures SET jobs = jobs + ?, rows_removed = rows_removed + ?, characters = characters + ?, cancelled = cancelled + ? WHERE id = ?",
                erased.jobs(), erased.removed().rows(), erased.removed().characters(), cancelled, id);
    }

    private Erased erase(Connection c, ErasureScope scope, Instant now, int max) throws SQLException {
        // Skipping locked rows: two nodes erasing the same scope at once erase (and count) each job once.
        List<String[]> jobs = sql.list(c, "SELECT id, input_hash FROM jobs j WHERE " + scope(scope) + " AND erased_at IS NULL AND status IN ("
                + JdbcJobs.TERMINAL + ") ORDER BY id LIMIT ?" + dialect.skipLocked(), rs -> new String[] {rs.getString(1), rs.getString(2)}, scope.target(), max);
        if (jobs.isEmpty()) {
            return Erased.NONE;
        }
        List<String> ids = jobs.stream().map(j -> j[0]).toList();
        List<String> hashes = jobs.stream().map(j -> j[1]).distinct().toList();
        Dialect.In jobIds = dialect.in("id", ids);
        Dialect.In ofJobs = dialect.in("job_id", ids);
        Dialect.In fromJobs = dialect.in("source_job", ids);
        long characters = size(c, "SELECT SUM(LENGTH(CAST(result AS TEXT))) FROM jobs WHERE " + jobIds.sql(), jobIds)
                + size(c, "SELECT SUM(LENGTH(CAST(output AS TEXT))) FROM job_stages WHERE " + ofJobs.sql(), ofJobs)
                + size(c, "SELECT SUM(LENGTH(CAST(data AS TEXT))) FROM job_events WHERE " + ofJobs.sql(), ofJobs)
                + size(c, "SELECT SUM(LENGTH(CAST(request AS TEXT)) + COALESCE(LENGTH(CAST(response AS TEXT)), 0)) FROM tool_calls WHERE " + ofJobs.sql(), ofJobs)
                + size(c, "SELECT SUM(LENGTH(payload)) FROM webhook_deliveries WHERE " + ofJobs.sql(), ofJobs)
                + size(c, "SELECT SUM(LENGTH(CAST(output AS TEXT))) FROM result_cache WHERE " + fromJobs.sql(), fromJobs);
        long rows = sql.update(c, "UPDATE jobs SET result = NULL, error_message = CASE WHEN error_message IS NULL THEN NULL ELSE '" + ERASED + "' END, "
                + "erased_at = ?, payloads_expired_at = COALESCE(payloads_expired_at, ?) WHERE " + jobIds.sql(), now, now, jobIds);
        rows += sql.update(c, "UPDATE job_stages SET output = NULL, error_message = CASE WHEN error_message IS NULL THEN NULL ELSE '" + ERASED + "' END WHERE "
                + ofJobs.sql(), ofJobs);
        rows += sql.update(c, "UPDATE job_events SET data = NULL WHERE data IS NOT NULL AND " + ofJobs.sql(), ofJobs);
        rows += sql.update(c, "UPDATE reviews SET proposed = NULL, output = NULL, note = NULL WHERE " + ofJobs.sql(), ofJobs);
        rows += sql.update(c, "UPDATE tool_calls SET request = 'null', response = NULL, error = NULL WHERE " + ofJobs.sql(), ofJobs);
        rows += sql.update(c, "UPDATE webhook_deliveries SET payload = '{\"erased\":true}', last_error = NULL WHERE " + ofJobs.sql(), ofJobs);
        rows += sql.update(c, "UPDATE eval_run_cases SET result = NULL WHERE result IS NOT NULL AND " + ofJobs.sql(), ofJobs);
        rows += sql.update(c, "DELETE FROM result_cache WHERE " + fromJobs.sql(), fromJobs);
        rows += sql.update(c, "DELETE FROM job_subjects WHERE " + ofJobs.sql(), ofJobs);
        Dialect.In in = dialect.in("hash", hashes);
        // An input another job outside the erasure still holds stays: it is that job's too.
        String unused = JdbcRetention.unusedPayloads(in.sql());
        characters += size(c, "SELECT SUM(LENGTH(body)) FROM payloads WHERE " + unused, in);
        rows += sql.update(c, "DELETE FROM payloads WHERE " + unused, in);
        return new Erased(ids.size(), new Removed(rows, characters));
    }

    @Override
    public Erasure finishErasure(String id, Erased erased, long cancelled, Instant now, AuditEvent audit) {
        return sql.write(c -> {
            sql.update(c, "UPDATE erasures SET jobs = jobs + ?, rows_removed = rows_removed + ?, characters = characters + ?, cancelled = cancelled + ?, "
                    + "completed_at = ? WHERE id = ?", erased.jobs(), erased.removed().rows(), erased.removed().characters(), cancelled, now, id);
            AuditLog.append(c, sql, null, List.of(audit));
            return load(c, id).orElseThrow(() -> new StoreException("erasure " + id + " vanished while it ran. Indicates a bug."));
        });
    }

    @Override
    public Optional<AuditCheckpoint> cutAudit(Instant before, Function<AuditCheckpoint, AuditEvent> cut) {
        return sql.write(c -> {
            sql.lockAuditChain(c);
            Optional<Map.Entry<Long, String>> at = sql.first(c, "SELECT seq, hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log WHERE at < ?)",
                    rs -> Map.entry(rs.getLong(1), rs.getString(2)), AuditChain.at(before));
            if (at.isEmpty()) {
                return Optional.<AuditCheckpoint>empty();
            }
            long through = at.get().getKey();
            int removed = sql.update(c, "DELETE FROM audit_log WHERE seq <= ?", through);
            AuditCheckpoint checkpoint = new AuditCheckpoint(through, at.get().getValue(), removed, before);
            sql.update(c, "INSERT INTO audit_checkpoints (through_seq, head_hash, removed, at) VALUES (?, ?, ?, ?)", through, checkpoint.headHash(), removed, before);
            AuditLog.appendNow(c, sql, List.of(new AuditLog.Entry(null, cut.apply(checkpoint))));
            return Optional.of(checkpoint);
        });
    }

    @Override
    public void reclaim(boolean erased) {
        dialect.reclaim(sql, erased);
    }

    @Override
    public void rewrite() {
        dialect.rewrite(sql);
    }

    /** The jobs of {@code scope}, as a condition on {@code jobs j} with one parameter, its target. */
    private static String scope(ErasureScope scope) {
        return switch (scope) {
            case ErasureScope.Job job -> "j.id = ?";
            case ErasureScope.Account account -> "j.account_id = ?";
            case ErasureScope.Subject subject -> "j.id IN (SELECT s.job_id FROM job_subjects s WHERE s.digest = ?)";
        };
    }

    private Optional<Erasure> load(Connection c, String id) throws SQLException {
        return sql.first(c, "SELECT * FROM erasures WHERE id = ?", this::erasure, id);
    }

    private Erasure erasure(ResultSet rs) throws SQLException {
        return new Erasure(rs.getString("id"), ErasureScope.of(rs.getString("scope"), rs.getString("target")), rs.getString("requested_by"),
                sql.instant(rs, "created_at"), sql.instant(rs, "completed_at"), rs.getLong("jobs"), rs.getLong("rows_removed"), rs.getLong("characters"),
                rs.getLong("cancelled"));
    }

    private long size(Connection c, String query, Object... args) throws SQLException {
        return sql.first(c, query, rs -> rs.getLong(1), args).orElse(0L);
    }
}
