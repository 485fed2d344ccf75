-- Limits, budgets and the usage ledger. Money is integer micro-dollars, times epoch milliseconds.

-- Per-account limits set by operators; NULL is "no limit".
CREATE TABLE account_limits (
    account_id            TEXT PRIMARY KEY,
    requests_per_minute   INTEGER,
    tokens_per_day        INTEGER,
    cost_per_month_micros INTEGER,
    max_concurrent_jobs   INTEGER,
    updated_at            INTEGER NOT NULL,
    updated_by            TEXT NOT NULL
);

-- Every change of an account's limits, with who made it.
CREATE TABLE account_limit_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  TEXT NOT NULL,
    limits      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          INTEGER NOT NULL
);

-- Spend per scope (see dev.mainstay.limits.Scope): settled and held by calls in flight.
CREATE TABLE budget_counters (
    scope     TEXT PRIMARY KEY,
    spent     INTEGER NOT NULL DEFAULT 0,
    reserved  INTEGER NOT NULL DEFAULT 0
);

-- Budget held for one model call until it settles or expires.
CREATE TABLE reservations (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    job_id      TEXT NOT NULL,
    holds       TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    closed_at   INTEGER
);

CREATE INDEX reservations_held ON reservations (expires_at) WHERE state = 'held';

-- One row per model call, as the provider reported it.
CREATE TABLE usage_ledger (
    id                   TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL,
    job_id               TEXT NOT NULL,
    workflow             TEXT NOT NULL,
    stage_id             TEXT NOT NULL,
    provider             TEXT NOT NULL,
    model                TEXT NOT NULL,
    input_tokens         INTEGER NOT NULL,
    cached_input_tokens  INTEGER NOT NULL,
    output_tokens        INTEGER NOT NULL,
    cost_micros          INTEGER NOT NULL,
    at                   INTEGER NOT NULL
);

CREATE INDEX usage_by_account ON usage_ledger (account_id, at);
CREATE INDEX usage_by_time ON usage_ledger (at);

-- Token buckets for request rates; tokens are kept in millionths to refill continuously.
CREATE TABLE rate_buckets (
    key         TEXT PRIMARY KEY,
    tokens      INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Consecutive upstream failures of an account's jobs, for its cooldown.
CREATE TABLE account_health (
    account_id       TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL,
    last_failure_at  INTEGER NOT NULL
);

-- Fair claims look up the runnable jobs of one account at a time, and count its running ones.
CREATE INDEX jobs_runnable_by_account ON jobs (account_id, priority DESC, next_run_at) WHERE status IN ('queued', 'retrying');
CREATE INDEX jobs_running_by_account ON jobs (account_id) WHERE status = 'processing';
