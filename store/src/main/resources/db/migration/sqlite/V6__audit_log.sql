-- The audit log: append-only and hash-chained (see dev.mainstay.audit.AuditChain). Times are
-- fixed-width UTC text (yyyy-MM-ddTHH:mm:ss.SSSZ) so they sort and hash the same in every dialect.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    account_id  TEXT,
    subject     TEXT,
    job_id      TEXT,
    details     TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_by_job ON audit_log (job_id, seq);
CREATE INDEX audit_log_by_account ON audit_log (account_id, seq);
