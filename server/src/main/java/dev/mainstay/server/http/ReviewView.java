package dev.mainstay.server.http;

import dev.mainstay.Json;
import dev.mainstay.review.Review;
import tools.jackson.databind.node.ObjectNode;

/** The wire form of a review. */
final class ReviewView {
    private ReviewView() {
    }

    static ObjectNode render(Review r) {
        ObjectNode o = Json.object();
        o.put("id", r.id());
        o.put("job_id", r.jobId());
        o.put("workflow", r.workflow());
        o.put("stage", r.stageId());
        o.put("status", r.status().wire());
        o.put("reason", r.reason());
        o.set("proposed", r.proposed() == null ? Json.MAPPER.nullNode() : r.proposed());
        o.set("provenance", r.provenance() == null ? Json.MAPPER.nullNode() : r.provenance().toJson());
        o.set("output", r.output() == null ? Json.MAPPER.nullNode() : r.output());
        o.put("reviewer", r.reviewer());
        o.put("note", r.note());
        o.put("on_expiry", r.onExpiry().wire());
        o.put("created_at", r.createdAt().toString());
        o.put("expires_at", r.expiresAt().toString());
        o.put("decided_at", r.decidedAt() == null ? null : r.decidedAt().toString());
        ObjectNode links = o.putObject("links");
        links.put("self", "/v1/reviews/" + r.id());
        links.put("job", "/v1/jobs/" + r.jobId());
        if (r.status() == Review.Status.PENDING) {
            links.put("decision", "/v1/reviews/" + r.id() + "/decision");
        }
        return o;
    }
}
