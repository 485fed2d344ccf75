package dev.mainstay.store.jdbc;

import dev.mainstay.audit.AuditCheck;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import dev.mainstay.store.AuditStore;
import java.util.List;

/** The audit log, on any dialect (see {@link AuditLog}). */
final class JdbcAudit implements AuditStore {
    /** Records read per page while the whole chain is verified. */
    private static final int VERIFY_PAGE = 1000;

    private final Sql sql;

    JdbcAudit(Sql sql) {
        this.sql = sql;
    }

    @Override
    public void audit(List<AuditEvent> events) {
        if (!events.isEmpty()) {
            sql.write(c -> {
                AuditLog.append(c, sql, null, events);
                return null;
            });
        }
    }

    @Override
    public List<AuditRecord> auditLog(AuditQuery query) {
        return sql.read(c -> AuditLog.query(c, query));
    }

    @Override
    public AuditCheck verifyAudit() {
        return sql.read(c -> AuditLog.verify(c, sql, VERIFY_PAGE));
    }
}
