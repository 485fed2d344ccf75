package dev.mainstay.server.http;

import static dev.mainstay.server.http.ApiException.refuse;
import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.job.Job;
import dev.mainstay.job.JobStatus;
import dev.mainstay.store.InboundStore;
import dev.mainstay.store.JobTransition;
import dev.mainstay.store.Store;
import dev.mainstay.store.StoreException;
import dev.mainstay.webhook.CallbackTokens;
import dev.mainstay.workflow.StageDefinition;
import dev.mainstay.workflow.ToolStage;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/callbacks/{token}}: the result of a callback tool stage, posted by the integration
 * to the URL it was sent. The token is the credential: a forged one is refused before anything is
 * read; a real one resumes its job once, with the body (checked against the stage's result schema)
 * as the stage's outcome; a repeat is acknowledged and changes nothing; an expired one is refused.
 */
final class CallbacksResource implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(CallbacksResource.class);

    private final Store store;
    private final CallbackTokens tokens;
    private final WorkflowRegistry registry;
    private final Clock clock;
    private final RequestBody bodies;

    CallbacksResource(Store store, CallbackTokens tokens, WorkflowRegistry registry, Clock clock, RequestBody bodies) {
        this.store = store;
        this.tokens = tokens;
        this.registry = registry;
        this.clock = clock;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/callbacks/{token}", handler(this::receive));
    }

    private Reply receive(ServerRequest req) {
        String token = req.path().pathParameters().get("token");
        if (!tokens.authentic(token)) {
            throw refuse(ErrorCode.NOT_FOUND, "no callback is expected at this URL");
        }
        String hash = CallbackTokens.hash(token);
        InboundStore.CallbackToken t = store.callbackToken(hash).orElseThrow(() -> refuse(ErrorCode.NOT_FOUND, "no callback is expected at this URL"));
        if (t.usedAt() != null) {
            return duplicate(t);
        }
        Instant now = clock.instant();
        if (!t.expiresAt().isAfter(now)) {
            throw refuse(ErrorCode.INVALID_STATE, "the callback of stage '" + t.stageId() + "' of job " + t.jobId() + " was due by " + t.expiresAt()
                    + "; the stage timed out");
        }
        JsonNode body = bodies.json(req);
        Job job = store.job(t.jobId()).orElseThrow(() -> refuse(ErrorCode.NOT_FOUND, "no callback is expected at this URL"));
        ToolStage stage = stage(job, t);
        List<Violation> violations = stage.callback().result().validate(body);
        if (!violations.isEmpty()) {
            throw new InvalidInputException("the callback's body does not match the result schema of stage '" + t.stageId() + "'", violations);
        }
        JobTransition resume = JobTransition.to(job.id(), JobStatus.QUEUED, now).from(JobStatus.WAITING_FOR_TOOL).nextRunAt(now).releaseLease()
                .event("callback_received", Json.object().put("stage", t.stageId()).put("index", t.stageIndex())).build();
        boolean used;
        try {
            used = store.useCallbackToken(hash, now, body, resume);
        } catch (StoreException e) {
            String status = store.job(job.id()).map(j -> j.status().wire()).orElse("gone");
            throw refuse(ErrorCode.INVALID_STATE, "job " + job.id() + " is " + status + ", no longer waiting for the callback of stage '" + t.stageId() + "'");
        }
        if (!used) {
            // Another post of the same callback won, or the stage timed out meanwhile.
            InboundStore.CallbackToken now2 = store.callbackToken(hash).orElseThrow();
            if (now2.usedAt() != null) {
                return duplicate(now2);
            }
            throw refuse(ErrorCode.INVALID_STATE, "the callback of stage '" + t.stageId() + "' of job " + t.jobId() + " was due by " + t.expiresAt());
        }
        LOG.info("callback for job {} stage {} taken; the job is queued to go on", job.id(), t.stageId());
        return Reply.json(200, Json.object().put("accepted", true).put("duplicate", false).put("job_id", job.id()));
    }

    private ToolStage stage(Job job, InboundStore.CallbackToken t) {
        Optional<WorkflowDefinition> wf = registry.version(job.workflow(), job.workflowVersion());
        StageDefinition s = wf.map(w -> t.stageIndex() < w.stages().size() ? w.stages().get(t.stageIndex()) : null).orElse(null);
        if (!(s instanceof ToolStage tool) || tool.callback() == null) {
            throw refuse(ErrorCode.INVALID_STATE, "stage " + t.stageIndex() + " of job " + job.id() + " (" + job.workflow() + " v" + job.workflowVersion()
                    + ") takes no callback on this node");
        }
        return tool;
    }

    private static Reply duplicate(InboundStore.CallbackToken t) {
        return Reply.json(200, Json.object().put("accepted", false).put("duplicate", true).put("job_id", t.jobId()));
    }
}
