-- The audit log: append-only and hash-chained (see dev.mainstay.audit.AuditChain). Times are
-- fixed-width UTC text (yyyy-MM-ddTHH:mm:ss.SSSZ) so they sort and hash the same in every dialect;
-- details are text, not json, so the bytes that were hashed are the bytes kept.
CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY,
    at          text COLLATE "C" NOT NULL,
    actor       text COLLATE "C" NOT NULL,
    action      text COLLATE "C" NOT NULL,
    account_id  text COLLATE "C",
    subject     text COLLATE "C",
    job_id      text COLLATE "C",
    details     text,
    prev_hash   text COLLATE "C" NOT NULL,
    hash        text COLLATE "C" NOT NULL
);
CREATE INDEX audit_log_by_job ON audit_log (job_id, seq);
CREATE INDEX audit_log_by_account ON audit_log (account_id, seq);
