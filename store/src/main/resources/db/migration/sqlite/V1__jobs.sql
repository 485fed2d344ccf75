-- Mainstay schema, SQLite dialect. Times are epoch milliseconds; money is integer micro-dollars.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    key_hash    TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    roles       TEXT NOT NULL,
    admin       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE workflow_versions (
    name          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    definition    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);

-- Large documents are stored once by content hash, never copied into jobs or events.
CREATE TABLE payloads (
    hash  TEXT PRIMARY KEY,
    body  TEXT NOT NULL
);

CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL,
    workflow          TEXT NOT NULL,
    workflow_version  INTEGER NOT NULL,
    status            TEXT NOT NULL,
    result_type       TEXT,
    input_hash        TEXT NOT NULL,
    result            TEXT,
    error_code        TEXT,
    error_message     TEXT,
    error_retryable   INTEGER,
    retry_at          INTEGER,
    provenance        TEXT,
    input_tokens      INTEGER NOT NULL DEFAULT 0,
    output_tokens     INTEGER NOT NULL DEFAULT 0,
    cost_micros       INTEGER NOT NULL DEFAULT 0,
    current_stage     INTEGER NOT NULL DEFAULT 0,
    stage_attempts    INTEGER NOT NULL DEFAULT 0,
    dead_letter       INTEGER NOT NULL DEFAULT 0,
    priority          INTEGER NOT NULL DEFAULT 0,
    next_run_at       INTEGER NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    idempotency_key   TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    started_at        INTEGER,
    completed_at      INTEGER,
    deadline_at       INTEGER NOT NULL
);

CREATE INDEX jobs_runnable ON jobs (priority DESC, next_run_at) WHERE status IN ('queued', 'retrying');
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE lease_owner IS NOT NULL;
CREATE INDEX jobs_by_account ON jobs (account_id, id);
CREATE INDEX jobs_unfinished ON jobs (account_id)
    WHERE status NOT IN ('completed', 'partially_completed', 'degraded', 'failed', 'cancelled');

CREATE TABLE idempotency_keys (
    account_id    TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE job_stages (
    job_id           TEXT NOT NULL,
    stage_index      INTEGER NOT NULL,
    stage_id         TEXT NOT NULL,
    status           TEXT NOT NULL,
    output           TEXT,
    attempts         INTEGER NOT NULL,
    provenance       TEXT,
    input_tokens     INTEGER NOT NULL DEFAULT 0,
    output_tokens    INTEGER NOT NULL DEFAULT 0,
    cost_micros      INTEGER NOT NULL DEFAULT 0,
    error_code       TEXT,
    error_message    TEXT,
    error_retryable  INTEGER,
    started_at       INTEGER,
    completed_at     INTEGER,
    PRIMARY KEY (job_id, stage_index)
);

CREATE TABLE job_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id  TEXT NOT NULL,
    type    TEXT NOT NULL,
    data    TEXT,
    at      INTEGER NOT NULL
);

CREATE INDEX job_events_by_job ON job_events (job_id, seq);
