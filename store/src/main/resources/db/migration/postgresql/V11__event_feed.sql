-- The account-wide event stream (GET /v1/events) reads every job's events in one order that a
-- reader can resume from without missing any. seq alone cannot be that order here: it is taken at
-- insert, and a transaction that took seq 100 may commit after one that took 101, so a reader that
-- went past 101 would never see 100. Ordering by the writing transaction's id, and reading only the
-- transactions older than every one still running (pg_snapshot_xmin), gives an order in which
-- nothing can appear behind a reader's cursor. A transaction that stays open holds the stream back
-- until it ends; Mainstay's own transactions are short.
ALTER TABLE job_events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();

-- The job's status once the event was written, for the stream's status filter and for the end of a
-- job's stream. The writers of transitions set it; for other writers the trigger below takes the
-- status the event names, or else the job's row, which every writer updates before the event.
ALTER TABLE job_events ADD COLUMN status text;

CREATE INDEX job_events_by_tx ON job_events (tx, seq);

CREATE FUNCTION mainstay_event_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS NOT NULL THEN
        RETURN NEW;
    END IF;
    -- An event named for a status moved the job there; read it from the name, since a statement
    -- that updates the job and logs the event at once (the claim) does not see its own update here.
    -- A group commit may send a submit's event before its job row: a job just submitted is queued.
    NEW.status := CASE
        WHEN NEW.type IN ('queued', 'processing', 'waiting_for_tool', 'waiting_for_review', 'retrying', 'completed', 'partially_completed', 'degraded', 'failed', 'cancelled') THEN NEW.type
        ELSE COALESCE((SELECT status FROM jobs WHERE id = NEW.job_id), CASE WHEN NEW.type = 'submitted' THEN 'queued' END)
    END;
    RETURN NEW;
END
$$;

CREATE TRIGGER job_events_status BEFORE INSERT ON job_events
    FOR EACH ROW EXECUTE FUNCTION mainstay_event_status();

-- Every node's streams learn of events written on any node from this channel. NOTIFY folds the
-- identical notifications of one transaction into one, sent at its commit.
CREATE FUNCTION mainstay_events_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mainstay_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER job_events_notify AFTER INSERT ON job_events
    FOR EACH STATEMENT EXECUTE FUNCTION mainstay_events_written();
