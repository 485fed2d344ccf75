-- Shadow traffic: a live job sampled (by its own finishing transition) to run again on another
-- version, the shadow job it was run as, and the comparison of the two results.
CREATE TABLE shadow_runs (
    live_job_id     TEXT PRIMARY KEY,
    workflow        TEXT NOT NULL,
    live_version    INTEGER NOT NULL,
    shadow_version  INTEGER NOT NULL,
    sampled_at      INTEGER NOT NULL,
    shadow_job_id   TEXT,
    result          TEXT,
    scored_at       INTEGER
);
CREATE INDEX shadow_runs_workflow ON shadow_runs (workflow, sampled_at);
CREATE INDEX shadow_runs_pending ON shadow_runs (sampled_at) WHERE result IS NULL;
