-- Outbound webhooks (endpoints, sealed signing secrets, the delivery outbox and its attempts),
-- inbound events taken once, and the single-use tokens of callback tool stages.

CREATE TABLE webhook_endpoints (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL,
    url              TEXT NOT NULL,
    workflow         TEXT,
    description      TEXT,
    enabled          INTEGER NOT NULL,
    disabled_reason  TEXT,
    failing_since    INTEGER,
    max_concurrency  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_account ON webhook_endpoints (account_id, id);

-- One row per event type an endpoint receives: the job transition's outbox insert joins on it.
CREATE TABLE webhook_subscriptions (
    endpoint_id  TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, event_type)
);

-- Signing secrets, sealed with AES-256-GCM under the node's secrets key (an HMAC needs the key
-- itself, so it cannot be hashed). Old secrets keep signing until ends_at during a rotation.
CREATE TABLE webhook_secrets (
    endpoint_id  TEXT NOT NULL,
    id           TEXT NOT NULL,
    sealed       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    ends_at      INTEGER,
    PRIMARY KEY (endpoint_id, id)
);

-- The outbox: one row per event and endpoint, written in the transaction of the job transition
-- that emitted it. message_id is the webhook-id of every attempt and replay.
CREATE TABLE webhook_deliveries (
    id                TEXT PRIMARY KEY,
    message_id        TEXT NOT NULL,
    endpoint_id       TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    job_id            TEXT,
    event_type        TEXT NOT NULL,
    payload           TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    earlier_attempts  INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    last_status       INTEGER,
    last_error        TEXT,
    last_attempt_at   INTEGER,
    delivered_at      INTEGER,
    created_at        INTEGER NOT NULL,
    UNIQUE (message_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (endpoint_id, lease_expires_at) WHERE lease_owner IS NOT NULL;

CREATE TABLE webhook_attempts (
    delivery_id  TEXT NOT NULL,
    number       INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    http_status  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, number)
);

-- Inbound events already taken, by source and webhook-id, with the job each started.
CREATE TABLE inbound_events (
    source       TEXT NOT NULL,
    webhook_id   TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (source, webhook_id)
);

-- Callback tokens by their SHA-256; the token itself is only in the URL sent to the integration.
CREATE TABLE callback_tokens (
    token_hash   TEXT PRIMARY KEY,
    job_id       TEXT NOT NULL,
    stage_index  INTEGER NOT NULL,
    stage_id     TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE UNIQUE INDEX callback_tokens_by_stage ON callback_tokens (job_id, stage_index);
