-- The effect of each tool stage, per job: intent before the call, outcome after it, approvals.
CREATE TABLE tool_calls (
    job_id           text COLLATE "C" NOT NULL,
    stage_id         text COLLATE "C" NOT NULL,
    tool             text NOT NULL,
    scope            text NOT NULL,
    idempotency_key  text COLLATE "C" NOT NULL,
    status           text NOT NULL,
    request          json NOT NULL,
    response         json,
    http_status      integer,
    approved_by      text,
    error            text,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (job_id, stage_id)
);
