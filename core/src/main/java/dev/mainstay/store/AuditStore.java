package dev.mainstay.store;

import dev.mainstay.audit.AuditCheck;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.audit.AuditQuery;
import dev.mainstay.audit.AuditRecord;
import java.util.List;

/** The append-only, hash-chained audit log. */
public interface AuditStore {
    /**
     * Appends events to the hash-chained audit log, durably and in order. Events that belong to a
     * job travel with it instead ({@link NewJob#audit()}, {@link JobTransition#audit()}); the
     * stores add the events a transition stands for ({@link AuditTrail}).
     */
    void audit(List<AuditEvent> events);

    /** Audit records matching the query, oldest first. */
    List<AuditRecord> auditLog(AuditQuery query);

    /** Walks the whole chain and reports the first broken link, if any. */
    AuditCheck verifyAudit();
}
