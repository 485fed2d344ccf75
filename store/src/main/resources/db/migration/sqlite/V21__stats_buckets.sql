-- Pre-bucketed figures of finished jobs, so that a summary of a day reads a few hundred rows
-- rather than every job of the day. A background fold adds each finished job once (stats_folded
-- marks it, so two folds cannot count it twice) to the buckets of its submit minute, hour and day,
-- under its account and under '*' (all accounts). Every figure is an additive count: a status, a
-- result type, a token or cost sum, a fallback rung, a latency histogram bin. Retention keeps
-- these rows when it deletes jobs: they are the figures that remain.
CREATE TABLE stats_buckets (
    account_id    TEXT NOT NULL,
    width_s       INTEGER NOT NULL,
    bucket_start  INTEGER NOT NULL,
    workflow      TEXT NOT NULL,
    version       INTEGER NOT NULL,
    metric        TEXT NOT NULL,
    label         TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (account_id, width_s, bucket_start, workflow, version, metric, label)
);

-- 0: not folded; 1: folded; 2: folded, with a retry counted (kept so that a replay takes back
-- exactly what the fold added, even once retention has removed the job's events).
ALTER TABLE jobs ADD COLUMN stats_folded INTEGER NOT NULL DEFAULT 0;

-- How far the fold has read the finished jobs, by completed_at; it reads again from a minute
-- before, so a job whose finishing commit came a little after its stamp is still found.
CREATE TABLE stats_fold (
    name            TEXT PRIMARY KEY,
    completed_from  INTEGER NOT NULL
);
