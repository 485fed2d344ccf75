-- Data lifecycle: payloads and jobs expire by the retention policy, and a sweeper, one node at a
-- time, removes them in bounded batches.

-- When the sweeper removed a job's payloads (input, result, stage outputs, tool bodies, review
-- proposals); the row keeps its metadata. NULL while they are kept.
ALTER TABLE jobs ADD COLUMN payloads_expired_at timestamptz;

-- The sweep's scans: finished jobs by when they finished, whose payloads are still there.
-- Autovacuum reclaims what the sweep deletes; these keep each batch an index range scan.
CREATE INDEX jobs_finished ON jobs (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX job_events_by_time ON job_events (at);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- The lease that lets one node at a time sweep.
CREATE TABLE sweep_leases (
    name        text COLLATE "C" PRIMARY KEY,
    owner       text NOT NULL,
    expires_at  timestamptz NOT NULL
);
