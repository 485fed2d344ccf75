-- Limits, budgets and the usage ledger. Money is integer micro-dollars.
--
-- Everything here is shared by every node: a row is changed only while the transaction holds its
-- lock (SELECT ... FOR UPDATE, or one atomic INSERT ... ON CONFLICT DO UPDATE), so limits and
-- budgets hold across the cluster, not just within one node.

-- Per-account limits set by operators; NULL is "no limit". A claim locks the row of every account
-- with a max_concurrent_jobs before counting its running jobs, so nodes claiming at once never
-- start more than the limit between them.
CREATE TABLE account_limits (
    account_id            text COLLATE "C" PRIMARY KEY,
    requests_per_minute   bigint,
    tokens_per_day        bigint,
    cost_per_month_micros bigint,
    max_concurrent_jobs   integer,
    updated_at            timestamptz NOT NULL,
    updated_by            text NOT NULL
);

-- Every change of an account's limits, with who made it.
CREATE TABLE account_limit_changes (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL,
    limits      json NOT NULL,
    actor       text NOT NULL,
    at          timestamptz NOT NULL
);

-- Spend per scope (see dev.mainstay.limits.Scope): settled and held by calls in flight.
CREATE TABLE budget_counters (
    scope     text COLLATE "C" PRIMARY KEY,
    spent     bigint NOT NULL DEFAULT 0,
    reserved  bigint NOT NULL DEFAULT 0
);

-- Budget held for one model call until it settles or expires.
CREATE TABLE reservations (
    id          text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL,
    job_id      text COLLATE "C" NOT NULL,
    holds       json NOT NULL,
    state       text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    closed_at   timestamptz
);

CREATE INDEX reservations_held ON reservations (expires_at) WHERE state = 'held';

-- One row per model call, as the provider reported it.
CREATE TABLE usage_ledger (
    id                   text COLLATE "C" PRIMARY KEY,
    account_id           text COLLATE "C" NOT NULL,
    job_id               text COLLATE "C" NOT NULL,
    workflow             text COLLATE "C" NOT NULL,
    stage_id             text NOT NULL,
    provider             text COLLATE "C" NOT NULL,
    model                text COLLATE "C" NOT NULL,
    input_tokens         bigint NOT NULL,
    cached_input_tokens  bigint NOT NULL,
    output_tokens        bigint NOT NULL,
    cost_micros          bigint NOT NULL,
    at                   timestamptz NOT NULL
);

CREATE INDEX usage_by_account ON usage_ledger (account_id, at);
CREATE INDEX usage_by_time ON usage_ledger (at);

-- Token buckets for request rates; tokens are kept in millionths to refill continuously. A row
-- with NULL tokens is a bucket never taken from (a full one): admission creates the row first so
-- that it always has a row to lock.
CREATE TABLE rate_buckets (
    key         text COLLATE "C" PRIMARY KEY,
    tokens      bigint,
    updated_at  timestamptz
);

-- Consecutive upstream failures of an account's jobs, for its cooldown.
CREATE TABLE account_health (
    account_id       text COLLATE "C" PRIMARY KEY,
    failures         integer NOT NULL,
    last_failure_at  timestamptz NOT NULL
);

-- Fair claims look up the runnable jobs of one account at a time, and count its running ones.
CREATE INDEX jobs_runnable_by_account ON jobs (account_id, priority DESC, next_run_at) WHERE status IN ('queued', 'retrying');
CREATE INDEX jobs_running_by_account ON jobs (account_id) WHERE status = 'processing';
