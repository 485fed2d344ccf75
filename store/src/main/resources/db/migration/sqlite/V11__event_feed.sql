-- The account-wide event stream (GET /v1/events) reads every job's events in seq order: SQLite has
-- one writer, so seq grows in commit order and a reader's cursor is the seq it read last. The tx
-- column exists so that both dialects read the same rows; it is always 0 here.
ALTER TABLE job_events ADD COLUMN tx INTEGER NOT NULL DEFAULT 0;

-- The job's status once the event was written, for the stream's status filter and for the end of a
-- job's stream. The writers of transitions set it; for other writers the trigger below takes the
-- status the event names, or else the job's row, which every writer updates before the event.
ALTER TABLE job_events ADD COLUMN status TEXT;

CREATE TRIGGER job_events_status AFTER INSERT ON job_events WHEN NEW.status IS NULL
BEGIN
    -- An event named for a status moved the job there. A group commit may send a submit's event
    -- before its job row: a job just submitted is queued.
    UPDATE job_events SET status = CASE
        WHEN NEW.type IN ('queued', 'processing', 'waiting_for_tool', 'waiting_for_review', 'retrying', 'completed', 'partially_completed', 'degraded', 'failed', 'cancelled') THEN NEW.type
        ELSE COALESCE((SELECT status FROM jobs WHERE id = NEW.job_id), CASE WHEN NEW.type = 'submitted' THEN 'queued' END)
    END WHERE seq = NEW.seq;
END;
