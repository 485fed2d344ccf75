-- The effect of each tool stage, per job: intent before the call, outcome after it, approvals.
CREATE TABLE tool_calls (
    job_id           TEXT NOT NULL,
    stage_id         TEXT NOT NULL,
    tool             TEXT NOT NULL,
    scope            TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    status           TEXT NOT NULL,
    request          TEXT NOT NULL,
    response         TEXT,
    http_status      INTEGER,
    approved_by      TEXT,
    error            TEXT,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (job_id, stage_id)
);
