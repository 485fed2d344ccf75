package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.job.JobNotFoundException;
import dev.mainstay.store.Erasure;
import dev.mainstay.retention.ErasureNotFoundException;
import dev.mainstay.store.ErasureScope;
import dev.mainstay.retention.Erasures;
import dev.mainstay.store.Store;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Erasure on request, for operators: {@code POST /v1/admin/erasures} with exactly one of
 * {@code job}, {@code account} or {@code subject} erases now and answers the erasure and its
 * counts (201 the first time, 200 when the same scope was erased before); {@code GET
 * /v1/admin/erasures/{id}} reads one back. A subject value is never echoed: the erasure names it by
 * its digest.
 */
final class ErasuresResource implements HttpService {
    private static final Set<String> FIELDS = Set.of("job", "account", "subject");
    private static final int MAX_VALUE = 1000;

    private final Erasures erasures;
    private final Store store;
    private final Authenticator auth;
    private final RequestBody bodies;

    ErasuresResource(Erasures erasures, Store store, Authenticator auth, RequestBody bodies) {
        this.erasures = erasures;
        this.store = store;
        this.auth = auth;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/admin/erasures", handler(this::erase))
                .get("/v1/admin/erasures/{id}", handler(this::show));
    }

    private Reply erase(ServerRequest req) {
        Principal admin = auth.admin(req);
        ErasureScope scope = scope(bodies.json(req));
        boolean again = erasures.erasure(Erasure.idOf(scope)).isPresent();
        if (!again) {
            switch (scope) {
                case ErasureScope.Job job -> store.job(job.jobId()).orElseThrow(() -> new JobNotFoundException(job.jobId()));
                case ErasureScope.Account account -> store.account(account.accountId()).orElseThrow(() ->
                        new InvalidInputException("no account '" + account.accountId() + "'", List.of(new Violation("/account", "no such account"))));
                case ErasureScope.Subject subject -> {
                    // Any value may name a subject; one no job declares erases nothing.
                }
            }
        }
        Erasure done = erasures.erase(scope, "key:" + admin.keyId());
        return Reply.json(again ? 200 : 201, view(done));
    }

    private Reply show(ServerRequest req) {
        auth.admin(req);
        String id = req.path().pathParameters().get("id");
        return Reply.json(200, view(erasures.erasure(id).orElseThrow(() -> new ErasureNotFoundException(id))));
    }

    private ErasureScope scope(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidInputException("the body must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        List<Violation> errors = new ArrayList<>();
        List<String> given = new ArrayList<>();
        for (String field : body.propertyNames()) {
            if (!FIELDS.contains(field)) {
                errors.add(new Violation(Json.pointer("", field), "unknown field (allowed: one of job, account, subject)"));
                continue;
            }
            JsonNode v = body.get(field);
            if (!v.isString() || v.stringValue().isBlank() || v.stringValue().length() > MAX_VALUE) {
                errors.add(new Violation("/" + field, "must be a non-empty string of at most " + MAX_VALUE + " characters"));
            } else {
                given.add(field);
            }
        }
        if (errors.isEmpty() && given.size() != 1) {
            errors.add(new Violation("", given.isEmpty() ? "needs one of job, account or subject" : "names " + given + "; an erasure takes exactly one"));
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException("the erasure request is not valid", errors);
        }
        String field = given.getFirst();
        String value = body.get(field).stringValue().strip();
        return switch (field) {
            case "job" -> new ErasureScope.Job(value);
            case "account" -> new ErasureScope.Account(value);
            default -> erasures.subject(value);
        };
    }

    static ObjectNode view(Erasure e) {
        ObjectNode o = Json.object().put("id", e.id()).put("scope", e.scope().kind());
        switch (e.scope()) {
            case ErasureScope.Job job -> o.put("job", job.jobId());
            case ErasureScope.Account account -> o.put("account", account.accountId());
            case ErasureScope.Subject subject -> o.put("subject_digest", subject.digest());
        }
        o.put("requested_by", e.requestedBy()).put("created_at", e.createdAt().toString());
        if (e.completedAt() == null) {
            o.putNull("completed_at");
        } else {
            o.put("completed_at", e.completedAt().toString());
        }
        o.putObject("counts").put("jobs", e.jobs()).put("rows", e.rows()).put("characters", e.characters()).put("cancelled", e.cancelled());
        o.putObject("links").put("self", "/v1/admin/erasures/" + e.id());
        return o;
    }
}
