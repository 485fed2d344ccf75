-- Shadow traffic: a live job sampled (by its own finishing transition) to run again on another
-- version, the shadow job it was run as, and the comparison of the two results.
CREATE TABLE shadow_runs (
    live_job_id     text COLLATE "C" PRIMARY KEY,
    workflow        text COLLATE "C" NOT NULL,
    live_version    integer NOT NULL,
    shadow_version  integer NOT NULL,
    sampled_at      timestamptz NOT NULL,
    shadow_job_id   text COLLATE "C",
    result          json,
    scored_at       timestamptz
);
CREATE INDEX shadow_runs_workflow ON shadow_runs (workflow, sampled_at);
CREATE INDEX shadow_runs_pending ON shadow_runs (sampled_at) WHERE result IS NULL;
