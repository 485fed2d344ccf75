package dev.mainstay.audit;

import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * One meaningful action, as the audit log keeps it.
 *
 * @param actor who did it: {@code key:<key id>} for a caller, {@code engine} for the engine,
 *     {@code system} for the node itself
 * @param accountId the account the action belongs to, or {@code null} for node-wide actions
 * @param subject what it was done to: a job id, key id or account id
 * @param details already redacted: never raw input, output, secrets or provider keys
 */
public record AuditEvent(Instant at, String actor, AuditAction action, String accountId, String subject, JsonNode details) {
    /** The actor of what a node does on its own account, such as loading its configuration. */
    public static final String SYSTEM = "system";

    public AuditEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
    }
}
