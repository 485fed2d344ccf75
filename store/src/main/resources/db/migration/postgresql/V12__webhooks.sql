-- Outbound webhooks (endpoints, sealed signing secrets, the delivery outbox and its attempts),
-- inbound events taken once, and the single-use tokens of callback tool stages.

CREATE TABLE webhook_endpoints (
    id               text COLLATE "C" PRIMARY KEY,
    account_id       text COLLATE "C" NOT NULL,
    url              text NOT NULL,
    workflow         text,
    description      text,
    enabled          boolean NOT NULL,
    disabled_reason  text,
    failing_since    timestamptz,
    max_concurrency  integer NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_by_account ON webhook_endpoints (account_id, id);

-- One row per event type an endpoint receives: the job transition's outbox insert joins on it.
CREATE TABLE webhook_subscriptions (
    endpoint_id  text COLLATE "C" NOT NULL,
    event_type   text NOT NULL,
    PRIMARY KEY (endpoint_id, event_type)
);

-- Signing secrets, sealed with AES-256-GCM under the node's secrets key (an HMAC needs the key
-- itself, so it cannot be hashed). Old secrets keep signing until ends_at during a rotation.
CREATE TABLE webhook_secrets (
    endpoint_id  text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    sealed       text NOT NULL,
    created_at   timestamptz NOT NULL,
    ends_at      timestamptz,
    PRIMARY KEY (endpoint_id, id)
);

-- The outbox: one row per event and endpoint, written in the transaction of the job transition
-- that emitted it. message_id is the webhook-id of every attempt and replay.
CREATE TABLE webhook_deliveries (
    id                text COLLATE "C" PRIMARY KEY,
    message_id        text COLLATE "C" NOT NULL,
    endpoint_id       text COLLATE "C" NOT NULL,
    account_id        text COLLATE "C" NOT NULL,
    job_id            text COLLATE "C",
    event_type        text NOT NULL,
    payload           text NOT NULL,
    status            text NOT NULL,
    attempts          integer NOT NULL DEFAULT 0,
    earlier_attempts  integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz,
    lease_owner       text,
    lease_expires_at  timestamptz,
    last_status       integer,
    last_error        text,
    last_attempt_at   timestamptz,
    delivered_at      timestamptz,
    created_at        timestamptz NOT NULL,
    UNIQUE (message_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (endpoint_id, lease_expires_at) WHERE lease_owner IS NOT NULL;

CREATE TABLE webhook_attempts (
    delivery_id  text COLLATE "C" NOT NULL,
    number       integer NOT NULL,
    at           timestamptz NOT NULL,
    http_status  integer,
    error        text,
    duration_ms  bigint NOT NULL,
    PRIMARY KEY (delivery_id, number)
);

-- Inbound events already taken, by source and webhook-id, with the job each started.
CREATE TABLE inbound_events (
    source       text COLLATE "C" NOT NULL,
    webhook_id   text COLLATE "C" NOT NULL,
    event_type   text NOT NULL,
    job_id       text COLLATE "C" NOT NULL,
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (source, webhook_id)
);

-- Callback tokens by their SHA-256; the token itself is only in the URL sent to the integration.
CREATE TABLE callback_tokens (
    token_hash   text COLLATE "C" PRIMARY KEY,
    job_id       text COLLATE "C" NOT NULL,
    stage_index  integer NOT NULL,
    stage_id     text NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE UNIQUE INDEX callback_tokens_by_stage ON callback_tokens (job_id, stage_index);
