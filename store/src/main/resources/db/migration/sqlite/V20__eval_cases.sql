-- Eval cases captured from real jobs: an input and its expected answer, filed under a suite; and
-- whether an eval run judges its model-graded scorers.
CREATE TABLE eval_cases (
    id                TEXT PRIMARY KEY,
    suite             TEXT NOT NULL,
    name              TEXT NOT NULL,
    workflow          TEXT NOT NULL,
    workflow_version  INTEGER NOT NULL,
    job_id            TEXT NOT NULL,
    review_id         TEXT,
    expect            TEXT NOT NULL,
    input             TEXT NOT NULL,
    expected          TEXT NOT NULL,
    tags              TEXT NOT NULL,
    created_by        TEXT,
    created_at        INTEGER NOT NULL,
    UNIQUE (suite, name)
);
CREATE INDEX eval_cases_suite ON eval_cases (suite, id);

-- Whether a run calls a judge model for its model-graded scorers.
ALTER TABLE eval_runs ADD COLUMN model_grading INTEGER NOT NULL DEFAULT 0;
