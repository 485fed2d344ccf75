-- The console finds a customer's job by the Idempotency-Key it was sent with, across accounts.
CREATE INDEX jobs_by_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
