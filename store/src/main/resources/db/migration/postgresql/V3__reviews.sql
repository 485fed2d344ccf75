-- Human review: a job waits in waiting_for_review until a person (or the expiry) decides a stage's output.
CREATE TABLE reviews (
    id           text COLLATE "C" PRIMARY KEY,
    job_id       text COLLATE "C" NOT NULL,
    account_id   text COLLATE "C" NOT NULL,
    workflow     text NOT NULL,
    stage_index  integer NOT NULL,
    stage_id     text NOT NULL,
    reason       text NOT NULL,
    proposed     json,
    provenance   json,
    status       text NOT NULL,
    on_expiry    text NOT NULL,
    output       json,
    reviewer     text,
    note         text,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    decided_at   timestamptz
);

CREATE INDEX reviews_by_account ON reviews (account_id, id);
CREATE INDEX reviews_pending_expiry ON reviews (expires_at) WHERE status = 'pending';
CREATE INDEX reviews_by_job ON reviews (job_id);
