package dev.mainstay.audit;

/**
 * An audit event as the log holds it: its place in the chain and the links that make tampering
 * visible.
 *
 * @param seq its position, from 1 without gaps
 * @param event the event as read back, for display
 * @param jobId the job the event belongs to, or {@code null}
 * @param prevHash the hash of the record before it ({@link AuditChain#GENESIS} for the first)
 * @param hash {@link AuditChain#hash} of this record's content and {@code prevHash}, as stored
 * @param stored the text columns exactly as stored, which the hash covers
 */
public record AuditRecord(long seq, AuditEvent event, String jobId, String prevHash, String hash, Stored stored) {

    /** The columns as written: the time as fixed-width UTC text, the action's wire name, the details' JSON text. */
    public record Stored(String at, String actor, String action, String accountId, String subject, String details) {
    }
}
