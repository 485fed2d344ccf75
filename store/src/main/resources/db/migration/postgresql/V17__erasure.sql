-- Erasure on request, and the audit log's own retention cut at an anchored checkpoint.

-- The key subject digests are made with: one row, 32 random bytes (two random UUIDs' hex digits,
-- 244 random bits), made with the database so that every node digests a subject alike and a
-- restored backup keeps the key of its digests.
CREATE TABLE subject_key (
    id   integer PRIMARY KEY CHECK (id = 1),
    key  text NOT NULL
);
INSERT INTO subject_key (id, key) VALUES (1, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

-- Each job's declared subject by its keyed digest (never the value): an erasure by subject is an
-- index lookup, not a scan of payloads.
CREATE TABLE job_subjects (
    digest  text COLLATE "C" NOT NULL,
    job_id  text COLLATE "C" NOT NULL,
    PRIMARY KEY (digest, job_id)
);
CREATE INDEX job_subjects_by_job ON job_subjects (job_id);

-- When an erasure removed the job's payloads; NULL while it has not.
ALTER TABLE jobs ADD COLUMN erased_at timestamptz;

-- Erasures on request: one per scope (the id is derived from it), with what each removed.
CREATE TABLE erasures (
    id            text COLLATE "C" PRIMARY KEY,
    scope         text NOT NULL,
    target        text COLLATE "C" NOT NULL,
    requested_by  text NOT NULL,
    created_at    timestamptz NOT NULL,
    completed_at  timestamptz,
    jobs          bigint NOT NULL DEFAULT 0,
    rows_removed  bigint NOT NULL DEFAULT 0,
    characters    bigint NOT NULL DEFAULT 0,
    cancelled     bigint NOT NULL DEFAULT 0
);

-- Where the audit log was cut: the records up to through_seq are gone and the next one links to
-- head_hash. The audit.cut record appended with it names the same pair.
CREATE TABLE audit_checkpoints (
    through_seq  bigint PRIMARY KEY,
    head_hash    text NOT NULL,
    removed      bigint NOT NULL,
    at           timestamptz NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);

-- An erasure's batches find what else holds a job's content by the job's id.
CREATE INDEX webhook_deliveries_by_job ON webhook_deliveries (job_id);
CREATE INDEX result_cache_by_source ON result_cache (source_job);
CREATE INDEX eval_run_cases_by_job ON eval_run_cases (job_id);

-- ANALYZE keeps a column's most common values in pg_statistic: for text columns that hold job
-- content that would copy personal data where no erasure reaches. (json columns get no such list.)
ALTER TABLE payloads ALTER COLUMN body SET STATISTICS 0;
ALTER TABLE webhook_deliveries ALTER COLUMN payload SET STATISTICS 0;
ALTER TABLE jobs ALTER COLUMN error_message SET STATISTICS 0;
ALTER TABLE job_stages ALTER COLUMN error_message SET STATISTICS 0;
ALTER TABLE reviews ALTER COLUMN note SET STATISTICS 0;
