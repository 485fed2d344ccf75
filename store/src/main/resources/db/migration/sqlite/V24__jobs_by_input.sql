-- Expiring or erasing a job's payloads deletes its input unless a job with kept payloads still
-- holds the same input: without this index that check read every job row once per input, so one
-- batch of 500 over 10,000 jobs held the writer for seconds. Only jobs whose payloads are kept are
-- looked up, so the index leaves out the (many) others.
CREATE INDEX jobs_by_input ON jobs (input_hash) WHERE payloads_expired_at IS NULL;

-- The sweep's batches of payload expiry take the oldest finished jobs whose payloads are kept.
-- Through jobs_finished each batch first stepped over every job already expired (they keep their
-- completed_at), so a sweep over 100,000 jobs read about 10 million index entries; this index
-- holds only the jobs still to expire.
CREATE INDEX jobs_payloads_kept ON jobs (completed_at) WHERE payloads_expired_at IS NULL;
