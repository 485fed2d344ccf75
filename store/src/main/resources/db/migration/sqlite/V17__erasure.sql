-- Erasure on request, and the audit log's own retention cut at an anchored checkpoint.

-- The key subject digests are made with: one row, 32 random bytes, made with the database so that
-- every process on it digests a subject alike and a restored backup keeps the key of its digests.
CREATE TABLE subject_key (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    key  TEXT NOT NULL
);
INSERT INTO subject_key (id, key) VALUES (1, lower(hex(randomblob(32))));

-- Each job's declared subject by its keyed digest (never the value): an erasure by subject is an
-- index lookup, not a scan of payloads.
CREATE TABLE job_subjects (
    digest  TEXT NOT NULL,
    job_id  TEXT NOT NULL,
    PRIMARY KEY (digest, job_id)
);
CREATE INDEX job_subjects_by_job ON job_subjects (job_id);

-- When an erasure removed the job's payloads; NULL while it has not.
ALTER TABLE jobs ADD COLUMN erased_at INTEGER;

-- Erasures on request: one per scope (the id is derived from it), with what each removed.
CREATE TABLE erasures (
    id            TEXT PRIMARY KEY,
    scope         TEXT NOT NULL,
    target        TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    completed_at  INTEGER,
    jobs          INTEGER NOT NULL DEFAULT 0,
    rows_removed  INTEGER NOT NULL DEFAULT 0,
    characters    INTEGER NOT NULL DEFAULT 0,
    cancelled     INTEGER NOT NULL DEFAULT 0
);

-- Where the audit log was cut: the records up to through_seq are gone and the next one links to
-- head_hash. The audit.cut record appended with it names the same pair.
CREATE TABLE audit_checkpoints (
    through_seq  INTEGER PRIMARY KEY,
    head_hash    TEXT NOT NULL,
    removed      INTEGER NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);

-- An erasure's batches find what else holds a job's content by the job's id.
CREATE INDEX webhook_deliveries_by_job ON webhook_deliveries (job_id);
CREATE INDEX result_cache_by_source ON result_cache (source_job);
CREATE INDEX eval_run_cases_by_job ON eval_run_cases (job_id);
