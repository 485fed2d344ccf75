package dev.mainstay.store.jdbc;

import dev.mainstay.Json;
import dev.mainstay.limits.Hold;
import dev.mainstay.limits.Reservation;
import dev.mainstay.usage.Charge;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The estimate a reservation is stored with: the charge recorded for its call if the call's answer
 * never is (see {@link dev.mainstay.store.LedgerStore#reserve}). Kept as a JSON document in the
 * reservation's row, in the same form on every dialect.
 */
final class Estimates {
    private Estimates() {
    }

    /**
     * Refuses an estimate that could not stand for the reservation's call.
     *
     * @throws IllegalArgumentException naming both ids. Indicates a bug in the caller.
     */
    static void check(Reservation r, Charge estimate) {
        if (estimate == null || !estimate.unknownOutcome() || !r.id().equals(estimate.reservationId()) || !r.jobId().equals(estimate.jobId())
                || !r.accountId().equals(estimate.accountId())) {
            throw new IllegalArgumentException("reservation " + r.id() + " of job " + r.jobId() + " needs an unknown-outcome charge of that reservation, "
                    + "job and account as its estimate; got " + (estimate == null ? "none" : "charge " + estimate.id() + " of reservation "
                    + estimate.reservationId() + ", job " + estimate.jobId() + ", basis " + estimate.basis().wire()) + ". Indicates a bug.");
        }
    }

    static ObjectNode toJson(Charge c) {
        ObjectNode o = Json.object().put("id", c.id()).put("account", c.accountId()).put("job", c.jobId()).put("workflow", c.workflow())
                .put("stage", c.stageId()).put("provider", c.provider()).put("model", c.model()).put("input_tokens", c.inputTokens())
                .put("cached_input_tokens", c.cachedInputTokens()).put("output_tokens", c.outputTokens()).put("cost_micros", c.costMicros())
                .put("at", c.at().toEpochMilli()).put("note", c.note());
        var scopes = o.putArray("scopes");
        for (Charge.CounterScope s : c.scopes()) {
            scopes.add(Json.object().put("scope", s.scope()).put("unit", s.unit().name()));
        }
        return o;
    }

    /** The estimate stored with reservation {@code reservationId}, as an unknown-outcome charge of it. */
    static Charge fromJson(String reservationId, String json) {
        JsonNode o = Json.parse(json);
        List<Charge.CounterScope> scopes = new ArrayList<>();
        for (JsonNode s : o.path("scopes")) {
            scopes.add(new Charge.CounterScope(s.path("scope").asString(), Hold.Unit.valueOf(s.path("unit").asString())));
        }
        return new Charge(o.path("id").asString(), reservationId, o.path("account").asString(), o.path("job").asString(), o.path("workflow").asString(),
                o.path("stage").asString(), o.path("provider").asString(), o.path("model").asString(), o.path("input_tokens").asLong(),
                o.path("cached_input_tokens").asLong(), o.path("output_tokens").asLong(), o.path("cost_micros").asLong(),
                Instant.ofEpochMilli(o.path("at").asLong()), scopes, Charge.Basis.UNKNOWN_OUTCOME, o.hasNonNull("note") ? o.get("note").asString() : null);
    }
}
