-- Human review: a job waits in waiting_for_review until a person (or the expiry) decides a stage's output.
CREATE TABLE reviews (
    id           TEXT PRIMARY KEY,
    job_id       TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    workflow     TEXT NOT NULL,
    stage_index  INTEGER NOT NULL,
    stage_id     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    proposed     TEXT,
    provenance   TEXT,
    status       TEXT NOT NULL,
    on_expiry    TEXT NOT NULL,
    output       TEXT,
    reviewer     TEXT,
    note         TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    decided_at   INTEGER
);

CREATE INDEX reviews_by_account ON reviews (account_id, id);
CREATE INDEX reviews_pending_expiry ON reviews (expires_at) WHERE status = 'pending';
CREATE INDEX reviews_by_job ON reviews (job_id);
