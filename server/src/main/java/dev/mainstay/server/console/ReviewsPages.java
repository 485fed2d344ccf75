package dev.mainstay.server.console;

import static dev.mainstay.server.console.Console.param;
import static dev.mainstay.server.console.Console.pretty;
import static dev.mainstay.server.console.Console.redirect;
import static dev.mainstay.server.console.Console.seconds;
import static dev.mainstay.server.console.Console.view;

import dev.mainstay.ErrorCode;
import dev.mainstay.access.Principal;
import dev.mainstay.access.WorkflowAccess;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.Reviews;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import dev.mainstay.server.console.Console.Answer;
import dev.mainstay.server.console.Console.Refused;
import dev.mainstay.server.console.Console.Role;
import dev.mainstay.server.console.Sessions.Session;
import dev.mainstay.store.Store;
import dev.mainstay.workflow.ModelStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** The review queue and a review's page: approve, reject, or edit through a form generated from the stage's output schema. */
final class ReviewsPages {
    private final Reviews reviews;
    private final WorkflowRegistry registry;
    private final Store store;
    private final Clock clock;

    ReviewsPages(Reviews reviews, WorkflowRegistry registry, Store store, Clock clock) {
        this.reviews = reviews;
        this.registry = registry;
        this.store = store;
        this.clock = clock;
    }

    Answer reviewQueue(ServerRequest req, Session s) {
        Principal p = s.principal();
        boolean admin = Role.of(p) == Role.ADMIN;
        List<Review> pending = store.reviews(new ReviewQuery(admin ? param(req, "account").orElse(null) : s.accountId(), Review.Status.PENDING,
                param(req, "workflow").orElse(null), 500, null));
        Instant now = clock.instant();
        List<Map<String, Object>> rows = new ArrayList<>();
        pending.stream().filter(r -> admin || readable(p, r)).sorted(Comparator.comparing(Review::createdAt)).forEach(r -> {
            Map<String, Object> m = reviewModel(r);
            m.put("age", seconds(Duration.between(r.createdAt(), now)).replace(".0 s", " s"));
            rows.add(m);
        });
        return view("reviews", Map.of("title", "Reviews", "reviews", rows, "empty", rows.isEmpty()));
    }

    private boolean readable(Principal p, Review r) {
        return registry.active(r.workflow()).map(WorkflowDefinition::access).orElse(WorkflowAccess.ANY).mayRead(p);
    }

    private Review visibleReview(Session s, String id) {
        Principal p = s.principal();
        boolean admin = Role.of(p) == Role.ADMIN;
        Review r = store.review(id).filter(x -> admin || x.accountId().equals(s.accountId()))
                .orElseThrow(() -> new Refused(404, ErrorCode.NOT_FOUND, "review " + id + " not found"));
        if (!admin && !readable(p, r)) {
            throw new Refused(403, ErrorCode.FORBIDDEN, "this key may not decide reviews of " + r.workflow());
        }
        return r;
    }

    private static Map<String, Object> reviewModel(Review r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("jobId", r.jobId());
        m.put("account", r.accountId());
        m.put("workflow", r.workflow());
        m.put("stage", r.stageId());
        m.put("reason", r.reason());
        m.put("status", r.status().wire());
        m.put("pending", r.status() == Review.Status.PENDING);
        m.put("created", r.createdAt().toString());
        m.put("expires", r.expiresAt().toString());
        m.put("onExpiry", r.onExpiry().wire());
        m.put("reviewer", r.reviewer());
        m.put("note", r.note());
        m.put("decided", r.decidedAt() == null ? null : r.decidedAt().toString());
        return m;
    }

    Answer review(ServerRequest req, Session s) {
        Review r = visibleReview(s, req.path().pathParameters().get("id"));
        return reviewPage(r, ReviewForm.of(schema(r), r.proposed()), 200, null);
    }

    Answer reviewPage(Review r, ReviewForm form, int status, String error) {
        Map<String, Object> model = reviewModel(r);
        model.put("title", "Review " + r.id());
        model.put("proposed", pretty(r.proposed()));
        model.put("output", pretty(r.output()));
        model.put("input", store.job(r.jobId()).map(j -> pretty(j.input())).orElse("none"));
        model.put("fields", form.fields().stream().map(ReviewForm.Field::toMap).toList());
        model.put("formError", error);
        return new Answer(status, "review", model, null, null);
    }

    private JsonNode schema(Review r) {
        return store.job(r.jobId()).flatMap(j -> registry.version(j.workflow(), j.workflowVersion())).map(w -> w.stages().get(r.stageIndex()))
                .map(st -> st instanceof ModelStage m ? m.output().schema().node() : null).orElse(null);
    }

    Answer decide(ServerRequest req, Session s, Map<String, String> form) {
        Review r = visibleReview(s, req.path().pathParameters().get("id"));
        Review.Decision decision;
        try {
            decision = Review.Decision.fromWire(form.getOrDefault("decision", ""));
        } catch (IllegalArgumentException e) {
            throw new Refused(400, ErrorCode.INVALID_INPUT, "decision must be approve, edit or reject");
        }
        String note = form.getOrDefault("note", "").strip();
        if (note.length() > 2000) {
            throw new Refused(400, ErrorCode.INVALID_INPUT, "the note has more than 2000 characters");
        }
        String reviewer = s.keyId();
        if (decision != Review.Decision.EDIT) {
            reviews.decide(r.accountId(), r.id(), decision, null, note.isEmpty() ? null : note, reviewer);
            return redirect("/console/reviews/" + r.id());
        }
        ReviewForm edit = ReviewForm.of(schema(r), r.proposed()).read(form);
        if (edit.hasErrors()) {
            return reviewPage(r, edit, 422, "Nothing was saved: correct the fields marked below.");
        }
        try {
            reviews.decide(r.accountId(), r.id(), decision, edit.output(), note.isEmpty() ? null : note, reviewer);
        } catch (InvalidInputException e) {
            ReviewForm marked = edit.withViolations(e.violations());
            String unplaced = e.violations().stream().filter(v -> !marked.places(v)).map(Violation::message).reduce((a, b) -> a + "; " + b).orElse(null);
            return reviewPage(r, marked, 422, "Nothing was saved: " + (unplaced == null ? "correct the fields marked below." : unplaced));
        }
        return redirect("/console/reviews/" + r.id());
    }
}
