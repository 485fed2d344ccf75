package dev.mainstay.audit;

import java.time.Instant;

/**
 * Which audit records to read, oldest first. Every filter is optional ({@code null}).
 *
 * @param afterSeq only records after this position (the previous page's last {@code seq}); 0 for the start
 */
public record AuditQuery(String jobId, String actor, AuditAction action, String accountId, Instant from, Instant to, long afterSeq, int limit) {
    public static final int MAX_LIMIT = 1000;

    public AuditQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
        }
        if (afterSeq < 0) {
            throw new IllegalArgumentException("afterSeq cannot be negative");
        }
    }

    public static AuditQuery all(int limit) {
        return new AuditQuery(null, null, null, null, null, null, 0, limit);
    }
}
