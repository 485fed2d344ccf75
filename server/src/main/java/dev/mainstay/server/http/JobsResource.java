package dev.mainstay.server.http;

import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.engine.Engine;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobEvent;
import dev.mainstay.job.JobPage;
import dev.mainstay.job.JobQuery;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.Store;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The caller's jobs: list, read, events, cancel, replay, and the difference between two.
 * Every id is looked up in the caller's account only.
 */
final class JobsResource implements HttpService {
    private static final int MAX_EVENTS = 1000;

    private final Engine engine;
    private final Store store;
    private final Clock clock;
    private final Authenticator auth;
    private final Permissions permissions;

    JobsResource(Engine engine, Store store, Clock clock, Authenticator auth, Permissions permissions) {
        this.engine = engine;
        this.store = store;
        this.clock = clock;
        this.auth = auth;
        this.permissions = permissions;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/jobs", handler(this::list))
                .get("/v1/jobs/{id}", handler(this::job))
                .get("/v1/jobs/{id}/events", handler(this::events))
                .post("/v1/jobs/{id}/cancel", handler(this::cancel))
                .post("/v1/jobs/{id}/replay", handler(this::replay))
                .get("/v1/jobs/{id}/diff/{other}", handler(this::diff));
    }

    private Reply job(ServerRequest req) {
        Principal p = auth.authenticate(req);
        return Reply.json(200, view(permissions.readableJob(p, id(req))));
    }

    private Reply cancel(ServerRequest req) {
        Principal p = auth.authenticate(req);
        Job job = permissions.runnableJob(p, id(req));
        return Reply.json(200, view(engine.cancel(p.accountId(), job.id(), "key:" + p.keyId())));
    }

    private Reply replay(ServerRequest req) {
        Principal p = auth.authenticate(req);
        Job job = permissions.runnableJob(p, id(req));
        return Reply.json(202, view(engine.replay(p.accountId(), job.id(), "key:" + p.keyId()))).withHeader("Location", "/v1/jobs/" + job.id());
    }

    private Reply diff(ServerRequest req) {
        Principal p = auth.authenticate(req);
        Job a = permissions.readableJob(p, id(req));
        Job b = permissions.readableJob(p, req.path().pathParameters().get("other"));
        return Reply.json(200, JobDiff.render(a, b));
    }

    private Reply list(ServerRequest req) {
        Principal principal = auth.authenticate(req);
        QueryParameters query = QueryParameters.of(req);
        String workflow = query.first("workflow").orElse(null);
        JobStatus status = null;
        Optional<String> statusText = query.first("status");
        if (statusText.isPresent()) {
            try {
                status = JobStatus.fromWire(statusText.get());
            } catch (IllegalArgumentException e) {
                query.error("status", "unknown status '" + statusText.get() + "'; one of "
                        + String.join(", ", Arrays.stream(JobStatus.values()).map(JobStatus::wire).toList()));
            }
        }
        Boolean deadLetter = null;
        Optional<String> dl = query.first("dead_letter");
        if (dl.isPresent()) {
            switch (dl.get()) {
                case "true" -> deadLetter = true;
                case "false" -> deadLetter = false;
                default -> query.error("dead_letter", "must be true or false");
            }
        }
        int limit = (int) query.number("limit", JobQuery.DEFAULT_LIMIT, 1, JobQuery.MAX_LIMIT);
        String cursor = query.cursor();
        query.check("invalid query parameters");
        if (workflow != null) {
            permissions.requireRead(principal, workflow);
        }
        JobPage page = store.jobs(new JobQuery(principal.accountId(), workflow, status, deadLetter, limit, cursor));
        Instant now = clock.instant();
        ArrayNode jobs = Json.array();
        // Jobs of workflows the key may not read are left out of the page, which may then be
        // shorter than the limit; next_cursor still continues after the whole page.
        page.jobs().stream().filter(j -> permissions.mayRead(principal, j.workflow())).forEach(j -> jobs.add(JobView.render(j, null, now)));
        ObjectNode out = Json.object();
        out.set("jobs", jobs);
        out.put("next_cursor", page.nextCursor().orElse(null));
        return Reply.json(200, out);
    }

    private Reply events(ServerRequest req) {
        Principal p = auth.authenticate(req);
        String id = id(req);
        permissions.readableJob(p, id);
        QueryParameters query = QueryParameters.of(req);
        long after = 0;
        Optional<String> afterText = query.first("after");
        if (afterText.isPresent()) {
            try {
                after = Long.parseLong(afterText.get());
            } catch (NumberFormatException e) {
                query.error("after", "must be an event sequence number");
            }
        }
        query.check("invalid query parameters");
        ArrayNode list = Json.array();
        for (JobEvent e : store.events(id, after, MAX_EVENTS)) {
            ObjectNode o = list.addObject();
            o.put("seq", e.seq());
            o.put("type", e.type());
            o.set("data", e.data() == null ? Json.MAPPER.nullNode() : e.data());
            o.put("at", e.at().toString());
        }
        return Reply.json(200, Json.object().set("events", list));
    }

    /** The envelope of {@code job} with its stages. */
    private ObjectNode view(Job job) {
        return JobView.render(job, store.stages(job.id()), clock.instant());
    }

    private static String id(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }
}
