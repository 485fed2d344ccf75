package dev.mainstay.store;

import dev.mainstay.Json;
import dev.mainstay.audit.AuditAction;
import dev.mainstay.audit.AuditEvent;
import dev.mainstay.job.StageRun;
import dev.mainstay.limits.AccountLimits;
import dev.mainstay.usage.Charge;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit events a job transition stands for, besides the ones attached to it: the model calls
 * it records, and the start and end of the stage it commits. Stores append them in the
 * transition's own database transaction. Details carry ids, counts and codes only; never prompt
 * text, input, output or keys.
 */
public final class AuditTrail {
    /** The actor of what the engine does on its own. */
    public static final String ENGINE = "engine";

    private AuditTrail() {
    }

    /** One event per model call; recorded with the charges, whether or not the transition applies. */
    public static List<AuditEvent> modelCalls(List<Charge> charges) {
        List<AuditEvent> out = new ArrayList<>(charges.size());
        for (Charge c : charges) {
            var details = Json.object()
                    .put("stage", c.stageId()).put("provider", c.provider()).put("model", c.model())
                    .put("input_tokens", c.inputTokens()).put("output_tokens", c.outputTokens())
                    .put("cost_usd", AccountLimits.Money.usd(c.costMicros())).put("charge", c.id());
            if (c.basis() != Charge.Basis.REPORTED) {
                // Estimated because the provider's own counts were unusable, or because the call's
                // answer was never recorded (its node died mid-call): the note says which, in numbers only.
                details.put("usage", c.basis().wire()).put("usage_note", c.note());
            }
            out.add(new AuditEvent(c.at(), ENGINE, AuditAction.MODEL_CALLED, c.accountId(), c.jobId(), details));
        }
        return out;
    }

    /** The stage's start and end, when the transition commits a stage, then the attached events. */
    public static List<AuditEvent> ofTransition(JobTransition t, String accountId) {
        List<AuditEvent> out = new ArrayList<>(2 + t.audit().size());
        StageRun r = t.stageRun();
        if (r != null) {
            out.add(new AuditEvent(r.startedAt() == null ? t.at() : r.startedAt(), ENGINE, AuditAction.STAGE_STARTED, accountId, t.jobId(),
                    Json.object().put("stage", r.stageId()).put("index", r.index())));
            var details = Json.object().put("stage", r.stageId()).put("index", r.index()).put("status", r.status()).put("attempts", r.attempts());
            if (r.error() != null) {
                details.put("code", r.error().code().code());
            }
            out.add(new AuditEvent(t.at(), ENGINE, AuditAction.STAGE_ENDED, accountId, t.jobId(), details));
        }
        for (AuditEvent e : t.audit()) {
            out.add(e.accountId() == null ? new AuditEvent(e.at(), e.actor(), e.action(), accountId, e.subject(), e.details()) : e);
        }
        return out;
    }
}
