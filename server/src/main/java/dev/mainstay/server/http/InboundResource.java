package dev.mainstay.server.http;

import static dev.mainstay.server.http.ApiException.refuse;
import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.engine.Engine;
import dev.mainstay.server.webhooks.InboundSource;
import dev.mainstay.store.InboundStore;
import dev.mainstay.webhook.Signatures;
import dev.mainstay.workflow.WorkflowDefinition;
import dev.mainstay.workflow.WorkflowRegistry;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/inbound/{source}}: events from the configured sources, each starting the
 * workflow its type maps to, once per {@code webhook-id}. The signature and its timestamp are
 * checked before anything is read or stored; a repeat of a taken event answers with the job the
 * first one started; the job itself is submitted under the idempotency key
 * {@code inbound/<source>/<webhook-id>}, so concurrent repeats of one event start one job.
 */
final class InboundResource implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(InboundResource.class);
    /** Visible ASCII, short enough to sit in an idempotency key. */
    private static final Pattern WEBHOOK_ID = Pattern.compile("[\\x21-\\x7e]{1,200}");

    private final Map<String, InboundSource> sources;
    private final InboundStore store;
    private final Engine engine;
    private final WorkflowRegistry registry;
    private final Clock clock;
    private final RequestBody bodies;

    InboundResource(Map<String, InboundSource> sources, InboundStore store, Engine engine, WorkflowRegistry registry, Clock clock, RequestBody bodies) {
        this.sources = Map.copyOf(sources);
        this.store = store;
        this.engine = engine;
        this.registry = registry;
        this.clock = clock;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/inbound/{source}", handler(this::receive));
    }

    private Reply receive(ServerRequest req) throws InterruptedException {
        String name = req.path().pathParameters().get("source");
        InboundSource source = sources.get(name);
        if (source == null) {
            throw refuse(ErrorCode.NOT_FOUND, "no inbound source '" + name + "'" + (sources.isEmpty() ? "; none is configured (inbound: in the configuration)"
                    : "; the sources are " + String.join(", ", sources.keySet())));
        }
        RequestBody.Raw body = bodies.raw(req);
        String id = header(req, "webhook-id");
        Signatures.Refusal refusal = Signatures.verify(source.secrets(), id, header(req, "webhook-timestamp"), header(req, "webhook-signature"), body.bytes(),
                clock.instant(), source.tolerance());
        if (refusal != null) {
            LOG.info("inbound {}: refused an event ({})", name, refusal);
            throw refuse(ErrorCode.INVALID_SIGNATURE, switch (refusal) {
                case MISSING_HEADERS -> "the event lacks a webhook-id, webhook-timestamp or webhook-signature header";
                case BAD_TIMESTAMP -> "webhook-timestamp must be Unix seconds";
                case OUTSIDE_WINDOW -> "webhook-timestamp is more than " + source.tolerance().toSeconds() + " s from now (" + clock.instant().getEpochSecond()
                        + "): a replayed or delayed event is refused; the sender signs each attempt anew";
                case NO_MATCH -> "no signature in webhook-signature matches source '" + name + "''s secret";
            });
        }
        if (!WEBHOOK_ID.matcher(id).matches()) {
            throw new InvalidInputException("webhook-id must be 1 to 200 visible ASCII characters", List.of());
        }
        Optional<String> seen = store.inboundJob(name, id);
        if (seen.isPresent()) {
            return answer(seen.get(), null, false);
        }
        JsonNode event = body.json();
        if (!event.isObject()) {
            throw new InvalidInputException("the event must be a JSON object {\"type\": …, \"data\": {…}}", List.of(new Violation("", "expected an object")));
        }
        JsonNode type = event.get("type");
        if (type == null || !type.isString()) {
            throw new InvalidInputException("the event has no type", List.of(new Violation("/type", "is required: a string naming the event type")));
        }
        String workflowName = source.workflowFor(type.asString()).orElseThrow(() -> new InvalidInputException("source '" + name
                + "' maps no workflow to event type '" + type.asString() + "'", List.of(new Violation("/type", "must be one of " + source.events().keySet()))));
        JsonNode data = event.get("data");
        if (data == null || !data.isObject()) {
            throw new InvalidInputException("the event has no data object", List.of(new Violation("/data", "is required: the workflow's input, an object")));
        }
        WorkflowDefinition workflow = registry.active(workflowName).orElseThrow(() -> refuse(ErrorCode.UNKNOWN_WORKFLOW, "source '" + name + "' maps '"
                + type.asString() + "' to workflow '" + workflowName + "', which this server does not run"));
        Principal principal = new Principal(source.account(), "inbound:" + name, Set.of(), false);
        Engine.Submission submission;
        try {
            submission = engine.submit(principal, workflow, data, "inbound/" + name + "/" + id);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(e.getMessage(), e.violations().stream().map(v -> new Violation("/data" + v.pointer(), v.message())).toList());
        }
        store.recordInbound(name, id, type.asString(), submission.job().id(), clock.instant());
        if (submission.created()) {
            LOG.info("inbound {}: event {} ({}) started job {} of {}", name, id, type.asString(), submission.job().id(), workflowName);
        }
        return answer(submission.job().id(), submission.job().status().wire(), submission.created());
    }

    private static Reply answer(String jobId, String status, boolean created) {
        ObjectNode out = Json.object().put("job_id", jobId);
        if (status != null) {
            out.put("status", status);
        }
        out.put("duplicate", !created);
        out.putObject("links").put("job", "/v1/jobs/" + jobId);
        return Reply.json(created ? 202 : 200, out).withHeader("Location", "/v1/jobs/" + jobId);
    }

    private static String header(ServerRequest req, String name) {
        return req.headers().first(HeaderNames.create(name)).map(String::strip).orElse(null);
    }
}
