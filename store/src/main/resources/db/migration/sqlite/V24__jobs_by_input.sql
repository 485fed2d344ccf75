-- Expiring or erasing a job's payloads deletes its input unless a job with kept payloads still
-- holds the same input: without this index that check read every job row once per input, so one
-- batch of 500 over 10,000 jobs held the writer for seconds. Only jobs whose payloads are kept are
-- looked up, so the index leaves out the (many) others.
CREATE INDEX jobs_by_input ON jobs (input_hash) WHERE payloads_expired_at IS NULL;
