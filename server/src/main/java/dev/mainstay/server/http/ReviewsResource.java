package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.EvalCases;
import dev.mainstay.evals.CorrectionRejectedException;
import dev.mainstay.engine.Reviews;
import dev.mainstay.job.JobQuery;
import dev.mainstay.review.Review;
import dev.mainstay.review.ReviewQuery;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoredEvalCase;
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

/** The caller's reviews: list, read, and decide (approve, edit or reject); an edit may also be saved as an eval case. */
final class ReviewsResource implements HttpService {
    private static final Set<String> DECISION_FIELDS = Set.of("decision", "output", "note", "override", "save_as_case");
    /** The role that may save a review's edit as an eval case, beside admin keys. */
    static final String EVAL_ROLE = "eval";

    private final Reviews reviews;
    private final EvalCases evalCases;
    private final Store store;
    private final Authenticator auth;
    private final Permissions permissions;
    private final RequestBody bodies;

    ReviewsResource(Reviews reviews, EvalCases evalCases, Store store, Authenticator auth, Permissions permissions, RequestBody bodies) {
        this.reviews = reviews;
        this.evalCases = evalCases;
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
        Review review = permissions.readableReview(principal, reviewId);
        JsonNode body = bodies.json(req);
        if (!body.isObject()) {
            throw new InvalidInputException("the body must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        List<Violation> errors = new ArrayList<>();
        for (String field : body.propertyNames()) {
            if (!DECISION_FIELDS.contains(field)) {
                errors.add(new Violation(Json.pointer("", field), "unknown field (allowed: decision, output, note, override, save_as_case)"));
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
        JsonNode save = body.get("save_as_case");
        if (save != null && decision != null && decision != Review.Decision.EDIT) {
            errors.add(new Violation("/save_as_case", "only an 'edit' is saved as a case: its output is the case's expected answer"));
        } else if (save != null && (!save.isObject() || !save.path("suite").isString() || save.path("suite").asString().isBlank())) {
            errors.add(new Violation("/save_as_case/suite", "required: the eval suite to save the case in"));
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException("the decision is not valid", errors);
        }
        StoredEvalCase kase = null;
        if (save != null) {
            if (!principal.admin() && !principal.roles().contains(EVAL_ROLE)) {
                throw ApiException.refuse(ErrorCode.FORBIDDEN, "this key may not save a review as an eval case: it needs an admin key or the role '"
                        + EVAL_ROLE + "'");
            }
            String suite = save.get("suite").asString();
            EvalCases.Capture c = EvalsResource.capture(save, suite, review.jobId(), "/save_as_case");
            // Checked before the decision, so that a case that cannot be saved leaves the review pending.
            try {
                kase = evalCases.checkEdit(review, body.get("output"), suite, c.name(), c.tags(), "key:" + principal.keyId(), "/save_as_case", "/output");
            } catch (CorrectionRejectedException e) {
                // As any edit that breaks the output contract is refused.
                throw new InvalidInputException(e.getMessage(), e.violations());
            }
        }
        Review decided = reviews.decide(principal.accountId(), reviewId, decision, body.get("output"), note == null ? null : note.stringValue(), principal.keyId(),
                override != null && override.booleanValue());
        ObjectNode out = ReviewView.render(decided);
        if (kase != null) {
            out.set("case", EvalsResource.caseView(evalCases.add(kase, "/save_as_case")));
        }
        return Reply.json(200, out);
    }

    private static String id(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }
}
