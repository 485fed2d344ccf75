-- Mainstay schema, PostgreSQL dialect. Mirrors db/migration/sqlite version for version.
--
-- Times are timestamptz, written at millisecond precision (as the SQLite dialect keeps them), so an
-- Instant reads back equal whichever store wrote it. Money is integer micro-dollars.
-- JSON documents are type json, not jsonb: json keeps the text byte for byte as Mainstay wrote it,
-- while jsonb rewrites numbers (1.0E10 comes back as 10000000000) and refuses the escape \u0000,
-- which model output can contain. Cast to jsonb in ad-hoc queries when needed.
-- Identifiers are COLLATE "C": listings page by id, and ids must sort bytewise (as in SQLite)
-- whatever the database's locale.

CREATE TABLE accounts (
    id          text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL,
    plan        text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id          text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL REFERENCES accounts (id),
    key_hash    text NOT NULL UNIQUE,
    prefix      text NOT NULL,
    roles       text NOT NULL,
    admin       boolean NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE TABLE workflow_versions (
    name          text NOT NULL,
    version       integer NOT NULL,
    content_hash  text NOT NULL,
    definition    text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (name, version)
);

-- Large documents are stored once by content hash, never copied into jobs or events. The body is
-- text: it is the exact canonical JSON whose hash is the key.
CREATE TABLE payloads (
    hash  text PRIMARY KEY,
    body  text NOT NULL
);

CREATE TABLE jobs (
    id                text COLLATE "C" PRIMARY KEY,
    account_id        text COLLATE "C" NOT NULL,
    workflow          text NOT NULL,
    workflow_version  integer NOT NULL,
    status            text NOT NULL,
    result_type       text,
    input_hash        text NOT NULL,
    result            json,
    error_code        text,
    error_message     text,
    error_retryable   boolean,
    retry_at          timestamptz,
    provenance        json,
    input_tokens      bigint NOT NULL DEFAULT 0,
    output_tokens     bigint NOT NULL DEFAULT 0,
    cost_micros       bigint NOT NULL DEFAULT 0,
    current_stage     integer NOT NULL DEFAULT 0,
    stage_attempts    integer NOT NULL DEFAULT 0,
    dead_letter       boolean NOT NULL DEFAULT false,
    priority          integer NOT NULL DEFAULT 0,
    next_run_at       timestamptz NOT NULL,
    lease_owner       text,
    lease_expires_at  timestamptz,
    idempotency_key   text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    started_at        timestamptz,
    completed_at      timestamptz,
    deadline_at       timestamptz NOT NULL
);

CREATE INDEX jobs_runnable ON jobs (priority DESC, next_run_at) WHERE status IN ('queued', 'retrying');
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE lease_owner IS NOT NULL;
CREATE INDEX jobs_by_account ON jobs (account_id, id);
CREATE INDEX jobs_unfinished ON jobs (account_id)
    WHERE status NOT IN ('completed', 'partially_completed', 'degraded', 'failed', 'cancelled');

-- At most one job per (account, key), however many nodes race: submit inserts here first with
-- ON CONFLICT DO NOTHING, which waits for a racing insert of the same key to commit or roll back.
CREATE TABLE idempotency_keys (
    account_id    text COLLATE "C" NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    job_id        text COLLATE "C" NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE job_stages (
    job_id           text COLLATE "C" NOT NULL,
    stage_index      integer NOT NULL,
    stage_id         text NOT NULL,
    status           text NOT NULL,
    output           json,
    attempts         integer NOT NULL,
    provenance       json,
    input_tokens     bigint NOT NULL DEFAULT 0,
    output_tokens    bigint NOT NULL DEFAULT 0,
    cost_micros      bigint NOT NULL DEFAULT 0,
    error_code       text,
    error_message    text,
    error_retryable  boolean,
    started_at       timestamptz,
    completed_at     timestamptz,
    PRIMARY KEY (job_id, stage_index)
);

-- A job's events are written while its row is locked, so within one job seq grows in commit order.
CREATE TABLE job_events (
    seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id  text COLLATE "C" NOT NULL,
    type    text NOT NULL,
    data    json,
    at      timestamptz NOT NULL
);

CREATE INDEX job_events_by_job ON job_events (job_id, seq);
