-- API keys get an operator's name and an optional expiry; revoked_at exists since V1.
ALTER TABLE api_keys ADD COLUMN name TEXT;
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;

CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at);
