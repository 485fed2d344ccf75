-- Eval runs: a suite put through one workflow version, and each of its cases as a job and a score.
CREATE TABLE eval_runs (
    id            TEXT PRIMARY KEY,
    workflow      TEXT NOT NULL,
    version       INTEGER NOT NULL,
    suite         TEXT NOT NULL,
    suite_hash    TEXT NOT NULL,
    requested_by  TEXT,
    concurrency   INTEGER NOT NULL,
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    summary       TEXT
);
CREATE INDEX eval_runs_status ON eval_runs (status, created_at);
CREATE INDEX eval_runs_workflow ON eval_runs (workflow, created_at);

CREATE TABLE eval_run_cases (
    run_id   TEXT NOT NULL,
    case_id  TEXT NOT NULL,
    ordinal  INTEGER NOT NULL,
    job_id   TEXT,
    result   TEXT,
    PRIMARY KEY (run_id, case_id)
);
