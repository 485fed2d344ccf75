-- Opt-in result cache: a stage's validated output by (workflow version, stage, target, input).
CREATE TABLE result_cache (
    key          TEXT PRIMARY KEY,
    workflow     TEXT NOT NULL,
    output       TEXT NOT NULL,
    provenance   TEXT,
    source_job   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

CREATE INDEX result_cache_expiry ON result_cache (expires_at);
