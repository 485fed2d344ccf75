package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.Reviews;
import dev.mainstay.job.JobQuery;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import dev.mainstay.store.Store;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The caller's reviews: list, read, and decide (approve, edit or reject). */
final class ReviewsResource implements HttpService {
    private static final Set<String> DECISION_FIELDS = Set.of("decision", "output", "note", "override");

    private final Reviews reviews;
    private final Store store;
    private final Authenticator auth;
    private final Permissions permissions;
    private final RequestBody bodies;

    ReviewsResource(Reviews reviews, Store store, Authenticator auth, Permissions permissions, RequestBody bodies) {
        this.reviews = reviews;
        this.store = store;
        this.auth = auth;
        this.permissions = permissions;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/reviews", handler(this::list))
                .get("/v1/reviews/{id}", handler(this::review))
                .post("/v1/reviews/{id}/decision", handler(this::decide));
    }

    private Reply review(ServerRequest req) {
        Principal p = auth.authenticate(req);
        return Reply.json(200, ReviewView.render(permissions.readableReview(p, id(req))));
    }

    private Reply list(ServerRequest req) {
        Principal principal = auth.authenticate(req);
        QueryParameters query = QueryParameters.of(req);
        Review.Status status = null;
        Optional<String> statusText = query.first("status");
        if (statusText.isPresent()) {
            try {
                status = Review.Status.fromWire(statusText.get());
            } catch (IllegalArgumentException e) {
                query.error("status", "one of pending, approved, edited, rejected");
            }
        }
        int limit = (int) query.number("limit", JobQuery.DEFAULT_LIMIT, 1, JobQuery.MAX_LIMIT);
        String cursor = query.cursor();
        query.check("invalid query parameters");
        List<Review> reviews = store.reviews(new ReviewQuery(principal.accountId(), status, query.first("workflow").orElse(null), limit, cursor));
        ArrayNode list = Json.array();
        reviews.stream().filter(r -> permissions.mayRead(principal, r.workflow())).forEach(r -> list.add(ReviewView.render(r)));
        ObjectNode out = Json.object();
        out.set("reviews", list);
        out.put("next_cursor", reviews.size() == limit ? reviews.getLast().id() : null);
        return Reply.json(200, out);
    }

    private Reply decide(ServerRequest req) {
        Principal principal = auth.authenticate(req);
        String reviewId = id(req);
        permissions.readableReview(principal, reviewId);
        JsonNode body = bodies.json(req);
        if (!body.isObject()) {
            throw new InvalidInputException("the body must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        List<Violation> errors = new ArrayList<>();
        for (String field : body.propertyNames()) {
            if (!DECISION_FIELDS.contains(field)) {
                errors.add(new Violation(Json.pointer("", field), "unknown field (allowed: decision, output, note, override)"));
            }
        }
        Review.Decision decision = null;
        JsonNode d = body.get("decision");
        if (d == null || !d.isString()) {
            errors.add(new Violation("/decision", "required: approve, edit or reject"));
        } else {
            try {
                decision = Review.Decision.fromWire(d.stringValue());
            } catch (IllegalArgumentException e) {
                errors.add(new Violation("/decision", "must be approve, edit or reject, got '" + d.stringValue() + "'"));
            }
        }
        JsonNode note = body.get("note");
        if (note != null && (!note.isString() || note.stringValue().length() > 2000)) {
            errors.add(new Violation("/note", "must be a string of at most 2000 characters"));
        }
        if (decision != null && decision != Review.Decision.EDIT && body.has("output")) {
            errors.add(new Violation("/output", "only an 'edit' carries an output"));
        }
        JsonNode override = body.get("override");
        if (override != null && !override.isBoolean()) {
            errors.add(new Violation("/override", "must be true or false"));
        } else if (override != null && override.booleanValue() && decision != null && decision != Review.Decision.EDIT) {
            errors.add(new Violation("/override", "only an 'edit' overrides the output contract"));
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException("the decision is not valid", errors);
        }
        Review decided = reviews.decide(principal.accountId(), reviewId, decision, body.get("output"), note == null ? null : note.stringValue(), principal.keyId(),
                override != null && override.booleanValue());
        return Reply.json(200, ReviewView.render(decided));
    }

    private static String id(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }
}
