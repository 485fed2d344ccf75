package dev.mainstay.server.http;

import dev.mainstay.ErrorCode;
import dev.mainstay.access.Principal;
import dev.mainstay.job.EventCursor;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobStatus;
import dev.mainstay.server.openapi.OpenApiDocument;
import dev.mainstay.server.openapi.ReferencePage;
import dev.mainstay.server.stream.EventStreams;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Live delivery and the API's contract: the account's event stream ({@code GET /v1/events}), a
 * job's event stream (on {@code GET /v1/jobs/{id}/events} with {@code Accept: text/event-stream},
 * which {@link JobsResource} hands here), the OpenAPI document and the reference page.
 */
final class StreamsResource implements HttpService {
    private final EventStreams streams;
    private final WorkflowRegistry registry;
    private final Authenticator auth;
    private final Permissions permissions;
    private final String version;

    StreamsResource(EventStreams streams, WorkflowRegistry registry, Authenticator auth, Permissions permissions, String version) {
        this.streams = streams;
        this.registry = registry;
        this.auth = auth;
        this.permissions = permissions;
        this.version = version;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/events", this::accountStream)
                .get("/v1/openapi.json", Endpoint.handler(this::openApi))
                .get("/docs", (req, res) -> page(res, ""));
        for (String name : ReferencePage.names()) {
            if (!name.isEmpty()) {
                rules.get("/docs/" + name, (req, res) -> page(res, name));
            }
        }
    }

    // ---- streams -------------------------------------------------------------------------------

    /** The key of a stream: the Authorization header, or {@code access_token} in the query for a browser's EventSource. */
    private Principal streamPrincipal(ServerRequest req) {
        return auth.authenticateStream(req);
    }

    /** Serves {@code GET /v1/jobs/{id}/events} as a stream; the caller checked that the request asks for one. */
    void jobStream(ServerRequest req, ServerResponse res) {
        Principal p = streamPrincipal(req);
        Job job = permissions.readableJob(p, req.path().pathParameters().get("id"));
        long after = 0;
        Optional<String> resume = EventStreams.resumePoint(req);
        if (resume.isPresent()) {
            after = EventStreams.sequence(resume.get()).orElseThrow(() -> badResume("a job event's sequence number (the id of the last event received)"));
        }
        boolean finished = job.status().isTerminal();
        if (finished && streams.nothingAfter(job.id(), after)) {
            // 204 tells an EventSource to stop reconnecting: the job is over and everything was sent.
            res.status(Status.NO_CONTENT_204);
            SecurityHeaders.apply(res);
            res.send();
            return;
        }
        EventStreams.Admitted slot = admit(p);
        streams.serveJob(slot, res, job.id(), after, finished);
    }

    private void accountStream(ServerRequest req, ServerResponse res) {
        Principal p = streamPrincipal(req);
        if (!EventStreams.wantsStream(req)) {
            throw new ApiException(new Problem(406, ErrorCode.INVALID_INPUT, "GET /v1/events is a stream: send 'Accept: text/event-stream'",
                    false, Optional.empty(), List.of(Problem.FieldError.parameter("Accept", "text/event-stream"))));
        }
        QueryParameters query = QueryParameters.of(req);
        String workflow = query.first("workflow").orElse(null);
        Set<JobStatus> statuses = EnumSet.noneOf(JobStatus.class);
        for (String s : query.first("status").map(t -> t.split(",")).orElse(new String[0])) {
            try {
                statuses.add(JobStatus.fromWire(s.strip()));
            } catch (IllegalArgumentException e) {
                query.error("status", "unknown status '" + s.strip() + "'; one of "
                        + String.join(", ", Arrays.stream(JobStatus.values()).map(JobStatus::wire).toList()));
            }
        }
        EventCursor after = null;
        Optional<String> resume = EventStreams.resumePoint(req);
        if (resume.isPresent()) {
            Optional<EventCursor> c = EventStreams.cursor(resume.get());
            if (c.isEmpty()) {
                query.error("after", "must be the id of an event of this stream (a cursor such as 8342-1880)");
            } else {
                after = c.get();
            }
        }
        query.check("invalid query parameters");
        if (workflow != null) {
            permissions.requireRead(p, workflow);
        }
        EventStreams.Admitted slot = admit(p);
        streams.serveAccount(slot, res, p.accountId(), after, workflow, statuses, w -> permissions.mayRead(p, w));
    }

    private EventStreams.Admitted admit(Principal p) {
        return switch (streams.admit(p.accountId())) {
            case EventStreams.Admitted a -> a;
            case EventStreams.Refused r when r.accountFull() -> throw new ApiException(new Problem(429, ErrorCode.RATE_LIMITED,
                    "account " + p.accountId() + " has " + r.open() + " event streams open on this node, its limit (streams.per_account: " + r.cap()
                            + "); close one or retry later", true, Optional.of(r.retryAfter()), List.of()));
            case EventStreams.Refused r -> throw new ApiException(new Problem(503, ErrorCode.OVERLOADED,
                    "this node holds " + r.open() + " event streams, its limit (streams.per_node: " + r.cap() + "); retry later or on another node",
                    true, Optional.of(r.retryAfter()), List.of()));
        };
    }

    private static ApiException badResume(String what) {
        return new ApiException(Problem.invalid("invalid resume point", List.of(Problem.FieldError.parameter("Last-Event-ID", "must be " + what))));
    }

    // ---- the contract --------------------------------------------------------------------------

    private Reply openApi(ServerRequest req) {
        boolean withKey = req.headers().contains(HeaderNames.AUTHORIZATION);
        List<WorkflowDefinition> shown = List.of();
        if (withKey) {
            Principal p = auth.authenticate(req);
            shown = registry.all().stream().filter(w -> w.access().mayRun(p)).toList();
        }
        return Reply.json(200, OpenApiDocument.build(version, null, shown, withKey));
    }

    private static void page(ServerResponse res, String name) {
        ReferencePage.Asset asset = ReferencePage.asset(name).orElseThrow();
        res.status(Status.OK_200);
        SecurityHeaders.apply(res);
        res.header(HeaderNames.CONTENT_TYPE, asset.contentType());
        res.header("Content-Security-Policy", ReferencePage.CONTENT_SECURITY_POLICY);
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=3600");
        res.send(asset.bytes());
    }
}
