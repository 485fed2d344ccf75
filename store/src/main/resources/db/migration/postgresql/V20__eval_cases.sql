-- Eval cases captured from real jobs: an input and its expected answer, filed under a suite; and
-- whether an eval run judges its model-graded scorers.
CREATE TABLE eval_cases (
    id                text COLLATE "C" PRIMARY KEY,
    suite             text COLLATE "C" NOT NULL,
    name              text COLLATE "C" NOT NULL,
    workflow          text COLLATE "C" NOT NULL,
    workflow_version  integer NOT NULL,
    job_id            text COLLATE "C" NOT NULL,
    review_id         text COLLATE "C",
    expect            text NOT NULL,
    input             json NOT NULL,
    expected          json NOT NULL,
    tags              json NOT NULL,
    created_by        text,
    created_at        timestamptz NOT NULL,
    UNIQUE (suite, name)
);
CREATE INDEX eval_cases_suite ON eval_cases (suite, id);

-- Whether a run calls a judge model for its model-graded scorers (0 or 1, as on SQLite).
ALTER TABLE eval_runs ADD COLUMN model_grading integer NOT NULL DEFAULT 0;
