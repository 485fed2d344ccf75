-- The account-wide event stream (GET /v1/events) reads every job's events in seq order: SQLite has
-- one writer, so seq grows in commit order and a reader's cursor is the seq it read last. The tx
-- column exists so that both dialects read the same rows; it is always 0 here.
ALTER TABLE job_events ADD COLUMN tx INTEGER NOT NULL DEFAULT 0;

-- The job's status once the event was written, for the stream's status filter. Set from the job's
-- row, which every writer updates before it writes the event, in the same transaction.
ALTER TABLE job_events ADD COLUMN status TEXT;

CREATE TRIGGER job_events_status AFTER INSERT ON job_events
BEGIN
    -- A group commit may send a submit's event before its job row: a job just submitted is queued.
    UPDATE job_events SET status = COALESCE((SELECT status FROM jobs WHERE id = NEW.job_id),
        CASE WHEN NEW.type = 'submitted' THEN 'queued' END) WHERE seq = NEW.seq;
END;
