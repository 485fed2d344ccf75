-- Opt-in result cache: a stage's validated output by (workflow version, stage, target, input).
CREATE TABLE result_cache (
    key          text PRIMARY KEY,
    workflow     text NOT NULL,
    output       json NOT NULL,
    provenance   json,
    source_job   text COLLATE "C" NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);

CREATE INDEX result_cache_expiry ON result_cache (expires_at);
