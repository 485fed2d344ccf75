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

-- The finished jobs the fold has yet to count: what it reads, and what a summary reads row by row
-- besides the buckets. It takes the place of jobs_completed_at, the twin of jobs_finished (same
-- columns, same condition), so that finishing a job writes no more index entries than before; the
-- fold's flag takes the job out of it again.
DROP INDEX jobs_completed_at;
CREATE INDEX jobs_unfolded ON jobs (completed_at) WHERE stats_folded = 0 AND completed_at IS NOT NULL;

-- The dead letters, for the queue snapshot's count (the overview, the metrics' gauge): a count
-- that otherwise reads every job. Only a job that fails into the dead-letter list (or leaves it
-- by a replay) writes to it.
CREATE INDEX jobs_dead_letters ON jobs (id) WHERE status = 'failed' AND dead_letter;
