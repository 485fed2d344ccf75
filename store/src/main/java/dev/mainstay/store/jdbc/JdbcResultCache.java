package dev.mainstay.store.jdbc;

import dev.mainstay.job.Provenance;
import dev.mainstay.store.ResultCacheStore;
import java.time.Instant;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** The result cache, on any dialect. Expired entries are dropped by the next write. */
final class JdbcResultCache implements ResultCacheStore {
    private final Sql sql;

    JdbcResultCache(Sql sql) {
        this.sql = sql;
    }

    @Override
    public Optional<CachedOutput> cachedOutput(String key, Instant now) {
        return sql.read(c -> sql.first(c, "SELECT output, provenance, source_job FROM result_cache WHERE key = ? AND expires_at > ?", rs -> {
            JsonNode provenance = Sql.json(rs, "provenance");
            return new CachedOutput(Sql.json(rs, "output"), provenance == null ? null : Provenance.fromJson(provenance), rs.getString("source_job"));
        }, key, now));
    }

    @Override
    public void cacheOutput(String key, String workflow, CachedOutput output, Instant now, Instant expiresAt) {
        sql.write(c -> {
            sql.update(c, "DELETE FROM result_cache WHERE expires_at <= ?", now);
            return sql.update(c, "INSERT INTO result_cache (key, workflow, output, provenance, source_job, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                            + "ON CONFLICT (key) DO UPDATE SET output = excluded.output, provenance = excluded.provenance, source_job = excluded.source_job, "
                            + "created_at = excluded.created_at, expires_at = excluded.expires_at",
                    key, workflow, output.output(), output.provenance() == null ? null : output.provenance().toJson(), output.sourceJob(), now, expiresAt);
        });
    }
}
