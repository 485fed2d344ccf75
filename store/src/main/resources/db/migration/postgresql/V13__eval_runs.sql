-- Eval runs: a suite put through one workflow version, and each of its cases as a job and a score.
CREATE TABLE eval_runs (
    id            text COLLATE "C" PRIMARY KEY,
    workflow      text COLLATE "C" NOT NULL,
    version       integer NOT NULL,
    suite         text COLLATE "C" NOT NULL,
    suite_hash    text NOT NULL,
    requested_by  text,
    concurrency   integer NOT NULL,
    status        text NOT NULL,
    created_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    summary       json
);
CREATE INDEX eval_runs_status ON eval_runs (status, created_at);
CREATE INDEX eval_runs_workflow ON eval_runs (workflow, created_at);

CREATE TABLE eval_run_cases (
    run_id   text COLLATE "C" NOT NULL,
    case_id  text COLLATE "C" NOT NULL,
    ordinal  integer NOT NULL,
    job_id   text COLLATE "C",
    result   json,
    PRIMARY KEY (run_id, case_id)
);
