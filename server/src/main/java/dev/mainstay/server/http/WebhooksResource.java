package dev.mainstay.server.http;

import static dev.mainstay.server.http.ApiException.refuse;
import static dev.mainstay.server.http.Endpoint.handler;

import dev.mainstay.ErrorCode;
import dev.mainstay.Json;
import dev.mainstay.access.Principal;
import dev.mainstay.contract.InvalidInputException;
import dev.mainstay.contract.Violation;
import dev.mainstay.job.JobIds;
import dev.mainstay.net.OutboundGuard;
import dev.mainstay.store.WebhookStore;
import dev.mainstay.webhook.Delivery;
import dev.mainstay.webhook.DeliveryQuery;
import dev.mainstay.webhook.DueDelivery;
import dev.mainstay.webhook.EventTypes;
import dev.mainstay.webhook.SecretBox;
import dev.mainstay.webhook.SigningSecret;
import dev.mainstay.webhook.WebhookEndpoint;
import dev.mainstay.workflow.WorkflowRegistry;
import dev.mainstay.config.YamlDocument;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An account's webhook endpoints ({@code /v1/webhooks}), their secrets, delivery logs and replays.
 * Every route is scoped to the caller's account: another account's endpoint is not found. A
 * secret is in the answer that creates or rotates it and nowhere else.
 */
final class WebhooksResource implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(WebhooksResource.class);
    private static final Set<String> FIELDS = Set.of("url", "events", "workflow", "description", "max_concurrency", "enabled");
    static final Duration DEFAULT_OVERLAP = Duration.ofHours(24);
    static final Duration MAX_OVERLAP = Duration.ofDays(7);
    private static final int MAX_ENDPOINTS = 50;

    private final WebhookStore store;
    private final SecretBox box;
    private final WorkflowRegistry registry;
    private final Clock clock;
    private final Authenticator auth;
    private final RequestBody bodies;
    private final boolean allowPrivate;
    private final JobIds ids;
    private final Runnable wake;

    /**
     * @param allowPrivate whether receivers on private networks may be registered ({@code webhooks.allow_private})
     * @param wake tells the node's delivery worker that replayed deliveries are due
     */
    WebhooksResource(WebhookStore store, SecretBox box, WorkflowRegistry registry, Clock clock, Authenticator auth, RequestBody bodies, boolean allowPrivate,
            Runnable wake) {
        this.store = store;
        this.box = box;
        this.registry = registry;
        this.clock = clock;
        this.auth = auth;
        this.bodies = bodies;
        this.allowPrivate = allowPrivate;
        this.ids = new JobIds(clock);
        this.wake = wake;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/webhooks", handler(this::create))
                .get("/v1/webhooks", handler(this::list))
                .get("/v1/webhooks/{endpoint}", handler(req -> Reply.json(200, view(endpoint(req, auth.authenticate(req))))))
                .patch("/v1/webhooks/{endpoint}", handler(this::update))
                .delete("/v1/webhooks/{endpoint}", handler(this::delete))
                .post("/v1/webhooks/{endpoint}/secret", handler(this::rotate))
                .get("/v1/webhooks/{endpoint}/deliveries", handler(this::deliveries))
                .get("/v1/webhooks/{endpoint}/deliveries/{delivery}", handler(this::delivery))
                .post("/v1/webhooks/{endpoint}/deliveries/{delivery}/replay", handler(this::replayOne))
                .post("/v1/webhooks/{endpoint}/replay", handler(this::replayAll));
    }

    private WebhookEndpoint endpoint(ServerRequest req, Principal p) {
        String id = req.path().pathParameters().get("endpoint");
        return store.endpoint(p.accountId(), id).orElseThrow(() -> refuse(ErrorCode.NOT_FOUND, "no webhook endpoint '" + id + "' in account " + p.accountId()));
    }

    private Reply create(ServerRequest req) {
        Principal p = auth.authenticate(req);
        JsonNode body = object(bodies.json(req));
        List<Violation> errors = new ArrayList<>();
        unknownFields(body, errors);
        if (!body.has("url")) {
            errors.add(new Violation("/url", "is required: the https URL to post events to"));
        }
        if (!body.has("events")) {
            errors.add(new Violation("/events", "is required: the event types to receive, from " + EventTypes.ALL));
        }
        URI url = body.has("url") ? url(body.get("url"), errors) : null;
        List<String> events = body.has("events") ? events(body.get("events"), errors) : List.of();
        String workflow = workflow(body.get("workflow"), errors);
        String description = description(body.get("description"), errors);
        int concurrency = concurrency(body.get("max_concurrency"), WebhookEndpoint.DEFAULT_MAX_CONCURRENCY, errors);
        if (body.has("enabled") && !body.get("enabled").isBoolean()) {
            errors.add(new Violation("/enabled", "must be true or false"));
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException("the webhook endpoint is not valid", errors);
        }
        if (store.endpoints(p.accountId()).size() >= MAX_ENDPOINTS) {
            throw refuse(ErrorCode.INVALID_STATE, "account " + p.accountId() + " has " + MAX_ENDPOINTS + " webhook endpoints, the most it may have; delete one first");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        boolean enabled = !body.has("enabled") || body.get("enabled").asBoolean();
        WebhookEndpoint endpoint = new WebhookEndpoint(ids.next("whe"), p.accountId(), url, events, workflow, description, enabled,
                enabled ? null : "disabled by its owner at creation", null, concurrency, now, now);
        SigningSecret secret = SigningSecret.generate();
        String secretId = ids.next("whs");
        store.createEndpoint(endpoint, new DueDelivery.SealedSecret(endpoint.id(), secretId, box.seal(secret.reveal(), endpoint.id() + "/" + secretId)));
        LOG.info("webhooks: account {} registered endpoint {} for {}", p.accountId(), endpoint.id(), events);
        ObjectNode out = view(endpoint);
        out.put("secret", secret.reveal());
        return Reply.json(201, out).withHeader("Location", "/v1/webhooks/" + endpoint.id());
    }

    private Reply list(ServerRequest req) {
        Principal p = auth.authenticate(req);
        ArrayNode list = Json.array();
        store.endpoints(p.accountId()).forEach(e -> list.add(view(e)));
        return Reply.json(200, Json.object().set("webhooks", list));
    }

    private Reply update(ServerRequest req) {
        Principal p = auth.authenticate(req);
        WebhookEndpoint e = endpoint(req, p);
        JsonNode body = object(bodies.json(req));
        List<Violation> errors = new ArrayList<>();
        unknownFields(body, errors);
        URI url = body.has("url") ? url(body.get("url"), errors) : e.url();
        List<String> events = body.has("events") ? events(body.get("events"), errors) : e.events();
        String workflow = body.has("workflow") ? workflow(body.get("workflow"), errors) : e.workflow();
        String description = body.has("description") ? description(body.get("description"), errors) : e.description();
        int concurrency = body.has("max_concurrency") ? concurrency(body.get("max_concurrency"), e.maxConcurrency(), errors) : e.maxConcurrency();
        boolean enabled = e.enabled();
        if (body.has("enabled")) {
            if (!body.get("enabled").isBoolean()) {
                errors.add(new Violation("/enabled", "must be true or false"));
            } else {
                enabled = body.get("enabled").asBoolean();
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException("the change to webhook endpoint " + e.id() + " is not valid", errors);
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        String reason = enabled ? null : e.enabled() ? "disabled by its owner at " + now : e.disabledReason();
        WebhookEndpoint changed = new WebhookEndpoint(e.id(), e.accountId(), url, events, workflow, description, enabled, reason,
                enabled && !e.enabled() ? null : e.failingSince(), concurrency, e.createdAt(), now);
        WebhookEndpoint saved = store.updateEndpoint(changed).orElseThrow(() -> refuse(ErrorCode.NOT_FOUND, "no webhook endpoint '" + e.id() + "'"));
        if (enabled && !e.enabled()) {
            LOG.info("webhooks: account {} enabled endpoint {} again (it was disabled: {})", p.accountId(), e.id(), e.disabledReason());
            wake.run();
        }
        return Reply.json(200, view(saved));
    }

    private Reply delete(ServerRequest req) {
        Principal p = auth.authenticate(req);
        WebhookEndpoint e = endpoint(req, p);
        if (!store.deleteEndpoint(p.accountId(), e.id())) {
            throw refuse(ErrorCode.NOT_FOUND, "no webhook endpoint '" + e.id() + "'");
        }
        return Reply.json(200, Json.object().put("id", e.id()).put("deleted", true));
    }

    private Reply rotate(ServerRequest req) {
        Principal p = auth.authenticate(req);
        WebhookEndpoint e = endpoint(req, p);
        Duration overlap = DEFAULT_OVERLAP;
        if (req.headers().contentLength().orElse(0) > 0) {
            JsonNode body = object(bodies.json(req));
            List<Violation> errors = new ArrayList<>();
            for (String f : body.propertyNames()) {
                if (!f.equals("overlap")) {
                    errors.add(new Violation(Json.pointer("", f), "unknown field (allowed: overlap)"));
                }
            }
            JsonNode o = body.get("overlap");
            if (o != null) {
                Optional<Duration> d = o.isString() ? YamlDocument.parseDuration(o.asString()) : Optional.empty();
                if (d.isEmpty() || d.get().isNegative() || d.get().compareTo(MAX_OVERLAP) > 0) {
                    errors.add(new Violation("/overlap", "must be a duration from 0s to 7d, such as \"24h\""));
                } else {
                    overlap = d.get();
                }
            }
            if (!errors.isEmpty()) {
                throw new InvalidInputException("the rotation is not valid", errors);
            }
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        SigningSecret secret = SigningSecret.generate();
        String secretId = ids.next("whs");
        Instant oldUntil = now.plus(overlap);
        store.rotateSecret(new DueDelivery.SealedSecret(e.id(), secretId, box.seal(secret.reveal(), e.id() + "/" + secretId)), now, oldUntil);
        LOG.info("webhooks: account {} rotated the secret of endpoint {}; the previous ones sign until {}", p.accountId(), e.id(), oldUntil);
        return Reply.json(200, Json.object().put("id", e.id()).put("secret", secret.reveal()).put("previous_secrets_end_at", oldUntil.toString()));
    }

    private Reply deliveries(ServerRequest req) {
        Principal p = auth.authenticate(req);
        WebhookEndpoint e = endpoint(req, p);
        QueryParameters q = QueryParameters.of(req);
        Delivery.Status status = q.text("status").map(s -> Delivery.Status.fromWire(s).orElseGet(() -> {
            q.error("status", "must be pending, delivered or dead");
            return null;
        })).orElse(null);
        String event = q.text("event").orElse(null);
        if (event != null && !EventTypes.known(event) && !event.equals(EventTypes.WEBHOOK_TEST)) {
            q.error("event", "must be one of " + EventTypes.ALL);
        }
        String job = q.text("job").orElse(null);
        int limit = (int) q.number("limit", 50, 1, DeliveryQuery.MAX_LIMIT);
        String cursor = q.cursor();
        q.check("the delivery query is not valid");
        List<Delivery> page = store.deliveries(new DeliveryQuery(p.accountId(), e.id(), status, event, job, cursor, limit));
        ArrayNode list = Json.array();
        page.forEach(d -> list.add(view(d)));
        ObjectNode out = Json.object();
        out.set("deliveries", list);
        out.put("next_cursor", page.size() == limit ? page.getLast().id() : null);
        return Reply.json(200, out);
    }

    private Reply delivery(ServerRequest req) {
        Principal p = auth.authenticate(req);
        WebhookEndpoint e = endpoint(req, p);
        Delivery d = delivery(req, p, e);
        ObjectNode out = view(d);
        out.put("body", d.payload());
        ArrayNode attempts = out.putArray("attempts");
        for (Delivery.Attempt a : store.attempts(d.id())) {
            ObjectNode o = attempts.addObject().put("number", a.number()).put("at", a.at().toString());
            if (a.status() == null) {
                o.putNull("status");
            } else {
                o.put("status", a.status());
            }
            o.put("error", a.error()).put("duration_ms", a.durationMillis());
        }
        return Reply.json(200, out);
    }

    private Delivery delivery(ServerRequest req, Principal p, WebhookEndpoint e) {
        String id = req.path().pathParameters().get("delivery");
        return store.delivery(p.accountId(), id).filter(d -> d.endpointId().equals(e.id()))
                .orElseThrow(() -> refuse(ErrorCode.NOT_FOUND, "no delivery '" + id + "' of webhook endpoint " + e.id()));
    }

    private Reply replayOne(ServerRequest req) {
        Principal p = auth.authenticate(req);
        WebhookEndpoint e = endpoint(req, p);
        Delivery d = delivery(req, p, e);
        int n = store.replayDeliveries(p.accountId(), e.id(), List.of(d.id()), clock.instant());
        if (n > 0) {
            wake.run();
        }
        return Reply.json(n > 0 ? 202 : 200, Json.object().put("replayed", n).put("status", n > 0 ? "pending" : d.status().wire()));
    }

    private Reply replayAll(ServerRequest req) {
        Principal p = auth.authenticate(req);
        WebhookEndpoint e = endpoint(req, p);
        int n = store.replayDeliveries(p.accountId(), e.id(), List.of(), clock.instant());
        if (n > 0) {
            LOG.info("webhooks: account {} replayed {} dead-lettered deliveries of endpoint {}", p.accountId(), n, e.id());
            wake.run();
        }
        return Reply.json(n > 0 ? 202 : 200, Json.object().put("replayed", n));
    }

    // ---- reading the body --------------------------------------------------------------------

    private static JsonNode object(JsonNode body) {
        if (!body.isObject()) {
            throw new InvalidInputException("the body must be a JSON object", List.of(new Violation("", "expected an object")));
        }
        return body;
    }

    private static void unknownFields(JsonNode body, List<Violation> errors) {
        for (String f : body.propertyNames()) {
            if (!FIELDS.contains(f)) {
                errors.add(new Violation(Json.pointer("", f), "unknown field (allowed: url, events, workflow, description, max_concurrency, enabled)"));
            }
        }
    }

    private URI url(JsonNode node, List<Violation> errors) {
        if (!node.isString() || node.asString().isBlank() || node.asString().length() > 2000) {
            errors.add(new Violation("/url", "must be an http(s) URL of at most 2000 characters"));
            return null;
        }
        URI url;
        try {
            url = new URI(node.asString().strip());
        } catch (URISyntaxException e) {
            errors.add(new Violation("/url", "is not a valid URL: " + e.getReason()));
            return null;
        }
        if (url.getFragment() != null) {
            errors.add(new Violation("/url", "must not have a fragment (#…)"));
            return null;
        }
        String refused = OutboundGuard.policyRefusal(url, allowPrivate);
        if (refused != null) {
            errors.add(new Violation("/url", refused + (allowPrivate ? "" : " (this node refuses private receivers: webhooks.allow_private)")));
            return null;
        }
        return url;
    }

    private static List<String> events(JsonNode node, List<Violation> errors) {
        if (!node.isArray() || node.isEmpty()) {
            errors.add(new Violation("/events", "must be a non-empty list of event types from " + EventTypes.ALL));
            return List.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode t = node.get(i);
            if (!t.isString() || !EventTypes.known(t.asString())) {
                errors.add(new Violation("/events/" + i, "unknown event type; the types are " + EventTypes.ALL));
            } else {
                out.add(t.asString());
            }
        }
        return List.copyOf(out);
    }

    private String workflow(JsonNode node, List<Violation> errors) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString() || registry.active(node.asString()).isEmpty()) {
            errors.add(new Violation("/workflow", "must name a workflow this server runs (GET /v1/workflows lists them), or be null for every workflow"));
            return null;
        }
        return node.asString();
    }

    private static String description(JsonNode node, List<Violation> errors) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString() || node.asString().length() > 500) {
            errors.add(new Violation("/description", "must be a string of at most 500 characters"));
            return null;
        }
        return node.asString();
    }

    private static int concurrency(JsonNode node, int otherwise, List<Violation> errors) {
        if (node == null || node.isNull()) {
            return otherwise;
        }
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 1 || node.asInt() > 64) {
            errors.add(new Violation("/max_concurrency", "must be a whole number from 1 to 64"));
            return otherwise;
        }
        return node.asInt();
    }

    // ---- views -------------------------------------------------------------------------------

    static ObjectNode view(WebhookEndpoint e) {
        ObjectNode o = Json.object().put("id", e.id()).put("url", e.url().toString());
        ArrayNode events = o.putArray("events");
        e.events().forEach(events::add);
        o.put("workflow", e.workflow()).put("description", e.description()).put("enabled", e.enabled()).put("disabled_reason", e.disabledReason())
                .put("failing_since", e.failingSince() == null ? null : e.failingSince().toString()).put("max_concurrency", e.maxConcurrency())
                .put("created_at", e.createdAt().toString()).put("updated_at", e.updatedAt().toString());
        return o;
    }

    static ObjectNode view(Delivery d) {
        ObjectNode o = Json.object().put("id", d.id()).put("webhook_id", d.messageId()).put("event_type", d.eventType()).put("job_id", d.jobId())
                .put("status", d.status().wire()).put("attempts", d.attempts())
                .put("next_attempt_at", d.nextAttemptAt() == null || d.status() != Delivery.Status.PENDING ? null : d.nextAttemptAt().toString());
        if (d.lastStatus() == null) {
            o.putNull("last_status");
        } else {
            o.put("last_status", d.lastStatus());
        }
        return o.put("last_error", d.lastError()).put("last_attempt_at", d.lastAttemptAt() == null ? null : d.lastAttemptAt().toString())
                .put("delivered_at", d.deliveredAt() == null ? null : d.deliveredAt().toString()).put("created_at", d.createdAt().toString());
    }
}
