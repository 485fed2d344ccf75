package dev.mainstay.audit;

/** What an audit event records. The wire names are stable: filters and stored rows use them. */
public enum AuditAction {
    JOB_SUBMITTED("job.submitted"),
    STAGE_STARTED("stage.started"),
    STAGE_ENDED("stage.ended"),
    MODEL_CALLED("model.called"),
    TOOL_CALLED("tool.called"),
    REVIEW_DECIDED("review.decided"),
    JOB_REPLAYED("job.replayed"),
    JOB_CANCELLED("job.cancelled"),
    KEY_CREATED("key.created"),
    KEY_REVOKED("key.revoked"),
    LIMITS_CHANGED("limits.changed"),
    CONFIG_LOADED("config.loaded"),
    DATA_EXPIRED("data.expired"),
    WORKFLOW_ACTIVATED("workflow.activated"),
    ACTIVATION_REFUSED("workflow.activation_refused"),
    EVAL_CASE_ADDED("eval_case.added"),
    EVAL_CASE_DELETED("eval_case.deleted"),
    DATA_ERASED("data.erased"),
    AUDIT_CUT("audit.cut");

    private final String wire;

    AuditAction(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static java.util.Optional<AuditAction> fromWire(String wire) {
        for (AuditAction a : values()) {
            if (a.wire.equals(wire)) {
                return java.util.Optional.of(a);
            }
        }
        return java.util.Optional.empty();
    }
}
